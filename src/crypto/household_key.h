// The household's X25519 key pair (libsodium crypto_box), for recordings encrypted to the
// household (design notes: "Encryption at rest").
//
// The public half seals each segment's random key (crypto_box_seal), so the recorder needs
// no secret. The private half lives in guarded memory while someone is logged in and on
// disk only wrapped: under a key derived from an account's passphrase (Argon2id), under the
// recovery key, or (before setup) under the setup key. A wrap is text:
//   "hk1:" base64url(kind | salt | nonce | secretbox(private key) )
// with kind 'p' (passphrase: 16-byte salt, Argon2id with the stored cost) or 'k' (a raw
// 32-byte key: no salt). Opening a wrap checks that the private key matches the household's
// public key, so a wrap for another household is refused, not used.
//
// Thread-safety: a HouseholdKey is a plain value; share one only for reading.
// Errors: kPermissionDenied for a wrong passphrase or key (or an altered wrap),
// kInvalidArgument for text that is not a wrap, kResourceExhausted for guarded memory.
//
// Example:
//     HEARTH_ASSIGN_OR_RETURN(auto key, crypto::HouseholdKey::generate());
//     HEARTH_ASSIGN_OR_RETURN(auto wrap, key.wrap_with_passphrase(passphrase, cost));
//     auto sealed = crypto::seal_to(key.public_key(), segment_key.view());
//     HEARTH_ASSIGN_OR_RETURN(auto opened, key.open_sealed(sealed));
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/password.h"
#include "crypto/secret.h"

namespace hearth::crypto {

using PublicKey = std::array<std::uint8_t, 32>;

class HouseholdKey {
public:
    static core::Result<HouseholdKey> generate();

    const PublicKey& public_key() const { return public_; }

    // A wrap under a key derived from `passphrase` (Argon2id at `cost`, fresh salt).
    core::Result<std::string> wrap_with_passphrase(const SecretBytes& passphrase,
                                                   PasswordCost cost) const;
    // A wrap under a raw 32-byte key (the recovery key, the setup key).
    core::Result<std::string> wrap_with_key(const SecretBytes& key) const;

    static core::Result<HouseholdKey> unwrap_with_passphrase(std::string_view wrap,
                                                             const SecretBytes& passphrase,
                                                             const PublicKey& expected,
                                                             PasswordCost cost);
    static core::Result<HouseholdKey> unwrap_with_key(std::string_view wrap, const SecretBytes& key,
                                                      const PublicKey& expected);

    // Opens what seal_to() sealed to this household.
    core::Result<SecretBytes> open_sealed(std::span<const std::uint8_t> sealed) const;

private:
    HouseholdKey(PublicKey pub, SecretBytes secret) : public_(pub), secret_(std::move(secret)) {}
    static core::Result<HouseholdKey> from_secret(SecretBytes secret, const PublicKey& expected);

    PublicKey public_{};
    SecretBytes secret_;
};

// Seals `secret` (a segment key) to the household's public key: anyone may seal, only the
// private key opens.
std::vector<std::uint8_t> seal_to(const PublicKey& household, std::span<const std::uint8_t> secret);

}  // namespace hearth::crypto
