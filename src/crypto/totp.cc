#include "crypto/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace hearth::crypto {

namespace {

constexpr char kBase32Upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr char kBase32Lower[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr int kMaxRecoveryCodes = 100;
constexpr std::size_t kRecoveryChars = 10;

// Value of a base32 character, or -1.
int base32_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }
    return -1;
}

core::Error invalid(const char* what) {
    return core::make_error(core::ErrorCode::kInvalidArgument, what);
}

std::uint32_t pow10(int digits) {
    std::uint32_t p = 1;
    for (int i = 0; i < digits; ++i) {
        p *= 10;
    }
    return p;
}

std::string format_code(std::uint32_t value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>(value));
    return buf;
}

void percent_encode(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0f]);
        }
    }
}

}  // namespace

std::string base32_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const std::uint8_t b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(kBase32Upper[(buffer >> bits) & 0x1f]);
        }
    }
    if (bits > 0) {
        out.push_back(kBase32Upper[(buffer << (5 - bits)) & 0x1f]);
    }
    return out;
}

core::Result<SecretBytes> base32_decode(std::string_view text) {
    if (text.size() > kMaxBase32Chars) {
        return invalid("base32 text too long");
    }
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    // A final group of 8 characters holds 0, 2, 4, 5 or 7 data characters.
    const std::size_t rest = text.size() % 8;
    if (rest == 1 || rest == 3 || rest == 6) {
        return invalid("base32 text has an impossible length");
    }
    HEARTH_ASSIGN_OR_RETURN(SecretBytes out, SecretBytes::allocate(text.size() * 5 / 8));
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t n = 0;
    for (const char c : text) {
        const int v = base32_value(c);
        if (v < 0) {
            return invalid("base32 text has a character outside the alphabet");
        }
        buffer = ((buffer << 5) | static_cast<std::uint32_t>(v)) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.data()[n++] = static_cast<std::uint8_t>(buffer >> bits);
        }
    }
    // Leftover bits must be zero, so every text has exactly one decoding.
    if ((buffer & ((1U << bits) - 1)) != 0) {
        return invalid("base32 text has non-zero trailing bits");
    }
    sodium_memzero(&buffer, sizeof buffer);
    return out;
}

std::uint32_t hotp_value(std::span<const std::uint8_t> key, std::uint64_t counter, int digits) {
    HEARTH_ASSERT(digits >= 1 && digits <= 9, "HOTP digits must be 1..9");
    std::array<std::uint8_t, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xff);
        counter >>= 8;
    }
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    static const std::uint8_t kEmpty = 0;
    const std::uint8_t* key_data = key.empty() ? &kEmpty : key.data();
    if (HMAC(EVP_sha1(), key_data, static_cast<int>(key.size()), message.data(), message.size(),
             mac.data(), &mac_len) == nullptr ||
        mac_len != 20) {
        std::abort();  // HMAC-SHA1 with valid arguments cannot fail short of a broken libcrypto
    }
    // RFC 4226 §5.3 dynamic truncation.
    const std::size_t offset = mac[19] & 0x0f;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    sodium_memzero(mac.data(), mac.size());
    return binary % pow10(digits);
}

std::string hotp_code(std::span<const std::uint8_t> key, std::uint64_t counter) {
    return format_code(hotp_value(key, counter, kOtpDigits));
}

std::string totp_code(const SecretBytes& secret, std::int64_t unix_seconds) {
    HEARTH_ASSERT(unix_seconds >= 0, "TOTP time before the epoch");
    return hotp_code(secret.view(), static_cast<std::uint64_t>(unix_seconds / kTotpStepSeconds));
}

