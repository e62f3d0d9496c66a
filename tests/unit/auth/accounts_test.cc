#include "auth/accounts.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "../support/account_world.h"
#include "crypto/totp.h"

namespace hearth::auth {
namespace {

using namespace std::chrono_literals;
using Status = LoginOutcome::Status;

constexpr std::int64_t kT0 = 1'800'000'000LL * 1'000'000;
using hearth::testing::kTestCost;
using hearth::testing::secret;
const char* const kOwnerPass = "violet-kettle-orbit-9-sparrow";
const char* const kMemberPass = "granite lantern quietly 42 marsh";

class AccountsTest : public ::testing::Test {
protected:
    hearth::testing::AccountWorld world_{kT0};
    std::filesystem::path& dir_ = world_.dir;
    core::FakeClock& clock_ = world_.clock;
    std::unique_ptr<store::Index>& index_ = world_.index;
    std::unique_ptr<store::AuditLog>& audit_ = world_.audit;
    std::unique_ptr<store::AccountStore>& store_ = world_.store;
    std::unique_ptr<AccountService>& accounts_ = world_.accounts;
    Origin origin_{"192.0.2.10", "test"};

    Principal make_owner(const std::string& name = "olivia") {
        auto code = accounts_->issue_setup_code();
        EXPECT_TRUE(code && *code);
        auto who = accounts_->complete_setup(**code, name, secret(kOwnerPass), origin_);
        EXPECT_TRUE(who) << who.error().describe();
        return *who;
    }

    // Turns TOTP on for `name` (logged in with kOwnerPass); returns the shared secret.
    crypto::SecretBytes enable_totp(const std::string& name) {
        auto a = login(name, kOwnerPass);
        auto who = *accounts_->authenticate(a.token);
        auto enrol = accounts_->begin_totp(who);
        auto key = crypto::base32_decode(enrol->secret_base32);
        EXPECT_TRUE(accounts_->confirm_totp(
            who, crypto::totp_code(*key, clock_.now_us() / 1'000'000), origin_));
        return std::move(*key);
    }

    LoginOutcome login(const std::string& name, const std::string& pass,
                       const std::string& code = {}, const std::string& device = {},
                       const std::string& address = "192.0.2.10") {
        LoginRequest r;
        r.username = name;
        r.password = secret(pass);
        r.second_factor = code;
        r.device_cookie = device;
        r.origin = {address, "test"};
        return accounts_->login(std::move(r));
    }

    std::vector<std::string> audit_actions() {
        store::AuditQuery q;
        q.limit = 10000;
        auto entries = audit_->query(q);
        std::vector<std::string> out;
        for (auto it = entries->rbegin(); it != entries->rend(); ++it) {
            out.push_back(it->action);
        }
        return out;
    }

};

TEST_F(AccountsTest, SetupNeedsTheOneTimeCodeAndWorksOnce) {
    ASSERT_TRUE(*accounts_->needs_setup());
    auto code = accounts_->issue_setup_code();
    ASSERT_TRUE(code && *code);
    EXPECT_EQ((*code)->size(), 23u);  // XXXXX-XXXXX-XXXXX-XXXXX

    auto wrong = accounts_->complete_setup("AAAAA-AAAAA-AAAAA-AAAAA", "olivia",
                                           secret(kOwnerPass), origin_);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, core::ErrorCode::kPermissionDenied);

