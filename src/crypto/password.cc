#include "crypto/password.h"

#include <sodium.h>

namespace hearth::crypto {

namespace {

// The encoded string must fit libsodium's fixed buffer and hold no NUL, because
// libsodium reads it as a C string.
bool plausible_encoding(std::string_view encoded) {
    return !encoded.empty() && encoded.size() < crypto_pwhash_STRBYTES &&
           encoded.find('\0') == std::string_view::npos;
}

}  // namespace

core::Result<std::string> hash_password(const SecretBytes& password, PasswordCost cost) {
    HEARTH_TRY(init_sodium());
    if (cost.ops < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
        cost.ops > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
        cost.mem_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
        cost.mem_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "password cost outside Argon2id limits");
    }
    if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "password too long");
    }
    char out[crypto_pwhash_STRBYTES] = {};
    const char* pw = password.empty() ? "" : reinterpret_cast<const char*>(password.data());
    if (crypto_pwhash_str_alg(out, pw, password.size(), cost.ops, cost.mem_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return core::make_error(core::ErrorCode::kResourceExhausted,
                                "not enough memory to hash a password");
    }
    return std::string(out);
}

core::Result<bool> verify_password(std::string_view encoded, const SecretBytes& password) {
    HEARTH_TRY(init_sodium());
    if (!plausible_encoding(encoded)) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "malformed password hash");
    }
    const std::string str(encoded);
    // crypto_pwhash_str_verify answers -1 for both a mismatch and a malformed
    // string; needs_rehash decodes the whole string and tells the two apart.
    if (crypto_pwhash_argon2id_str_needs_rehash(str.c_str(), crypto_pwhash_OPSLIMIT_MIN,
                                                crypto_pwhash_MEMLIMIT_MIN) < 0) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "malformed password hash");
    }
    const char* pw = password.empty() ? "" : reinterpret_cast<const char*>(password.data());
    return crypto_pwhash_argon2id_str_verify(str.c_str(), pw, password.size()) == 0;
}

bool needs_rehash(std::string_view encoded, PasswordCost cost) {
    if (!init_sodium() || !plausible_encoding(encoded)) {
        return true;
    }
    const std::string str(encoded);
    return crypto_pwhash_argon2id_str_needs_rehash(str.c_str(), cost.ops, cost.mem_bytes) != 0;
}

}  // namespace hearth::crypto