core::Result<std::uint32_t> parse_otp_code(std::string_view code) {
    if (code.size() != static_cast<std::size_t>(kOtpDigits)) {
        return invalid("one-time code must be six digits");
    }
    std::uint32_t value = 0;
    for (const char c : code) {
        if (c < '0' || c > '9') {
            return invalid("one-time code must be six digits");
        }
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    return value;
}

core::Result<std::int64_t> verify_totp(const SecretBytes& secret, std::string_view code,
                                       std::int64_t unix_seconds, std::int64_t last_used_step) {
    HEARTH_TRY(init_sodium());
    HEARTH_ASSIGN_OR_RETURN(const std::uint32_t wanted, parse_otp_code(code));
    if (secret.empty()) {
        return invalid("empty TOTP secret");
    }
    if (unix_seconds < 0) {
        return invalid("time before the epoch");
    }
    const std::int64_t now_step = unix_seconds / kTotpStepSeconds;
    // Every step in the window is computed and compared, so timing does not tell
    // which one matched.
    std::int64_t matched = -1;
    bool replayed = false;
    for (std::int64_t step = now_step - 1; step <= now_step + 1; ++step) {
        if (step < 0) {
            continue;
        }
        const std::uint32_t expected =
            hotp_value(secret.view(), static_cast<std::uint64_t>(step), kOtpDigits);
        const bool equal = sodium_memcmp(&expected, &wanted, sizeof expected) == 0;
        if (equal && step <= last_used_step) {
            replayed = true;
        } else if (equal && matched < 0) {
            matched = step;
        }
    }
    if (matched >= 0) {
        return matched;
    }
    return core::make_error(core::ErrorCode::kUnauthenticated,
                            replayed ? "one-time code already used" : "wrong one-time code");
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        const SecretBytes& secret) {
    std::string secret_text = base32_encode(secret.view());
    std::string uri = "otpauth://totp/";
    percent_encode(uri, issuer);
    uri.push_back(':');
    percent_encode(uri, account);
    uri += "?secret=";
    uri += secret_text;
    uri += "&issuer=";
    percent_encode(uri, issuer);
    uri += "&algorithm=SHA1&digits=6&period=30";
    wipe(secret_text);
    return uri;
}

std::vector<std::string> make_recovery_codes(int n) {
    if (!init_sodium()) {
        std::abort();  // no CSPRNG: predictable codes would be worse than stopping
    }
    std::vector<std::string> codes;
    if (n <= 0) {
        return codes;
    }
    if (n > kMaxRecoveryCodes) {
        n = kMaxRecoveryCodes;
    }
    codes.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::string code;
        code.reserve(kRecoveryChars + 1);
        for (std::size_t j = 0; j < kRecoveryChars; ++j) {
            if (j == kRecoveryChars / 2) {
                code.push_back('-');
            }
            code.push_back(kBase32Lower[randombytes_uniform(32)]);
        }
        codes.push_back(std::move(code));
    }
    return codes;
}

core::Result<std::string> normalize_recovery_code(std::string_view typed) {
    while (!typed.empty() && (typed.front() == ' ' || typed.front() == '\t')) {
        typed.remove_prefix(1);
    }
    while (!typed.empty() && (typed.back() == ' ' || typed.back() == '\t')) {
        typed.remove_suffix(1);
    }
    if (typed.size() == kRecoveryChars + 1 && typed[kRecoveryChars / 2] == '-') {
        std::string joined(typed.substr(0, kRecoveryChars / 2));
        joined += typed.substr(kRecoveryChars / 2 + 1);
        return normalize_recovery_code(joined);
    }
    if (typed.size() != kRecoveryChars) {
        return invalid("recovery code must be 10 characters");
    }
    std::string out;
    out.reserve(kRecoveryChars + 1);
    for (std::size_t j = 0; j < kRecoveryChars; ++j) {
        const int v = base32_value(typed[j]);
        if (v < 0) {
            return invalid("recovery code has a character outside the alphabet");
        }
        if (j == kRecoveryChars / 2) {
            out.push_back('-');
        }
        out.push_back(kBase32Lower[v]);
    }
    return out;
}

}  // namespace hearth::crypto
