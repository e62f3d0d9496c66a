#include "crypto/secret.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <utility>

namespace hearth::crypto {

namespace {

// For functions that cannot return an error: without libsodium there is no safe
// randomness, so stopping beats handing out a predictable token.
void require_sodium() {
    if (!init_sodium()) {
        std::abort();
    }
}

}  // namespace

core::Status init_sodium() {
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [] { ok = sodium_init() >= 0; });
    if (!ok) {
        return core::make_error(core::ErrorCode::kInternal, "libsodium failed to initialise");
    }
    return {};
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void SecretBytes::release() {
    if (data_ != nullptr) {
        sodium_free(data_);  // wipes before freeing
        data_ = nullptr;
        size_ = 0;
    }
}

core::Result<SecretBytes> SecretBytes::allocate(std::size_t size) {
    HEARTH_TRY(init_sodium());
    if (size == 0) {
        return SecretBytes();
    }
    auto* p = static_cast<std::uint8_t*>(sodium_malloc(size));
    if (p == nullptr) {
        return core::make_error(core::ErrorCode::kResourceExhausted,
                                "guarded allocation for a secret failed");
    }
    sodium_memzero(p, size);  // sodium_malloc fills with 0xdb; callers expect zeros
    return SecretBytes(p, size);
}

core::Result<SecretBytes> SecretBytes::random(std::size_t size) {
    HEARTH_ASSIGN_OR_RETURN(SecretBytes s, allocate(size));
    if (size > 0) {
        randombytes_buf(s.data_, size);
    }
    return s;
}

core::Result<SecretBytes> SecretBytes::copy_of(std::string_view text) {
    return copy_of(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                 text.size()));
}

core::Result<SecretBytes> SecretBytes::copy_of(std::span<const std::uint8_t> bytes) {
    HEARTH_ASSIGN_OR_RETURN(SecretBytes s, allocate(bytes.size()));
    if (!bytes.empty()) {
        std::copy(bytes.begin(), bytes.end(), s.data_);
    }
    return s;
}

bool SecretBytes::equals(const SecretBytes& other) const {
    if (size_ != other.size_) {
        return false;
    }
    if (size_ == 0) {
        return true;
    }
    return sodium_memcmp(data_, other.data_, size_) == 0;
}

void wipe(std::string& s) {
    if (!s.empty()) {
        sodium_memzero(s.data(), s.size());
    }
    s.clear();
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
    require_sodium();
    if (bytes.empty()) {
        return {};
    }
    const auto variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

core::Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
    require_sodium();
    std::vector<std::uint8_t> out(text.size() * 3 / 4 + 1);
    std::size_t len = 0;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "not base64url");
    }
    out.resize(len);
    return out;
}

std::string random_token_base64url(std::size_t bytes) {
    require_sodium();
    if (bytes == 0) {
        return {};
    }
    auto raw = SecretBytes::random(bytes);
    if (!raw) {
        std::abort();  // guarded memory exhausted: no safe way to make a token
    }
    return base64url_encode(raw->view());
}

std::string hmac_sha256_base64url(const SecretBytes& key, std::string_view data) {
    require_sodium();
    std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                  data.size());
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return base64url_encode(mac);
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
    require_sodium();
    static_assert(crypto_hash_sha256_BYTES == 32);
    std::array<std::uint8_t, 32> out{};
    crypto_hash_sha256(out.data(), data.data(), data.size());
    return out;
}

std::array<std::uint8_t, 32> sha256(std::string_view data) {
    return sha256(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()),
                                                data.size()));
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
    const auto digest = sha256(data);
    std::string out(digest.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), digest.data(), digest.size());
    out.resize(digest.size() * 2);
    return out;
}

std::string sha256_hex(std::string_view data) {
    return sha256_hex(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    require_sodium();
    if (a.size() != b.size()) {
        return false;
    }
    if (a.empty()) {
        return true;
    }
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hearth::crypto
