#include "crypto/household_key.h"

#include <sodium.h>

namespace hearth::crypto {

using core::ErrorCode;
using core::make_error;

namespace {

constexpr std::string_view kPrefix = "hk1:";
constexpr std::uint8_t kPassphraseWrap = 'p';
constexpr std::uint8_t kKeyWrap = 'k';
constexpr std::size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr std::size_t kMaxWrapChars = 512;

core::Error refused() {
    return make_error(ErrorCode::kPermissionDenied,
                      "the household key does not open with this passphrase or key");
}

// Secretbox of the private key under `kek`, as a wrap of `kind` with `salt` (may be empty).
std::string seal_wrap(std::uint8_t kind, std::span<const std::uint8_t> salt, const SecretBytes& kek,
                      const SecretBytes& secret) {
    std::vector<std::uint8_t> out(1 + salt.size() + crypto_secretbox_NONCEBYTES +
                                  crypto_secretbox_MACBYTES + secret.size());
    out[0] = kind;
    std::copy(salt.begin(), salt.end(), out.begin() + 1);
    std::uint8_t* nonce = out.data() + 1 + salt.size();
    randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, secret.data(), secret.size(), nonce,
                          kek.data());
    return std::string(kPrefix) + base64url_encode(out);
}

core::Result<std::vector<std::uint8_t>> decode_wrap(std::string_view wrap, std::uint8_t kind) {
    if (!wrap.starts_with(kPrefix) || wrap.size() > kMaxWrapChars) {
        return make_error(ErrorCode::kInvalidArgument, "not a household key wrap");
    }
    auto decoded = base64url_decode(wrap.substr(kPrefix.size()));
    if (!decoded) {
        return make_error(ErrorCode::kInvalidArgument, "not a household key wrap");
    }
    auto raw = std::move(*decoded);
    const std::size_t salt = kind == kPassphraseWrap ? kSaltBytes : 0;
    if (raw.size() != 1 + salt + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                          crypto_box_SECRETKEYBYTES ||
        raw[0] != kind) {
        return make_error(ErrorCode::kInvalidArgument,
                          kind == kPassphraseWrap ? "not a passphrase wrap of the household key"
                                                  : "not a key wrap of the household key");
    }
    return raw;
}

core::Result<SecretBytes> open_wrap(const std::vector<std::uint8_t>& raw, std::size_t salt,
                                    const SecretBytes& kek) {
    HEARTH_ASSIGN_OR_RETURN(SecretBytes secret, SecretBytes::allocate(crypto_box_SECRETKEYBYTES));
    const std::uint8_t* nonce = raw.data() + 1 + salt;
    const std::uint8_t* box = nonce + crypto_secretbox_NONCEBYTES;
    const std::size_t box_len = raw.size() - 1 - salt - crypto_secretbox_NONCEBYTES;
    if (crypto_secretbox_open_easy(secret.data(), box, box_len, nonce, kek.data()) != 0) {
        return refused();
    }
    return secret;
}

core::Result<SecretBytes> derive_kek(const SecretBytes& passphrase,
                                     std::span<const std::uint8_t> salt, PasswordCost cost) {
    HEARTH_ASSIGN_OR_RETURN(SecretBytes kek, SecretBytes::allocate(crypto_secretbox_KEYBYTES));
    if (crypto_pwhash(kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase.data()),
                      passphrase.size(), salt.data(), cost.ops, cost.mem_bytes,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return make_error(ErrorCode::kResourceExhausted,
                          "not enough memory to derive the household key's wrapping key");
    }
    return kek;
}

}  // namespace

core::Result<HouseholdKey> HouseholdKey::generate() {
    HEARTH_TRY(init_sodium());
    HEARTH_ASSIGN_OR_RETURN(SecretBytes secret, SecretBytes::allocate(crypto_box_SECRETKEYBYTES));
    PublicKey pub{};
    crypto_box_keypair(pub.data(), secret.data());
    return HouseholdKey(pub, std::move(secret));
}