    auto weak = accounts_->complete_setup(**code, "olivia", secret("password1234"), origin_);
    ASSERT_FALSE(weak);
    EXPECT_EQ(weak.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_FALSE(weak.error().message.empty());

    // Typed in lower case without dashes still counts.
    std::string typed;
    for (const char c : **code) {
        if (c != '-') typed += static_cast<char>(std::tolower(c));
    }
    auto who = accounts_->complete_setup(typed, "olivia", secret(kOwnerPass), origin_);
    ASSERT_TRUE(who) << who.error().describe();
    EXPECT_EQ(who->role, Role::kOwner);

    auto again = accounts_->complete_setup(**code, "mallory", secret(kMemberPass), origin_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::ErrorCode::kAlreadyExists);
    EXPECT_FALSE(*accounts_->issue_setup_code());
    EXPECT_FALSE(*store_->setting("setup.code_sha256"));
}

TEST_F(AccountsTest, SetupCodeExpiresAfterThirtyMinutes) {
    auto code = accounts_->issue_setup_code();
    clock_.advance(31min);
    auto late = accounts_->complete_setup(**code, "olivia", secret(kOwnerPass), origin_);
    ASSERT_FALSE(late);
    EXPECT_NE(late.error().message.find("expired"), std::string::npos);
}

TEST_F(AccountsTest, SetupCodeGuessingIsThrottled) {
    (void)accounts_->issue_setup_code();
    int throttled = 0;
    for (int i = 0; i < 20; ++i) {
        auto r = accounts_->complete_setup("AAAAA-AAAAA-AAAAA-AAAA" + std::string(1, 'A' + i % 26),
                                           "olivia", secret(kOwnerPass), origin_);
        throttled += !r && r.error().code == core::ErrorCode::kResourceExhausted ? 1 : 0;
    }
    EXPECT_GE(throttled, 15);
}

TEST_F(AccountsTest, LoginGivesOneAnswerForUnknownUserAndWrongPassphrase) {
    make_owner();
    const auto unknown = login("nobody", kOwnerPass, {}, {}, "192.0.2.1");
    const auto wrong = login("olivia", "not-the-passphrase", {}, {}, "192.0.2.2");
    EXPECT_EQ(unknown.status, Status::kRejected);
    EXPECT_EQ(wrong.status, Status::kRejected);
    // Both ran Argon2id, so neither answers faster.
    EXPECT_EQ(accounts_->evaluations("nobody"), 1);
    EXPECT_EQ(accounts_->evaluations("olivia"), 1);
    const auto ok = login("Olivia", kOwnerPass);
    ASSERT_EQ(ok.status, Status::kOk);
    EXPECT_EQ(ok.token.size(), 43u);  // 256 bits, base64url
    EXPECT_FALSE(ok.device_cookie.empty());
    const auto actions = audit_actions();
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "login.failed"), 2);
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "login.success"), 1);
}

TEST_F(AccountsTest, SessionTokensAreStoredOnlyAsHashes) {
    make_owner();
    const auto ok = login("olivia", kOwnerPass);
    ASSERT_EQ(ok.status, Status::kOk);
    world_.close();
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream all;
        all << in.rdbuf();
        EXPECT_EQ(all.str().find(ok.token), std::string::npos) << entry.path();
        EXPECT_EQ(all.str().find(kOwnerPass), std::string::npos) << entry.path();
    }
    world_.open();
}

TEST_F(AccountsTest, SessionsEndAtIdleAndAbsoluteTimeouts) {
    make_owner();
    auto a = login("olivia", kOwnerPass);
    ASSERT_TRUE(accounts_->authenticate(a.token));
    clock_.advance(std::chrono::microseconds(accounts_->policy().session_idle_us) + 1s);
    auto idle = accounts_->authenticate(a.token);
    ASSERT_FALSE(idle);
    EXPECT_EQ(idle.error().code, core::ErrorCode::kUnauthenticated);

    auto b = login("olivia", kOwnerPass);
    for (int day = 0; day < 31; ++day) {  // used every day, still ends after 30 days
        clock_.advance(24h);
        if (!accounts_->authenticate(b.token)) {
            EXPECT_GE(day, 29);
            return;
        }
    }
    FAIL() << "the session outlived its absolute timeout";
}

TEST_F(AccountsTest, LogoutAndRevokeEndSessions) {
    const auto owner = make_owner();
    auto a = login("olivia", kOwnerPass);
    auto b = login("olivia", kOwnerPass);
    auto who_a = accounts_->authenticate(a.token);
    ASSERT_TRUE(who_a);
    auto list = accounts_->sessions(*who_a);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    const auto other = (*list)[0].current ? (*list)[1] : (*list)[0];
    ASSERT_TRUE(accounts_->revoke_session(*who_a, other.record.id, origin_));
    EXPECT_FALSE(accounts_->authenticate(b.token));
    ASSERT_TRUE(accounts_->logout(*who_a, origin_));
    EXPECT_FALSE(accounts_->authenticate(a.token));
    (void)owner;
}

