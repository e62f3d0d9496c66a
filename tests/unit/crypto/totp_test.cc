#include "crypto/totp.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

namespace hearth::crypto {
namespace {

// The key of RFC 4226 appendix D and RFC 6238 appendix B (SHA1).
constexpr std::string_view kRfcKey = "12345678901234567890";
constexpr std::string_view kRfcKeyBase32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

SecretBytes rfc_secret() {
    auto s = SecretBytes::copy_of(kRfcKey);
    EXPECT_TRUE(s);
    return std::move(s).value();
}

std::string as_text(const SecretBytes& s) {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

TEST(HotpTest, Rfc4226AppendixD) {
    const std::array<const char*, 10> expected = {"755224", "287082", "359152", "969429", "338314",
                                                  "254676", "287922", "162583", "399871", "520489"};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(hotp_code(bytes_of(kRfcKey), i), expected[i]) << "counter " << i;
    }
}

TEST(TotpTest, Rfc6238AppendixBSha1) {
    struct Vector {
        std::int64_t time;
        std::uint32_t code8;
    };
    const std::array<Vector, 6> vectors = {{{59, 94287082},
                                            {1111111109, 7081804},
                                            {1111111111, 14050471},
                                            {1234567890, 89005924},
                                            {2000000000, 69279037},
                                            {20000000000, 65353130}}};
    const SecretBytes secret = rfc_secret();
    for (const auto& v : vectors) {
        const auto step = static_cast<std::uint64_t>(v.time / 30);
        EXPECT_EQ(hotp_value(secret.view(), step, 8), v.code8) << "time " << v.time;
        // Six digits are the low six digits of the eight-digit value.
        char six[8];
        std::snprintf(six, sizeof six, "%06u", static_cast<unsigned>(v.code8 % 1000000));
        EXPECT_EQ(totp_code(secret, v.time), six) << "time " << v.time;
        auto matched = verify_totp(secret, six, v.time, -1);
        ASSERT_TRUE(matched) << matched.error().describe();
        EXPECT_EQ(*matched, v.time / 30);
    }
}

TEST(Base32Test, Rfc4648Vectors) {
    const std::array<std::pair<std::string_view, std::string_view>, 7> vectors = {{
        {"", ""},
        {"f", "MY======"},
        {"fo", "MZXQ===="},
        {"foo", "MZXW6==="},
        {"foob", "MZXW6YQ="},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI======"},
    }};
    for (const auto& [plain, padded] : vectors) {
        std::string unpadded(padded);
        while (!unpadded.empty() && unpadded.back() == '=') {
            unpadded.pop_back();
        }
        EXPECT_EQ(base32_encode(bytes_of(plain)), unpadded);
        for (const std::string_view input : {padded, std::string_view(unpadded)}) {
            auto d = base32_decode(input);
            ASSERT_TRUE(d) << input << ": " << d.error().describe();
            EXPECT_EQ(as_text(*d), plain);
        }
        std::string lower = unpadded;
        for (char& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        auto d = base32_decode(lower);
        ASSERT_TRUE(d);
        EXPECT_EQ(as_text(*d), plain);
    }
    auto key = base32_decode(kRfcKeyBase32);
    ASSERT_TRUE(key);
    EXPECT_EQ(as_text(*key), kRfcKey);
    EXPECT_EQ(base32_encode(bytes_of(kRfcKey)), kRfcKeyBase32);
}

TEST(Base32Test, BadInputIsRefused) {
    for (const std::string_view bad :
         {std::string_view("M"), std::string_view("MZX"), std::string_view("MZXW6Y"),
          std::string_view("MZ1Q"), std::string_view("MZ8Q"), std::string_view("MZ Q"),
          std::string_view("MZ=Q"), std::string_view("=M"), std::string_view("MZ-Q"),
          std::string_view("MZ\0Q", 4), std::string_view("MZ\xc3\xa9Q"), std::string_view("MZ"),
          std::string_view("MZXR"), std::string_view("MZXW6YR")}) {
        auto d = base32_decode(bad);
        EXPECT_FALSE(d) << "accepted: " << bad;
        if (!d) {
            EXPECT_EQ(d.error().code, core::ErrorCode::kInvalidArgument);
        }
    }
    const std::string too_long(kMaxBase32Chars + 8, 'A');
    EXPECT_FALSE(base32_decode(too_long));
    const std::string longest(kMaxBase32Chars, 'A');
    auto d = base32_decode(longest);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->size(), kMaxBase32Chars * 5 / 8);
}

TEST(TotpTest, WindowIsOneStepEachWay) {
    const SecretBytes secret = rfc_secret();
    const std::int64_t now = 1111111111;  // step 37037037
    const std::int64_t step = now / 30;
    for (std::int64_t delta = -3; delta <= 3; ++delta) {
        const std::string code = totp_code(secret, (step + delta) * 30);
        auto r = verify_totp(secret, code, now, -1);
        if (delta >= -1 && delta <= 1) {
            ASSERT_TRUE(r) << "delta " << delta;
            EXPECT_EQ(*r, step + delta);
        } else {
            ASSERT_FALSE(r) << "delta " << delta;
            EXPECT_EQ(r.error().code, core::ErrorCode::kUnauthenticated);
        }
    }
}

TEST(TotpTest, ReplayIsRefused) {
    const SecretBytes secret = rfc_secret();
    const std::int64_t now = 1234567890;
    const std::string code = totp_code(secret, now);
    auto first = verify_totp(secret, code, now, -1);
    ASSERT_TRUE(first);
    auto again = verify_totp(secret, code, now + 5, *first);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::ErrorCode::kUnauthenticated);
    // An older code from the window is a replay once a newer step was used.
    const std::string previous = totp_code(secret, now - 30);
    EXPECT_FALSE(verify_totp(secret, previous, now, *first));
    // The next step's code still works.
    const std::string next = totp_code(secret, now + 30);
    auto later = verify_totp(secret, next, now + 30, *first);
    ASSERT_TRUE(later);
    EXPECT_EQ(*later, *first + 1);
}

TEST(TotpTest, MalformedCodesAreInvalidArgument) {
    const SecretBytes secret = rfc_secret();
    for (const std::string_view bad :
         {"", "12345", "1234567", "12345a", " 12345", "123 456", "-12345", "+12345", "１23456"}) {
        auto r = verify_totp(secret, bad, 59, -1);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << bad;
    }
    EXPECT_FALSE(verify_totp(SecretBytes(), "287082", 59, -1));
    EXPECT_FALSE(verify_totp(secret, "287082", -1, -1));
    auto parsed = parse_otp_code("007081");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, 7081U);
}

