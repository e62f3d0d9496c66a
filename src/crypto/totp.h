// One-time passwords for the second login factor: HOTP (RFC 4226) and TOTP
// (RFC 6238) with HMAC-SHA1, 6 digits and a 30 s step, the parameters every
// authenticator app supports; base32 (RFC 4648) for the shared secret; and
// single-use recovery codes.
//
// Thread-safety: all functions are pure or use only the thread-safe CSPRNG; safe
// from any thread.
// Errors: kInvalidArgument for malformed input (base32 text, codes that are not
// six digits, an empty secret); kUnauthenticated for a wrong or replayed code.
//
// Example:
//     auto secret = crypto::SecretBytes::random(crypto::kTotpSecretBytes);
//     std::string uri = crypto::otpauth_uri("Hearth", "alice", *secret);  // QR, then wipe
//     auto step = crypto::verify_totp(*secret, code, clock.unix_seconds(), user.last_step);
//     if (step) { user.last_step = *step; }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

inline constexpr std::size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommendation
inline constexpr int kOtpDigits = 6;
inline constexpr std::int64_t kTotpStepSeconds = 30;
// Longest base32 text base32_decode accepts (a 512-byte key); a longer one is refused
// before any work so a request cannot make us decode megabytes.
inline constexpr std::size_t kMaxBase32Chars = 1024;

// RFC 4648 base32, upper case, without '=' padding.
std::string base32_encode(std::span<const std::uint8_t> bytes);

// Decodes base32 into guarded memory: case-insensitive, trailing '=' padding
// optional. Error kInvalidArgument for characters outside the alphabet, an
// impossible length, non-zero trailing bits, or more than kMaxBase32Chars.
core::Result<SecretBytes> base32_decode(std::string_view text);

// The HOTP value of `key` at `counter` with `digits` digits (1..9), as a number.
std::uint32_t hotp_value(std::span<const std::uint8_t> key, std::uint64_t counter,
                         int digits = kOtpDigits);
// The 6-digit HOTP code as text, zero-padded.
std::string hotp_code(std::span<const std::uint8_t> key, std::uint64_t counter);
// The 6-digit TOTP code for the step containing `unix_seconds` (>= 0).
std::string totp_code(const SecretBytes& secret, std::int64_t unix_seconds);

// Parses exactly six ASCII digits. Error kInvalidArgument otherwise.
core::Result<std::uint32_t> parse_otp_code(std::string_view code);

// Checks `code` against the steps around `unix_seconds` (window of ±1 step) and
// returns the matched step, which the caller stores as the next `last_used_step`.
// Errors: kInvalidArgument for a malformed code, an empty secret or a negative
// time; kUnauthenticated when nothing matches or the matched step is
// <= last_used_step (a replay). Pass -1 when the user has no used step yet.
core::Result<std::int64_t> verify_totp(const SecretBytes& secret, std::string_view code,
                                       std::int64_t unix_seconds, std::int64_t last_used_step);

// The provisioning URI for authenticator apps:
// otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
// with issuer and account percent-encoded. The result contains the secret: render
// it (QR code) and wipe() it; never log or store it.
std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        const SecretBytes& secret);

// `n` (0..100) random single-use recovery codes, each 10 lower-case base32
// characters (50 bits) shown as "xxxxx-xxxxx". Store only sha256_hex of
// normalize_recovery_code(code).
std::vector<std::string> make_recovery_codes(int n);

// The canonical "xxxxx-xxxxx" form of what a person typed (any case, with or
// without the dash, surrounding spaces ignored). Error kInvalidArgument otherwise.
core::Result<std::string> normalize_recovery_code(std::string_view typed);

}  // namespace hearth::crypto
