// Accounts: first-run setup with a one-time code, login with throttling and a
// second factor, sessions with idle and absolute timeouts, re-authentication,
// passphrase changes, TOTP enrolment and user management. Every change and every
// login attempt that was evaluated goes to the audit log.
//
// Thread-safety: every method is safe from any thread. Methods that check or set
// a passphrase run Argon2id (tens to hundreds of milliseconds, 64 MiB): call them
// off the network threads (the API defers them to the hub's cpu pool).
//
// Example:
//     AccountService accounts(*store, audit, index, clock);
//     auto code = accounts.issue_setup_code();       // print it; nobody else knows it
//     auto outcome = accounts.login({.username = "alice", .password = std::move(pw), ...});
//     auto who = accounts.authenticate(outcome.token);
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "auth/permissions.h"
#include "auth/throttle.h"
#include "core/clock.h"
#include "crypto/password.h"
#include "crypto/secret.h"
#include "store/accounts.h"
#include "store/audit.h"
#include "store/index.h"

namespace hearth::auth {

class HouseholdKeys;

struct AccountPolicy {
    crypto::PasswordCost cost{};
    std::int64_t session_idle_us = 3LL * 24 * 3600 * 1'000'000;       // unused for 3 days
    std::int64_t session_absolute_us = 30LL * 24 * 3600 * 1'000'000;  // at most 30 days
    std::int64_t reauth_window_us = 5LL * 60 * 1'000'000;  // dangerous actions within 5 min
    std::int64_t setup_code_lifetime_us = 30LL * 60 * 1'000'000;
    std::int64_t touch_every_us = 60LL * 1'000'000;  // last-seen writes at most once a minute
    int recovery_codes = 10;
    ThrottlePolicy throttle{};
};

// What a caller says about where a request came from; goes to sessions and the audit.
struct Origin {
    std::string address;
    std::string user_agent;
};

struct LoginRequest {
    std::string username;
    crypto::SecretBytes password;
    std::string second_factor;  // six-digit TOTP code or a recovery code; may be empty
    std::string device_cookie;  // as presented; may be empty
    Origin origin;
};

struct LoginOutcome {
    enum class Status : std::uint8_t {
        kInvalid = 0,
        kOk,
        kRejected,             // wrong name or passphrase (one answer for both)
        kSecondFactorNeeded,   // passphrase right; ask for the code
        kSecondFactorWrong,
        kThrottled,            // not evaluated; retry_after_us says when
        kError,                // storage failed; nothing changed
    };
    Status status = Status::kInvalid;
    std::int64_t retry_after_us = 0;
    std::string token;          // session cookie value (only when kOk)
    std::string device_cookie;  // fresh device cookie (only when kOk)
    Principal principal;        // only when kOk
};

struct SessionInfo {
    store::SessionRecord record;
    bool current = false;
};

struct TotpEnrolment {
    std::string secret_base32;  // to type in by hand
    std::string otpauth_uri;    // for the QR code
};

struct NewUser {
    std::string name;
    Role role = Role::kInvalid;
    crypto::SecretBytes password;
    store::CameraRights rights;
};

class AccountService {
public:
    // Loads (or creates) the device-cookie key and hashes a dummy passphrase so that
    // an unknown user costs the same as a wrong passphrase.
    static core::Result<std::unique_ptr<AccountService>> open(store::AccountStore& store,
                                                              store::AuditLog& audit,
                                                              store::Index* events,
                                                              const core::Clock& clock,
                                                              AccountPolicy policy = {});

    // ---- first run ----
    // A fresh one-time setup code when no account exists (replacing any earlier one),
    // or nullopt when the hub is set up.
    core::Result<std::optional<std::string>> issue_setup_code();
    core::Result<bool> needs_setup();
    // Creates the owner. kPermissionDenied for a wrong or expired code (throttled like
    // a login), kAlreadyExists when set up, kInvalidArgument for a weak passphrase.
    // With household keys attached, the owner receives the household key and
    // `*recovery_key` (if given) the recovery key, to show once.
    core::Result<Principal> complete_setup(std::string_view code, std::string_view username,
                                           const crypto::SecretBytes& password,
                                           const Origin& origin,
                                           crypto::SecretBytes* recovery_key = nullptr);

    // ---- sessions ----
    LoginOutcome login(LoginRequest request);
    // Creates a session for `user` (after setup or login). Returns the cookie value.
    core::Result<std::string> start_session(const Principal& who, const Origin& origin,
                                            Principal* filled);
    // kUnauthenticated when the token is unknown or timed out.
    // `touch`: this is the user's activity (a request), which keeps an idle session alive;
    // false for the periodic checks of open sockets, which must not.
    core::Result<Principal> authenticate(std::string_view token, bool touch = true);
    core::Status logout(const Principal& who, const Origin& origin);
    core::Result<std::vector<SessionInfo>> sessions(const Principal& who);
    // Ends one of the caller's own sessions. kNotFound when it is not theirs.
    core::Status revoke_session(const Principal& who, core::SessionId id, const Origin& origin);
    // Ends sessions past their timeouts; returns how many.
    core::Result<int> expire_sessions();

