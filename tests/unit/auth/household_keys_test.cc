// The household key's life through the account service: born at first start, handed to
// the owner at setup, opened by logins, wiped when the last session ends, re-wrapped on a
// passphrase change, gone with a removed user, and brought back by the recovery key.
#include "auth/household_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../support/account_world.h"
#include "crypto/chunk_cipher.h"

namespace hearth::auth {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000LL * 1'000'000;
using hearth::testing::kTestCost;
using hearth::testing::secret;
const char* const kOwnerPass = "violet-kettle-orbit-9-sparrow";
const char* const kMemberPass = "granite lantern quietly 42 marsh";
const char* const kNewPass = "copper meadow whistle 7 harbour";

class HouseholdKeysTest : public ::testing::Test {
protected:
    hearth::testing::AccountWorld world_{kT0};
    Origin origin_{"192.0.2.10", "test"};

    HouseholdKeys& keys() { return *world_.household; }
    AccountService& accounts() { return *world_.accounts; }

    // A segment key sealed to the household, as the recorder does it.
    std::vector<std::uint8_t> sealed_segment_key() {
        auto key = crypto::SecretBytes::random(crypto::kChunkKeyBytes);
        return crypto::seal_to(keys().public_key(), key->view());
    }

    Principal setup_owner(crypto::SecretBytes* recovery) {
        auto code = accounts().issue_setup_code();
        auto who = accounts().complete_setup(**code, "olivia", secret(kOwnerPass), origin_,
                                             recovery);
        EXPECT_TRUE(who) << who.error().describe();
        return *who;
    }

    LoginOutcome login(const std::string& name, const std::string& pass) {
        LoginRequest r;
        r.username = name;
        r.password = secret(pass);
        r.origin = origin_;
        return accounts().login(std::move(r));
    }

    bool can_open() { return static_cast<bool>(keys().open_sealed(sealed_segment_key())); }

    void restart() {
        world_.close();
        world_.open();
    }

