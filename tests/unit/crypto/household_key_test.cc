#include "crypto/household_key.h"

#include <gtest/gtest.h>

namespace hearth::crypto {
namespace {

// Cheap Argon2id for tests; the hub uses PasswordCost{}.
constexpr PasswordCost kFast{1, 8 * 1024};

SecretBytes secret(std::string_view s) { return std::move(SecretBytes::copy_of(s)).value(); }

TEST(HouseholdKeyTest, SealedKeysOpenOnlyWithTheHouseholdsPrivateKey) {
    auto home = HouseholdKey::generate();
    auto other = HouseholdKey::generate();
    ASSERT_TRUE(home && other);
    auto segment_key = SecretBytes::random(32);
    ASSERT_TRUE(segment_key);
    const auto sealed = seal_to(home->public_key(), segment_key->view());
    auto opened = home->open_sealed(sealed);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->equals(*segment_key));
    EXPECT_EQ(other->open_sealed(sealed).error().code, core::ErrorCode::kPermissionDenied);
    auto altered = sealed;
    altered[40] ^= 1;
    EXPECT_EQ(home->open_sealed(altered).error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_EQ(home->open_sealed(std::span(sealed).first(10)).error().code,
              core::ErrorCode::kInvalidArgument);
}

TEST(HouseholdKeyTest, PassphraseWrapsOpenWithThePassphraseOnly) {
    auto home = HouseholdKey::generate();
    ASSERT_TRUE(home);
    auto wrap = home->wrap_with_passphrase(secret("quiet-harbour-lantern-41"), kFast);
    ASSERT_TRUE(wrap);
    EXPECT_TRUE(wrap->starts_with("hk1:"));
    auto back = HouseholdKey::unwrap_with_passphrase(*wrap, secret("quiet-harbour-lantern-41"),
                                                     home->public_key(), kFast);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(back->public_key(), home->public_key());
    // What the unwrapped key opens is what the original sealed.
    auto k = SecretBytes::random(32);
    ASSERT_TRUE(back->open_sealed(seal_to(home->public_key(), k->view())));

    EXPECT_EQ(
        HouseholdKey::unwrap_with_passphrase(*wrap, secret("wrong"), home->public_key(), kFast)
            .error()
            .code,
        core::ErrorCode::kPermissionDenied);
    // Another household's wrap is refused even with the right passphrase.
    auto other = HouseholdKey::generate();
    EXPECT_EQ(HouseholdKey::unwrap_with_passphrase(*wrap, secret("quiet-harbour-lantern-41"),
                                                   other->public_key(), kFast)
                  .error()
                  .code,
              core::ErrorCode::kPermissionDenied);
}

TEST(HouseholdKeyTest, KeyWrapsForTheRecoveryAndSetupKeys) {
    auto home = HouseholdKey::generate();
    auto recovery = SecretBytes::random(32);
    auto wrong = SecretBytes::random(32);
    ASSERT_TRUE(home && recovery && wrong);
    auto wrap = home->wrap_with_key(*recovery);
    ASSERT_TRUE(wrap);
    ASSERT_TRUE(HouseholdKey::unwrap_with_key(*wrap, *recovery, home->public_key()));
    EXPECT_EQ(HouseholdKey::unwrap_with_key(*wrap, *wrong, home->public_key()).error().code,
              core::ErrorCode::kPermissionDenied);
    // A key wrap is not a passphrase wrap, and garbage is not a wrap.
    EXPECT_EQ(HouseholdKey::unwrap_with_passphrase(*wrap, secret("x"), home->public_key(), kFast)
                  .error()
                  .code,
              core::ErrorCode::kInvalidArgument);
    for (const char* bad : {"", "hk1:", "hk1:!!!", "plain", "hk1:AAAA"}) {
        EXPECT_EQ(HouseholdKey::unwrap_with_key(bad, *recovery, home->public_key()).error().code,
                  core::ErrorCode::kInvalidArgument)
            << bad;
    }
    std::string altered = *wrap;
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(HouseholdKey::unwrap_with_key(altered, *recovery, home->public_key()));
    EXPECT_EQ(home->wrap_with_key(secret("short")).error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::crypto