core::Result<HouseholdKey> HouseholdKey::from_secret(SecretBytes secret,
                                                     const PublicKey& expected) {
    PublicKey pub{};
    crypto_scalarmult_base(pub.data(), secret.data());
    if (sodium_memcmp(pub.data(), expected.data(), pub.size()) != 0) {
        return make_error(ErrorCode::kPermissionDenied, "this wrap holds another household's key");
    }
    return HouseholdKey(pub, std::move(secret));
}

core::Result<std::string> HouseholdKey::wrap_with_passphrase(const SecretBytes& passphrase,
                                                             PasswordCost cost) const {
    std::array<std::uint8_t, kSaltBytes> salt{};
    randombytes_buf(salt.data(), salt.size());
    HEARTH_ASSIGN_OR_RETURN(SecretBytes kek, derive_kek(passphrase, salt, cost));
    return seal_wrap(kPassphraseWrap, salt, kek, secret_);
}

core::Result<std::string> HouseholdKey::wrap_with_key(const SecretBytes& key) const {
    if (key.size() != crypto_secretbox_KEYBYTES) {
        return make_error(ErrorCode::kInvalidArgument, "a wrapping key is 32 bytes");
    }
    return seal_wrap(kKeyWrap, {}, key, secret_);
}

core::Result<HouseholdKey> HouseholdKey::unwrap_with_passphrase(std::string_view wrap,
                                                                const SecretBytes& passphrase,
                                                                const PublicKey& expected,
                                                                PasswordCost cost) {
    HEARTH_TRY(init_sodium());
    HEARTH_ASSIGN_OR_RETURN(auto raw, decode_wrap(wrap, kPassphraseWrap));
    HEARTH_ASSIGN_OR_RETURN(SecretBytes kek,
                            derive_kek(passphrase, std::span(raw).subspan(1, kSaltBytes), cost));
    HEARTH_ASSIGN_OR_RETURN(SecretBytes secret, open_wrap(raw, kSaltBytes, kek));
    return from_secret(std::move(secret), expected);
}

core::Result<HouseholdKey> HouseholdKey::unwrap_with_key(std::string_view wrap,
                                                         const SecretBytes& key,
                                                         const PublicKey& expected) {
    HEARTH_TRY(init_sodium());
    if (key.size() != crypto_secretbox_KEYBYTES) {
        return make_error(ErrorCode::kInvalidArgument, "a wrapping key is 32 bytes");
    }
    HEARTH_ASSIGN_OR_RETURN(auto raw, decode_wrap(wrap, kKeyWrap));
    HEARTH_ASSIGN_OR_RETURN(SecretBytes secret, open_wrap(raw, 0, key));
    return from_secret(std::move(secret), expected);
}

core::Result<SecretBytes> HouseholdKey::open_sealed(std::span<const std::uint8_t> sealed) const {
    if (sealed.size() < crypto_box_SEALBYTES || sealed.size() > 4096) {
        return make_error(ErrorCode::kInvalidArgument, "not a sealed key");
    }
    HEARTH_ASSIGN_OR_RETURN(SecretBytes out,
                            SecretBytes::allocate(sealed.size() - crypto_box_SEALBYTES));
    std::uint8_t none[1];  // a sealed empty secret still has its tag checked
    if (crypto_box_seal_open(out.empty() ? none : out.data(), sealed.data(), sealed.size(),
                             public_.data(), secret_.data()) != 0) {
        return make_error(ErrorCode::kPermissionDenied,
                          "a sealed key does not open with the household key (altered, or "
                          "sealed to another household)");
    }
    return out;
}

std::vector<std::uint8_t> seal_to(const PublicKey& household,
                                  std::span<const std::uint8_t> secret) {
    (void)init_sodium();
    std::vector<std::uint8_t> out(crypto_box_SEALBYTES + secret.size());
    crypto_box_seal(out.data(), secret.data(), secret.size(), household.data());
    return out;
}

}  // namespace hearth::crypto
