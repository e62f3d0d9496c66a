#include "crypto/password.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::crypto {
namespace {

// Small cost so the suite stays fast; one test below uses the real default.
constexpr PasswordCost kFast{1, 8 * 1024 * 1024};

SecretBytes pw(std::string_view text) {
    auto s = SecretBytes::copy_of(text);
    EXPECT_TRUE(s);
    return std::move(s).value();
}

TEST(PasswordTest, DefaultCostHashesAndVerifies) {
    const PasswordCost cost;
    EXPECT_EQ(cost.ops, 3U);
    EXPECT_EQ(cost.mem_bytes, 64U * 1024 * 1024);
    auto encoded = hash_password(pw("hunter2 is not a password"), cost);
    ASSERT_TRUE(encoded) << encoded.error().describe();
    EXPECT_EQ(encoded->rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0), 0U) << *encoded;
    auto ok = verify_password(*encoded, pw("hunter2 is not a password"));
    ASSERT_TRUE(ok);
    EXPECT_TRUE(*ok);
    EXPECT_FALSE(needs_rehash(*encoded, cost));
}

TEST(PasswordTest, MismatchIsFalseNotError) {
    auto encoded = hash_password(pw("right"), kFast);
    ASSERT_TRUE(encoded);
    auto ok = verify_password(*encoded, pw("wrong"));
    ASSERT_TRUE(ok) << ok.error().describe();
    EXPECT_FALSE(*ok);
    auto empty = verify_password(*encoded, SecretBytes());
    ASSERT_TRUE(empty);
    EXPECT_FALSE(*empty);
}

TEST(PasswordTest, SaltMakesEachHashDifferent) {
    auto a = hash_password(pw("same"), kFast);
    auto b = hash_password(pw("same"), kFast);
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(*verify_password(*a, pw("same")));
    EXPECT_TRUE(*verify_password(*b, pw("same")));
}

TEST(PasswordTest, EmptyPasswordRoundTrips) {
    auto encoded = hash_password(SecretBytes(), kFast);
    ASSERT_TRUE(encoded);
    EXPECT_TRUE(*verify_password(*encoded, SecretBytes()));
    EXPECT_FALSE(*verify_password(*encoded, pw("x")));
}

TEST(PasswordTest, MalformedEncodedIsAnError) {
    auto good = hash_password(pw("pw"), kFast);
    ASSERT_TRUE(good);
    const std::string truncated = good->substr(0, good->size() / 2);
    std::string bad_b64 = *good;
    bad_b64.back() = '!';
    for (const std::string& bad :
         {std::string(), std::string("plaintext"), std::string("$argon2id$v=19$m=x"), truncated,
          bad_b64, std::string("$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaA"),
          std::string(200, 'a'), *good + std::string(1, '\0')}) {
        auto r = verify_password(bad, pw("pw"));
        ASSERT_FALSE(r) << "accepted: " << bad;
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
    }
}

TEST(PasswordTest, NeedsRehashWhenCostChanges) {
    auto encoded = hash_password(pw("pw"), kFast);
    ASSERT_TRUE(encoded);
    EXPECT_FALSE(needs_rehash(*encoded, kFast));
    EXPECT_TRUE(needs_rehash(*encoded, PasswordCost{}));
    EXPECT_TRUE(needs_rehash(*encoded, PasswordCost{2, kFast.mem_bytes}));
    EXPECT_TRUE(needs_rehash("not a hash", kFast));
}

TEST(PasswordTest, CostBelowMinimumIsRefused) {
    auto r = hash_password(pw("pw"), PasswordCost{0, 1024});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::crypto
