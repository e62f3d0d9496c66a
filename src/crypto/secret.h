// Secrets in guarded memory, random tokens and hashing.
//
// SecretBytes holds key material, TOTP seeds and passphrases in libsodium's
// guarded allocations (sodium_malloc: guard pages around the buffer, mlock'd so
// it is not swapped, wiped on free). It cannot be printed or converted to a
// string, only compared in constant time. Tokens handed to clients are stored as
// their SHA-256 only.
//
// Thread-safety: every function is safe to call from any thread; a SecretBytes
// is a plain value (no internal locking), so share one only for reading.
// Errors: allocation and entropy failures are returned as core::Error. Functions
// returning plain values abort if libsodium cannot initialise (no entropy
// source), because handing out a weak token would be worse than stopping.
//
// Example:
//     auto pw = crypto::SecretBytes::copy_of(body.password);
//     crypto::wipe(body.password);
//     std::string token = crypto::random_token_base64url(32);
//     store.save_session(crypto::sha256_hex(token));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::crypto {

// Initialises libsodium once per process (std::call_once); every entry point of
// this module calls it, so callers need not. Error: kInternal if it fails.
core::Status init_sodium();

// Bytes in guarded, locked memory that are wiped when freed. Move-only.
class SecretBytes {
public:
    // An empty secret (size 0, no allocation).
    SecretBytes() = default;
    ~SecretBytes();

    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;

    // `size` zeroed bytes. Error: kResourceExhausted when the guarded
    // allocation fails (for example the mlock limit is reached).
    static core::Result<SecretBytes> allocate(std::size_t size);
    // `size` bytes from the system CSPRNG (randombytes_buf).
    static core::Result<SecretBytes> random(std::size_t size);
    // A guarded copy of `text`, e.g. a passphrase from a request; the caller
    // then wipes its own copy with wipe(std::string&).
    static core::Result<SecretBytes> copy_of(std::string_view text);
    static core::Result<SecretBytes> copy_of(std::span<const std::uint8_t> bytes);

    std::uint8_t* data() { return data_; }
    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::span<const std::uint8_t> view() const { return {data_, size_}; }

    // Constant time in the contents (sodium_memcmp); sizes are not secret.
    bool equals(const SecretBytes& other) const;

private:
    SecretBytes(std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    void release();

    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// Overwrites the contents of `s` in a way the compiler cannot elide, then clears it.
void wipe(std::string& s);

// `bytes` random bytes as unpadded base64url (RFC 4648 §5). For 256-bit session
// tokens use 32 bytes, which gives 43 characters.
std::string random_token_base64url(std::size_t bytes);

// SHA-256 (libsodium crypto_hash_sha256).
std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 32> sha256(std::string_view data);
// SHA-256 as 64 lowercase hex characters, the form tokens are stored in.
std::string sha256_hex(std::span<const std::uint8_t> data);
std::string sha256_hex(std::string_view data);

// HMAC-SHA-256 of `data` under `key` (libsodium crypto_auth_hmacsha256), as unpadded
// base64url: for values the hub signs and later checks, such as device cookies.
std::string hmac_sha256_base64url(const SecretBytes& key, std::string_view data);

// Unpadded base64url (RFC 4648 §5) of `bytes`.
std::string base64url_encode(std::span<const std::uint8_t> bytes);
// Its inverse. Error: kInvalidArgument.
core::Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// True when `a` and `b` are equal; constant time in the contents for equal
// lengths (the length itself is not treated as secret).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hearth::crypto
