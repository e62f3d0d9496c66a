#include "auth/passphrase.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::auth {
namespace {

void expect_refused(std::string_view passphrase, std::string_view user,
                    std::string_view reason_part) {
    const auto v = check_passphrase(passphrase, user);
    EXPECT_FALSE(v.ok) << passphrase;
    EXPECT_NE(v.reason.find(reason_part), std::string::npos) << passphrase << ": " << v.reason;
    EXPECT_FALSE(v.advice.empty()) << passphrase;
}

TEST(PassphraseTest, CommonPasswordsAreRefused) {
    for (const char* p : {"password1234", "qwertyuiop123", "123456789012"}) {
        const auto v = check_passphrase(p, "alice");
        expect_refused(p, "alice", "too easy to guess");
        EXPECT_LT(v.score, kMinPassphraseScore) << p;
    }
}

TEST(PassphraseTest, ShortPasswordIsRefusedForLength) {
    expect_refused("Tr0ub4dor&3", "alice", "too short");
}

TEST(PassphraseTest, FourRandomWordsAreAccepted) {
    const auto v = check_passphrase("correct horse battery staple", "alice");
    EXPECT_TRUE(v.ok) << v.reason;
    EXPECT_GE(v.score, kMinPassphraseScore);
    EXPECT_TRUE(v.reason.empty());

    const auto w = check_passphrase("velvet cactus orbit lantern", "alice");
    EXPECT_TRUE(w.ok) << w.reason;
}

TEST(PassphraseTest, UsernameInsideIsRefused) {
    expect_refused("velvet Alice cactus orbit", "alice", "username");
    expect_refused("velvetcactusALICEorbit", "Alice", "username");
}

TEST(PassphraseTest, ShortUsernameIsNotMatched) {
    // "al" is too short to mean anything inside a passphrase.
    const auto v = check_passphrase("velvet cactus orbit lantern", "al");
    EXPECT_TRUE(v.ok) << v.reason;
}

TEST(PassphraseTest, ProductNameInsideIsRefused) {
    expect_refused("velvet Hearth cactus orbit", "alice", "hearth");
    expect_refused("myHEARTHcactusorbitlantern", "alice", "hearth");
}

TEST(PassphraseTest, MultibyteCharactersCountAsOne) {
    // 11 code points, 22 bytes: too short although over 12 bytes.
    const std::string eleven = "ééééééééééé";
    ASSERT_EQ(eleven.size(), 22u);
    expect_refused(eleven, "alice", "11 characters");

    // A strong passphrase in 12+ code points of non-ASCII text is judged on strength.
    const auto v = check_passphrase("жёлтый кактус орбита фонарь", "alice");
    EXPECT_EQ(v.reason.find("too short"), std::string::npos) << v.reason;
}

TEST(PassphraseTest, OverlongInputIsRefused) {
    std::string p;
    while (p.size() <= kMaxPassphraseBytes) {
        p += "velvet cactus orbit lantern ";
    }
    expect_refused(p, "alice", "longer than 1024 bytes");

    // Exactly at the limit is judged normally.
    p.resize(kMaxPassphraseBytes);
    EXPECT_EQ(check_passphrase(p, "alice").reason.find("longer"), std::string::npos);
}

TEST(PassphraseTest, InvalidUtf8IsRefused) {
    expect_refused("velvet cactus \xC3 orbit lantern", "alice", "UTF-8");
    expect_refused("velvet cactus \xC0\xAF orbit lantern", "alice", "UTF-8");  // overlong '/'
    expect_refused(std::string("velvet cactus\0orbit lantern", 27), "alice", "NUL");
}

TEST(PassphraseTest, ScoreFollowsZxcvbnThresholds) {
    // guesses = 2^bits: thresholds at 10^3, 10^6, 10^8 and 10^10 guesses.
    EXPECT_EQ(score_from_entropy_bits(0.0), 0);
    EXPECT_EQ(score_from_entropy_bits(9.9), 0);   // ~955 guesses
    EXPECT_EQ(score_from_entropy_bits(10.0), 1);  // 1024
    EXPECT_EQ(score_from_entropy_bits(19.9), 1);
    EXPECT_EQ(score_from_entropy_bits(20.0), 2);  // ~1.05e6
    EXPECT_EQ(score_from_entropy_bits(26.5), 2);  // ~9.5e7
    EXPECT_EQ(score_from_entropy_bits(26.6), 3);  // ~1.02e8
    EXPECT_EQ(score_from_entropy_bits(33.2), 3);  // ~9.9e9
    EXPECT_EQ(score_from_entropy_bits(33.3), 4);  // ~1.06e10
    EXPECT_EQ(score_from_entropy_bits(1000.0), 4);
}

}  // namespace
}  // namespace hearth::auth