TEST_F(AccountsTest, PasswordChangeEndsEveryOtherSession) {
    make_owner();
    auto a = login("olivia", kOwnerPass);
    auto b = login("olivia", kOwnerPass);
    auto who = accounts_->authenticate(a.token);
    ASSERT_TRUE(who);
    auto weak = accounts_->change_password(*who, secret(kOwnerPass), secret("olivia-olivia-1"),
                                           origin_);
    EXPECT_FALSE(weak);
    auto bad_old = accounts_->change_password(*who, secret("wrong"), secret(kMemberPass), origin_);
    ASSERT_FALSE(bad_old);
    EXPECT_EQ(bad_old.error().code, core::ErrorCode::kUnauthenticated);
    ASSERT_TRUE(accounts_->change_password(*who, secret(kOwnerPass), secret(kMemberPass), origin_));
    EXPECT_TRUE(accounts_->authenticate(a.token));
    EXPECT_FALSE(accounts_->authenticate(b.token));
    EXPECT_EQ(login("olivia", kOwnerPass).status, Status::kRejected);
    EXPECT_EQ(login("olivia", kMemberPass).status, Status::kOk);
}

TEST_F(AccountsTest, ReauthenticationOpensAShortWindow) {
    make_owner();
    auto a = login("olivia", kOwnerPass);
    auto who = *accounts_->authenticate(a.token);
    EXPECT_TRUE(accounts_->recently_authenticated(who));  // logging in is a proof
    clock_.advance(6min);
    who = *accounts_->authenticate(a.token);
    EXPECT_FALSE(accounts_->recently_authenticated(who));
    EXPECT_FALSE(accounts_->reauthenticate(who, secret("wrong"), {}, origin_));
    ASSERT_TRUE(accounts_->reauthenticate(who, secret(kOwnerPass), {}, origin_));
    who = *accounts_->authenticate(a.token);
    EXPECT_TRUE(accounts_->recently_authenticated(who));
}

TEST_F(AccountsTest, TotpEnrolmentLoginReplayAndRecoveryCodes) {
    make_owner();
    auto a = login("olivia", kOwnerPass);
    auto who = *accounts_->authenticate(a.token);
    auto enrol = accounts_->begin_totp(who);
    ASSERT_TRUE(enrol);
    EXPECT_EQ(enrol->otpauth_uri.rfind("otpauth://totp/Hearth:olivia?", 0), 0u);
    auto key = crypto::base32_decode(enrol->secret_base32);
    ASSERT_TRUE(key);
    EXPECT_FALSE(accounts_->confirm_totp(who, "000000", origin_) &&
                 crypto::totp_code(*key, clock_.now_us() / 1'000'000) != "000000");
    const auto now_code = crypto::totp_code(*key, clock_.now_us() / 1'000'000);
    auto codes = accounts_->confirm_totp(who, now_code, origin_);
    ASSERT_TRUE(codes) << codes.error().describe();
    ASSERT_EQ(codes->size(), 10u);

    EXPECT_EQ(login("olivia", kOwnerPass).status, Status::kSecondFactorNeeded);
    // The code used to enrol cannot be used again.
    EXPECT_EQ(login("olivia", kOwnerPass, now_code).status, Status::kSecondFactorWrong);
    clock_.advance(30s);
    const auto next = crypto::totp_code(*key, clock_.now_us() / 1'000'000);
    EXPECT_EQ(login("olivia", kOwnerPass, next).status, Status::kOk);
    EXPECT_EQ(login("olivia", kOwnerPass, next).status, Status::kSecondFactorWrong);  // replay
    // A recovery code works once, in any case, with or without its dash.
    std::string upper = (*codes)[0];
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    EXPECT_EQ(login("olivia", kOwnerPass, upper).status, Status::kOk);
    EXPECT_EQ(login("olivia", kOwnerPass, (*codes)[0]).status, Status::kSecondFactorWrong);
    // A wrong passphrase with a right code still fails as a plain rejection.
    clock_.advance(30s);
    EXPECT_EQ(login("olivia", "wrong", crypto::totp_code(*key, clock_.now_us() / 1'000'000)).status,
              Status::kRejected);
}

TEST_F(AccountsTest, OldHashesAreUpgradedAtLogin) {
    make_owner();
    auto user = *store_->find_user("olivia");
    auto weak_hash = crypto::hash_password(secret(kOwnerPass), {1, 16 * 1024});
    ASSERT_TRUE(store_->rehash_password(user.id, *weak_hash));
    ASSERT_TRUE(crypto::needs_rehash(store_->find_user("olivia")->password_hash, kTestCost));
    EXPECT_EQ(login("olivia", kOwnerPass).status, Status::kOk);
    EXPECT_FALSE(crypto::needs_rehash(store_->find_user("olivia")->password_hash, kTestCost));
}

