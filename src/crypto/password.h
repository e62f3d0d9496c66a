// Password hashing with Argon2id (libsodium crypto_pwhash).
//
// The encoded string ("$argon2id$v=19$m=65536,t=3,p=1$salt$hash") carries its own
// salt and parameters, so it is all that is stored. When the cost is raised,
// needs_rehash() tells the caller to re-hash on the next successful login.
//
// Thread-safety: all functions are safe from any thread. Hashing and verifying at
// the default cost take ~64 MiB and tens of milliseconds: run them on the `cpu`
// pool, never on a `net` strand.
// Errors: kInvalidArgument for a cost below libsodium's minimum or a malformed
// encoded hash; kResourceExhausted when the memory for hashing is unavailable.
//
// Example:
//     auto encoded = crypto::hash_password(pw, crypto::PasswordCost{});
//     auto ok = crypto::verify_password(stored, pw);
//     if (ok && *ok && crypto::needs_rehash(stored, crypto::PasswordCost{})) { ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

// Argon2id cost. The default (t=3 passes, m=64 MiB, p=1) is at or above OWASP's
// Password Storage Cheat Sheet recommendation (m=19 MiB t=2 p=1, or m=12 MiB t=3
// p=1) and matches libsodium's "moderate" limits.
struct PasswordCost {
    std::uint64_t ops = 3;
    std::size_t mem_bytes = std::size_t{64} * 1024 * 1024;
};

// Hashes `password` with a fresh random salt; returns the encoded string.
core::Result<std::string> hash_password(const SecretBytes& password, PasswordCost cost);

// True when `password` matches `encoded`, false on mismatch (in time independent
// of where they differ). Error kInvalidArgument when `encoded` is not a
// well-formed Argon2id hash string.
core::Result<bool> verify_password(std::string_view encoded, const SecretBytes& password);

// True when `encoded` was made with parameters other than `cost` (or is not a
// valid Argon2id string), so the caller should re-hash after the next login.
bool needs_rehash(std::string_view encoded, PasswordCost cost);

}  // namespace hearth::crypto