TEST(TotpTest, OtpauthUri) {
    const SecretBytes secret = rfc_secret();
    EXPECT_EQ(
        otpauth_uri("Hearth Home", "alice@example.org", secret),
        "otpauth://totp/Hearth%20Home:alice%40example.org?secret=" + std::string(kRfcKeyBase32) +
            "&issuer=Hearth%20Home&algorithm=SHA1&digits=6&period=30");
    EXPECT_EQ(otpauth_uri("A:B&c", "x?y", secret).substr(0, 32),
              "otpauth://totp/A%3AB%26c:x%3Fy?s");
}

TEST(RecoveryCodeTest, CodesHaveTheShapeAndDiffer) {
    const auto codes = make_recovery_codes(10);
    ASSERT_EQ(codes.size(), 10U);
    std::set<std::string> seen(codes.begin(), codes.end());
    EXPECT_EQ(seen.size(), 10U);
    for (const auto& c : codes) {
        ASSERT_EQ(c.size(), 11U);
        EXPECT_EQ(c[5], '-');
        auto n = normalize_recovery_code(c);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, c);
        EXPECT_EQ(sha256_hex(*n).size(), 64U);
    }
    EXPECT_TRUE(make_recovery_codes(0).empty());
    EXPECT_TRUE(make_recovery_codes(-3).empty());
}

TEST(RecoveryCodeTest, NormalizeAcceptsWhatPeopleType) {
    EXPECT_EQ(*normalize_recovery_code(" ABCDE-fgh23 "), "abcde-fgh23");
    EXPECT_EQ(*normalize_recovery_code("abcdefgh23"), "abcde-fgh23");
    EXPECT_FALSE(normalize_recovery_code("abcde-fgh2"));
    EXPECT_FALSE(normalize_recovery_code("abcde-fgh21"));  // '1' is not base32
    EXPECT_FALSE(normalize_recovery_code("abcd-efgh23"));
    EXPECT_FALSE(normalize_recovery_code(""));
}

// A real peer: codes from oathtool (liboath) must be accepted at their time and
// refused outside the ±1 step window and on replay.
std::string oathtool_code(std::string_view base32, std::int64_t unix_seconds) {
    const std::string cmd = "oathtool --totp -b " + std::string(base32) + " -N @" +
                            std::to_string(unix_seconds) + " 2>/dev/null";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
        return {};
    }
    char buf[64] = {};
    const bool got = std::fgets(buf, sizeof buf, pipe) != nullptr;
    pclose(pipe);
    std::string out = got ? buf : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
        out.pop_back();
    }
    return out;
}

bool have_oathtool() { return std::system("command -v oathtool >/dev/null 2>&1") == 0; }

TEST(TotpPeerTest, OathtoolCodesAreAcceptedInWindowOnly) {
    if (!have_oathtool()) {
        GTEST_SKIP() << "oathtool not installed; the RFC vectors still cover the algorithm";
    }
    auto secret = SecretBytes::random(kTotpSecretBytes);
    ASSERT_TRUE(secret);
    std::string b32 = base32_encode(secret->view());
    const std::int64_t times[] = {0, 59, 1111111109, 1700000000, 1700000029, 4102444800};
    for (const std::int64_t t : times) {
        const std::string code = oathtool_code(b32, t);
        ASSERT_EQ(code.size(), 6U) << "oathtool gave no code at " << t;
        EXPECT_EQ(code, totp_code(*secret, t));
        auto step = verify_totp(*secret, code, t, -1);
        ASSERT_TRUE(step) << "at " << t << ": " << step.error().describe();
        EXPECT_EQ(*step, t / 30);
        EXPECT_FALSE(verify_totp(*secret, code, t, *step)) << "replay accepted at " << t;
        // Same code checked one step later is still in the window; two steps is not
        // (unless the random secret happens to repeat the code there).
        EXPECT_TRUE(verify_totp(*secret, code, t + 30, -1));
        if (oathtool_code(b32, t + 60) != code && oathtool_code(b32, t + 90) != code &&
            oathtool_code(b32, t + 30) != code) {
            EXPECT_FALSE(verify_totp(*secret, code, t + 60, -1)) << "outside window at " << t;
        }
        if (t >= 60 && oathtool_code(b32, t - 60) != code && oathtool_code(b32, t - 90) != code &&
            oathtool_code(b32, t - 30) != code) {
            EXPECT_FALSE(verify_totp(*secret, code, t - 60, -1)) << "outside window at " << t;
        }
    }
    wipe(b32);
}

}  // namespace
}  // namespace hearth::crypto