TEST_F(AccountsTest, UsersRolesAndTheLastOwner) {
    const auto owner = make_owner();
    NewUser guest;
    guest.name = "gina";
    guest.role = Role::kGuest;
    guest.password = secret(kMemberPass);
    guest.rights = {{1, bit(Right::kLive) | bit(Right::kPtz)}};
    auto refused = accounts_->add_user("olivia", guest, origin_);
    ASSERT_FALSE(refused);  // a guest may never steer a camera
    guest.rights = {{1, bit(Right::kLive)}};
    auto gid = accounts_->add_user("olivia", guest, origin_);
    ASSERT_TRUE(gid) << gid.error().describe();
    auto g = login("gina", kMemberPass);
    ASSERT_EQ(g.status, Status::kOk);
    EXPECT_TRUE(g.principal.can(Right::kLive, core::CameraId(1)));
    EXPECT_FALSE(g.principal.can(Right::kRecordings, core::CameraId(1)));
    EXPECT_FALSE(g.principal.sees(core::CameraId(2)));

    NewUser same_name;
    same_name.name = "GINA";
    same_name.role = Role::kMember;
    same_name.password = secret(kMemberPass);
    EXPECT_FALSE(accounts_->add_user("olivia", same_name, origin_));
    NewUser bad_name;
    bad_name.name = "gina smith";
    bad_name.role = Role::kMember;
    bad_name.password = secret(kMemberPass);
    EXPECT_FALSE(accounts_->add_user("olivia", bad_name, origin_));

    EXPECT_FALSE(accounts_->remove_user("olivia", owner.user, origin_));
    EXPECT_FALSE(accounts_->set_role("olivia", owner.user, Role::kMember, origin_));
    ASSERT_TRUE(accounts_->set_role("olivia", *gid, Role::kMember, origin_));
    ASSERT_TRUE(accounts_->set_rights("olivia", *gid, {{0, kAllRights}}, origin_));
    ASSERT_TRUE(accounts_->set_role("olivia", *gid, Role::kOwner, origin_));
    ASSERT_TRUE(accounts_->remove_user("gina", owner.user, origin_));  // another owner exists
    EXPECT_EQ(login("olivia", kOwnerPass).status, Status::kRejected);
    const auto actions = audit_actions();
    for (const char* a : {"user.add", "user.role", "user.rights", "user.remove"}) {
        EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;
    }
}

TEST_F(AccountsTest, AKnownDeviceLogsInDuringAnAttack) {
    make_owner();
    const auto first = login("olivia", kOwnerPass, {}, {}, "192.0.2.10");
    ASSERT_EQ(first.status, Status::kOk);
    for (int i = 0; i < 30; ++i) {
        (void)login("olivia", "guess-" + std::to_string(i), {}, {}, "198.51.100.66");
    }
    EXPECT_LE(accounts_->evaluations("olivia"), 1 + 3 + 0);
    EXPECT_EQ(login("olivia", kOwnerPass, {}, {}, "192.0.2.10").status, Status::kThrottled);
    EXPECT_EQ(login("olivia", kOwnerPass, {}, first.device_cookie, "192.0.2.10").status,
              Status::kOk);
    auto events = index_->events(std::nullopt, 10);
    ASSERT_TRUE(events);
    bool burst = false;
    for (const auto& e : *events) {
        burst = burst || (e.kind == "auth.login_burst" &&
                          e.detail.find("198.51.100.66") != std::string::npos);
    }
    EXPECT_TRUE(burst);
}

TEST_F(AccountsTest, SecondFactorGuessesAreThrottledEvenWithTheRightPassphrase) {
    make_owner();
    auto key = enable_totp("olivia");
    int evaluated_codes = 0;
    for (int i = 0; i < 40; ++i) {
        // Someone with the phished passphrase alternates code guesses with "no code" logins.
        auto no_code = login("olivia", kOwnerPass, {}, {}, "198.51.100." + std::to_string(i));
        auto guess = login("olivia", kOwnerPass, "000000", {}, "198.51.100." + std::to_string(i));
        evaluated_codes += guess.status == Status::kSecondFactorWrong ? 1 : 0;
        (void)no_code;
        clock_.advance(1s);
    }
    EXPECT_LE(evaluated_codes, 8);
}

TEST_F(AccountsTest, OneCodeRacedInTwiceLogsInOnce) {
    make_owner();
    auto key = enable_totp("olivia");
    clock_.advance(30s);
    const auto code = crypto::totp_code(key, clock_.now_us() / 1'000'000);
    std::atomic<int> ok{0};
    std::vector<std::thread> racers;
    for (int i = 0; i < 4; ++i) {
        racers.emplace_back([&, i] {
            if (login("olivia", kOwnerPass, code, {}, "192.0.2." + std::to_string(20 + i)).status ==
                Status::kOk) {
                ++ok;
            }
        });
    }
    for (auto& t : racers) {
        t.join();
    }
    EXPECT_EQ(ok.load(), 1);
}