    int wraps() {
        auto db = store::Database::open(world_.dir / "hearth.db", store::Database::Mode::kReadOnly);
        auto s = db->prepare("SELECT COUNT(*) FROM household_wraps");
        (void)s->step();
        return static_cast<int>(s->column_int(0));
    }
};

TEST_F(HouseholdKeysTest, BornAtFirstStartUnderASetupKeyOnlyTheHubUserReads) {
    const auto setup_key = keys().setup_key_path();
    struct stat st{};
    ASSERT_EQ(::stat(setup_key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(keys().unlocked());
    auto locked = keys().open_sealed(sealed_segment_key());
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_NE(locked.error().message.find("locked"), std::string::npos);
    // The same key pair after a restart: what was recorded stays readable.
    const auto pub = keys().public_key();
    restart();
    EXPECT_EQ(keys().public_key(), pub);
}

TEST_F(HouseholdKeysTest, SetupHandsTheKeyToTheOwnerAndDestroysTheSetupKey) {
    const auto before = sealed_segment_key();  // recorded before anyone existed
    crypto::SecretBytes recovery;
    setup_owner(&recovery);
    EXPECT_EQ(recovery.size(), 32u);
    EXPECT_FALSE(std::filesystem::exists(keys().setup_key_path()));
    EXPECT_EQ(wraps(), 2);  // the owner's and the recovery key's
    EXPECT_TRUE(keys().unlocked());
    EXPECT_TRUE(keys().open_sealed(before));

    // After a restart it is locked until the owner logs in.
    restart();
    EXPECT_FALSE(keys().unlocked());
    EXPECT_FALSE(keys().open_sealed(before));
    EXPECT_EQ(login("olivia", kOwnerPass).status, LoginOutcome::Status::kOk);
    EXPECT_TRUE(keys().open_sealed(before));
}

TEST_F(HouseholdKeysTest, TheLastSessionEndingWipesTheKey) {
    setup_owner(nullptr);
    auto a = login("olivia", kOwnerPass);
    auto b = login("olivia", kOwnerPass);
    auto who_a = *accounts().authenticate(a.token);
    auto who_b = *accounts().authenticate(b.token);
    ASSERT_TRUE(accounts().logout(who_a, origin_));
    EXPECT_TRUE(keys().unlocked());  // b still logged in
    ASSERT_TRUE(accounts().logout(who_b, origin_));
    EXPECT_FALSE(keys().unlocked());
    EXPECT_FALSE(can_open());

    // Timing out counts as ending too.
    login("olivia", kOwnerPass);
    EXPECT_TRUE(keys().unlocked());
    world_.clock.advance(std::chrono::microseconds(accounts().policy().session_idle_us + 1));
    ASSERT_TRUE(accounts().expire_sessions());
    EXPECT_FALSE(keys().unlocked());
}

TEST_F(HouseholdKeysTest, AMemberAddedFromTheCliGetsAWrapAtTheirFirstLoginWhileOpen) {
    setup_owner(nullptr);
    auto id = accounts().add_user("cli", {"max", Role::kMember, secret(kMemberPass), {}}, origin_);
    ASSERT_TRUE(id);
    restart();
    // Locked, and max holds no copy yet: logging in works, recordings stay locked.
    EXPECT_EQ(login("max", kMemberPass).status, LoginOutcome::Status::kOk);
    EXPECT_FALSE(keys().unlocked());
    // The owner opens it; max's next login adds his wrap; from then on he opens it alone.
    login("olivia", kOwnerPass);
    EXPECT_EQ(login("max", kMemberPass).status, LoginOutcome::Status::kOk);
    EXPECT_EQ(wraps(), 3);
    restart();
    login("max", kMemberPass);
    EXPECT_TRUE(keys().unlocked());
}

TEST_F(HouseholdKeysTest, APassphraseChangeRewrapsAndTheOldPassphraseOpensNothing) {
    setup_owner(nullptr);
    auto a = login("olivia", kOwnerPass);
    auto who = *accounts().authenticate(a.token);
    ASSERT_TRUE(accounts().change_password(who, secret(kOwnerPass), secret(kNewPass), origin_));
    auto wrap = world_.store->household_wrap(user_wrap_holder(who.user));
    ASSERT_TRUE(wrap && *wrap);
    EXPECT_FALSE(crypto::HouseholdKey::unwrap_with_passphrase(**wrap, secret(kOwnerPass),
                                                              keys().public_key(), kTestCost));
    EXPECT_TRUE(crypto::HouseholdKey::unwrap_with_passphrase(**wrap, secret(kNewPass),
                                                             keys().public_key(), kTestCost));
    restart();
    login("olivia", kNewPass);
    EXPECT_TRUE(keys().unlocked());
}

TEST_F(HouseholdKeysTest, RemovingAUserRemovesTheirWrap) {
    setup_owner(nullptr);
    auto id = accounts().add_user("olivia", {"max", Role::kMember, secret(kMemberPass), {}},
                                  origin_);
    login("max", kMemberPass);
    EXPECT_EQ(wraps(), 3);
    ASSERT_TRUE(accounts().remove_user("olivia", *id, origin_));
    EXPECT_EQ(wraps(), 2);
    EXPECT_FALSE(world_.store->household_wrap(user_wrap_holder(*id))->has_value());
}

TEST_F(HouseholdKeysTest, AnAdministratorResetDropsTheWrapUntilTheNextOpenLogin) {
    setup_owner(nullptr);
    auto id = accounts().add_user("olivia", {"max", Role::kMember, secret(kMemberPass), {}},
                                  origin_);
    login("max", kMemberPass);
    ASSERT_TRUE(accounts().reset_password("cli", *id, secret(kNewPass), origin_));
    EXPECT_FALSE(world_.store->household_wrap(user_wrap_holder(*id))->has_value());
}

TEST_F(HouseholdKeysTest, TheRecoveryKeySetsANewOwnerPassphraseAndOpensTheRecordings) {
    crypto::SecretBytes recovery;
    setup_owner(&recovery);
    const auto sealed = sealed_segment_key();
    restart();
    // A wrong key, a member's name and a weak passphrase are refused and change nothing.
    auto wrong = crypto::SecretBytes::random(32);
    auto refused = accounts().recover("olivia", *wrong, secret(kNewPass), origin_);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_FALSE(accounts().recover("nobody", recovery, secret(kNewPass), origin_));
    EXPECT_FALSE(accounts().recover("olivia", recovery, secret("password1"), origin_));
    EXPECT_EQ(login("olivia", kOwnerPass).status, LoginOutcome::Status::kOk);
    auto who = *accounts().authenticate(login("olivia", kOwnerPass).token);
    ASSERT_TRUE(accounts().logout(who, origin_));

    ASSERT_TRUE(accounts().recover("olivia", recovery, secret(kNewPass), origin_));
    EXPECT_EQ(login("olivia", kOwnerPass).status, LoginOutcome::Status::kRejected);
    restart();
    EXPECT_EQ(login("olivia", kNewPass).status, LoginOutcome::Status::kOk);
    EXPECT_TRUE(keys().open_sealed(sealed));

    // A new recovery key replaces the old one.
    auto fresh = accounts().new_recovery_key(who, origin_);
    ASSERT_TRUE(fresh);
    EXPECT_FALSE(accounts().recover("olivia", recovery, secret(kOwnerPass), origin_));
    EXPECT_TRUE(accounts().recover("olivia", *fresh, secret(kOwnerPass), origin_));
}

TEST_F(HouseholdKeysTest, SetupIsRefusedWhenTheSetupKeyIsGone) {
    std::filesystem::remove(keys().setup_key_path());
    auto code = accounts().issue_setup_code();
    auto who = accounts().complete_setup(**code, "olivia", secret(kOwnerPass), origin_);
    ASSERT_FALSE(who);
    EXPECT_NE(who.error().message.find("setup key"), std::string::npos);
    EXPECT_TRUE(*accounts().needs_setup());
}

}  // namespace
}  // namespace hearth::auth