    // ---- proving it is really them ----
    // Passphrase or a TOTP/recovery code. kUnauthenticated when wrong, kResourceExhausted
    // when throttled. On success the session may do dangerous things for a while.
    core::Status reauthenticate(Principal& who, const crypto::SecretBytes& password,
                                std::string_view second_factor, const Origin& origin);
    bool recently_authenticated(const Principal& who) const;
    // Checks the old passphrase, applies the policy, ends every other session.
    core::Status change_password(const Principal& who, const crypto::SecretBytes& old_password,
                                 const crypto::SecretBytes& new_password, const Origin& origin);

    // ---- second factor ----
    core::Result<TotpEnrolment> begin_totp(const Principal& who);
    // Turns TOTP on; returns the recovery codes (shown once).
    core::Result<std::vector<std::string>> confirm_totp(const Principal& who,
                                                        std::string_view code,
                                                        const Origin& origin);
    core::Status disable_totp(const Principal& who, const Origin& origin);

    // ---- users (owner) ----
    core::Result<core::UserId> add_user(std::string_view actor, const NewUser& user,
                                        const Origin& origin);
    core::Result<std::vector<store::User>> users();
    core::Result<store::CameraRights> rights_of(core::UserId id) { return store_.rights(id); }
    // Role and/or rights at once; the result must be valid as a whole, and the hub keeps an
    // owner (kFailedPrecondition otherwise).
    core::Status update_user(std::string_view actor, core::UserId id, std::optional<Role> role,
                             std::optional<store::CameraRights> rights, const Origin& origin);
    core::Status set_role(std::string_view actor, core::UserId id, Role role,
                          const Origin& origin);
    core::Status set_rights(std::string_view actor, core::UserId id,
                            const store::CameraRights& rights, const Origin& origin);
    // Sets a user's passphrase as an administrator (CLI `user passwd`): ends their sessions.
    core::Status reset_password(std::string_view actor, core::UserId id,
                                const crypto::SecretBytes& password, const Origin& origin);
    core::Status remove_user(std::string_view actor, core::UserId id, const Origin& origin);
    // Logs the account out everywhere (a lost phone): every session of `id` ends, and its
    // open live views close within seconds. Returns how many ended. Errors: kNotFound.
    core::Result<int> end_sessions_of(std::string_view actor, core::UserId id,
                                      const Origin& origin);

    // ---- the household key (recordings) ----
    // Logins and re-authentications open it, passphrase changes re-wrap it, and it is wiped
    // when the last session ends. Without it attached, accounts work alone (tests, tools).
    void attach_household_keys(HouseholdKeys* keys) { keys_ = keys; }
    // Sets an owner's new passphrase with the recovery key (a forgotten passphrase); their
    // sessions end. Throttled. kPermissionDenied for a wrong key or a name that is no owner.
    core::Status recover(std::string_view username, const crypto::SecretBytes& recovery_key,
                         const crypto::SecretBytes& new_password, const Origin& origin);
    // A fresh recovery key replacing the earlier one; the key must be unlocked.
    core::Result<crypto::SecretBytes> new_recovery_key(const Principal& who, const Origin& origin);

    const AccountPolicy& policy() const { return policy_; }
    // A device cookie for `username`'s device, e.g. right after setup on it.
    std::string device_cookie_for(std::string_view username) const;
    // How many times Argon2id ran for logins of `account` (lower case), since start.
    std::int64_t evaluations(const std::string& account);

private:
    AccountService(store::AccountStore& store, store::AuditLog& audit, store::Index* events,
                   const core::Clock& clock, AccountPolicy policy, crypto::SecretBytes device_key,
                   std::string dummy_hash)
        : store_(store),
          audit_(audit),
          events_(events),
          clock_(clock),
          policy_(policy),
          throttle_(clock, policy.throttle),
          devices_(std::move(device_key)),
          dummy_hash_(std::move(dummy_hash)) {}

    core::Result<Principal> principal_for(const store::User& user);
    void open_household_key(const Principal& who, const crypto::SecretBytes& password,
                            const Origin& origin);
    void lock_if_nobody_logged_in();
    // Checks a TOTP code or recovery code for `user`. kUnauthenticated when wrong.
    core::Status check_second_factor(const store::User& user, std::string_view code);
    core::Result<bool> verify(const store::User* user, const crypto::SecretBytes& password);
    void audit(std::string_view actor, std::string_view action, std::string_view target,
               const Origin& origin, std::string_view detail = {});
    void note_burst(const LoginThrottle::Outcome& outcome, const Origin& origin);

    store::AccountStore& store_;
    store::AuditLog& audit_;
    store::Index* events_;
    const core::Clock& clock_;
    const AccountPolicy policy_;
    LoginThrottle throttle_;
    DeviceCookies devices_;
    const std::string dummy_hash_;
    HouseholdKeys* keys_ = nullptr;  // set once before use

    std::mutex counts_mu_;
    std::unordered_map<std::string, std::int64_t> evaluations_;  // GUARDED_BY(counts_mu_)
};

// Lower-case ASCII form used as the throttle key and for name comparisons.
std::string account_key(std::string_view username);
// User names: 1-64 characters of letters, digits, '.', '-', '_' (no spaces or '@', so
// they read the same in logs, URLs and the audit log).
core::Status check_user_name(std::string_view name);

}  // namespace hearth::auth