TEST_F(AccountsTest, TwoOwnersDemotingEachOtherAtOnceLeaveAnOwner) {
    const auto olivia = make_owner();
    NewUser second;
    second.name = "oscar";
    second.role = Role::kOwner;
    second.password = secret(kMemberPass);
    auto oscar = accounts_->add_user("olivia", second, origin_);
    ASSERT_TRUE(oscar);
    std::thread a([&] { (void)accounts_->set_role("oscar", olivia.user, Role::kMember, origin_); });
    std::thread b([&] { (void)accounts_->remove_user("olivia", *oscar, origin_); });
    a.join();
    b.join();
    EXPECT_GE(*store_->count_owners(), 1);
}

TEST_F(AccountsTest, ARoleAndRightsChangeIsCheckedAsAWhole) {
    make_owner();
    NewUser mark;
    mark.name = "mark";
    mark.role = Role::kMember;
    mark.password = secret(kMemberPass);
    mark.rights = {{0, bit(Right::kLive) | bit(Right::kPtz)}};
    auto id = accounts_->add_user("olivia", mark, origin_);
    ASSERT_TRUE(id);
    // To guest while keeping ptz: refused, and nothing changed.
    EXPECT_FALSE(accounts_->update_user("olivia", *id, Role::kGuest, std::nullopt, origin_));
    EXPECT_EQ(store_->get_user(*id)->role, "member");
    // To guest with live only, in one change: fine.
    ASSERT_TRUE(accounts_->update_user("olivia", *id, Role::kGuest,
                                       store::CameraRights{{0, bit(Right::kLive)}}, origin_));
    EXPECT_EQ(store_->get_user(*id)->role, "guest");
    EXPECT_EQ(store_->rights(*id)->at(0), bit(Right::kLive));
}

TEST_F(AccountsTest, NamesThatAreNotAccountsStayOutOfTheAuditLog) {
    make_owner();
    (void)login("my secret passphrase pasted here", kOwnerPass);
    store::AuditQuery q;
    q.action = "login.failed";
    auto entries = audit_->query(q);
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ((*entries)[0].actor, "(unknown user)");
    for (const auto& e : *entries) {
        EXPECT_EQ(e.detail.find("pasted"), std::string::npos);
    }
}

}  // namespace
}  // namespace hearth::auth

namespace hearth::auth {
namespace {

// TOTP seeds are sealed under the hub key: the database file never holds one in the clear,
// and a seed stored in the clear by an older version is sealed when the store opens.
TEST_F(AccountsTest, TotpSeedsAreSealedAtRest) {
    make_owner();
    auto seed = enable_totp("olivia");
    const auto stored = [&] {
        auto db = store::Database::open(dir_ / "hearth.db", store::Database::Mode::kReadWrite);
        (void)db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
        auto s = db->prepare("SELECT totp_secret FROM users WHERE name = 'olivia'");
        return s && *s->step() ? s->column_text(0) : std::string();
    };
    const auto file_holds_seed = [&] {
        std::ifstream in(dir_ / "hearth.db", std::ios::binary);
        const std::string file{std::istreambuf_iterator<char>(in), {}};
        return file.find(std::string(reinterpret_cast<const char*>(seed.data()), seed.size())) !=
               std::string::npos;
    };
    EXPECT_EQ(stored().rfind("sb1:", 0), 0u);
    EXPECT_FALSE(file_holds_seed());

    // An older hub's clear seed: sealed at the next start, and logins still work.
    {
        auto db = store::Database::open(dir_ / "hearth.db", store::Database::Mode::kReadWrite);
        auto put = db->prepare("UPDATE users SET totp_secret = ? WHERE name = 'olivia'");
        put->bind_blob(1, seed.view());
        ASSERT_TRUE(put->run());
    }
    world_.close();
    world_.open();
    EXPECT_EQ(stored().rfind("sb1:", 0), 0u);
    EXPECT_FALSE(file_holds_seed());
    clock_.advance(std::chrono::seconds(60));
    auto out = login("olivia", kOwnerPass, crypto::totp_code(seed, clock_.now_us() / 1'000'000));
    EXPECT_EQ(out.status, Status::kOk);
}

}  // namespace
}  // namespace hearth::auth
