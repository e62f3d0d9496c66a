// Accounts in the index's SQLite file: users, their per-camera rights, TOTP
// seeds, recovery codes and login sessions. Policy (who may do what, timeouts,
// throttling) lives in auth/; this is storage only.
//
// Session tokens and recovery codes are stored only as SHA-256 hex; passwords as
// Argon2id strings. TOTP seeds must be readable to check codes before anyone is logged
// in, so they are sealed under the hub key (crypto::SecretBox, `<data>/hub.key`, as camera
// passwords are) and read into guarded memory.
//
// Thread-safety: every method is safe from any thread (one connection, one mutex).
//
// Example:
//     auto accounts = AccountStore::open(data_dir / "hearth.db");  // after Index::open
//     auto id = (*accounts)->add_user({.name = "alice", .role = "owner", ...});
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "crypto/secret.h"
#include "crypto/secret_box.h"
#include "store/sqlite.h"

namespace hearth::store {

inline constexpr std::size_t kMaxUserNameBytes = 64;

struct User {
    core::UserId id;
    std::string name;
    std::string role;           // "owner", "member" or "guest" (the table refuses others)
    std::string password_hash;  // Argon2id encoded string
    bool totp_enabled = false;
    std::int64_t totp_last_step = -1;
    core::WallMicros created_us = 0;
    core::WallMicros password_changed_us = 0;
};

// camera id 0: every camera, present and future. Rights are auth::Rights bits.
using CameraRights = std::map<std::int64_t, std::uint32_t>;

struct SessionRecord {
    core::SessionId id;
    core::UserId user;
    std::string token_hash;  // sha256_hex of the cookie value
    std::string csrf_token;
    core::WallMicros created_us = 0;
    core::WallMicros last_seen_us = 0;
    core::WallMicros reauth_us = 0;  // last time the user proved their password or TOTP
    std::string source;              // client address at login
    std::string user_agent;          // as sent at login, truncated
};

class AccountStore {
public:
    // Opens its own connection; the schema must exist (Index::open migrates it).
    static core::Result<std::unique_ptr<AccountStore>> open(const std::filesystem::path& db_path);

    // ---- users ----
    core::Result<std::int64_t> count_users();
    // kAlreadyExists when the name (case-insensitive) is taken.
    core::Result<core::UserId> add_user(const User& user, const CameraRights& rights);
    // The first account, atomically: kAlreadyExists when any user exists already.
    core::Result<core::UserId> add_first_user(const User& user);
    core::Result<User> get_user(core::UserId id);                  // kNotFound
    core::Result<User> find_user(std::string_view name);           // kNotFound; case-insensitive
    core::Result<std::vector<User>> list_users();
    core::Result<std::int64_t> count_owners();
    // Role and/or rights in one transaction. kFailedPrecondition when it would leave the hub
    // without an owner (checked in the same statement, so concurrent changes cannot race
    // past it), kNotFound for no such user.
    core::Status update_user(core::UserId id, std::optional<std::string> role,
                             std::optional<CameraRights> rights);
    // New passphrase hash and the end of every session of the user but `keep_session`, in
    // one transaction. Returns how many sessions ended.
    core::Result<int> set_password_hash(core::UserId id, std::string_view hash,
                                        core::WallMicros changed_us, core::SessionId keep_session);
    // Same hash, new parameters (upgrade at login): the change time stays.
    core::Status rehash_password(core::UserId id, std::string_view hash);
    // Sessions, rights and codes go with it. kFailedPrecondition for the last owner.
    core::Status remove_user(core::UserId id);

    core::Result<CameraRights> rights(core::UserId id);

    // ---- second factor ----
    core::Status set_totp_pending(core::UserId id, std::span<const std::uint8_t> secret);
    core::Result<crypto::SecretBytes> totp_pending(core::UserId id);  // kNotFound if none
    // Moves the pending secret into place and stores the recovery code hashes.
    core::Status enable_totp(core::UserId id, std::int64_t last_step,
                             const std::vector<std::string>& recovery_code_hashes);
    core::Status disable_totp(core::UserId id);  // also drops recovery codes
    core::Result<crypto::SecretBytes> totp_secret(core::UserId id);  // kNotFound if disabled
    // Records `step` as used; false when it (or a later one) was used already.
    core::Result<bool> advance_totp_step(core::UserId id, std::int64_t step);
    // Marks an unused recovery code used; false when there is no such unused code.
    core::Result<bool> use_recovery_code(core::UserId id, std::string_view code_hash,
                                         core::WallMicros now_us);
    core::Result<std::int64_t> unused_recovery_codes(core::UserId id);

    // ---- sessions ----
    core::Result<core::SessionId> add_session(const SessionRecord& session);
    core::Result<SessionRecord> find_session(std::string_view token_hash);  // kNotFound
    core::Result<std::vector<SessionRecord>> sessions(std::optional<core::UserId> user);
    core::Status touch_session(core::SessionId id, core::WallMicros last_seen_us);
    core::Status set_reauth(core::SessionId id, core::WallMicros at_us);
    // Returns how many rows went (0 when the session was not this user's).
    core::Result<int> remove_session(core::SessionId id, std::optional<core::UserId> user);
    // Every session of `user` except `keep` (may be invalid: all).
    core::Result<int> remove_sessions_of(core::UserId user, core::SessionId keep);
    // Sessions idle since before `idle_before` or created before `created_before`.
    core::Result<std::vector<SessionRecord>> remove_expired_sessions(
        core::WallMicros idle_before, core::WallMicros created_before);

    core::Result<std::int64_t> count_sessions();

    // ---- the household key's wraps (auth/household_keys.h) ----
    // `holder`: "user:<id>" (goes with that user), "recovery" or "setup".
    core::Result<std::optional<std::string>> household_wrap(std::string_view holder);
    // Adds or replaces; `user` may be invalid for a holder that is not an account.
    core::Status put_household_wrap(std::string_view holder, core::UserId user,
                                    std::string_view wrap, core::WallMicros now_us);
    core::Status delete_household_wrap(std::string_view holder);

    // ---- settings the accounts need (setup code, device-cookie key) ----
    core::Result<std::optional<std::string>> setting(std::string_view key);
    core::Status set_setting(std::string_view key, std::string_view value);
    core::Status delete_setting(std::string_view key);

private:
    AccountStore(Database db, std::shared_ptr<const crypto::SecretBox> box)
        : box_(std::move(box)), db_(std::move(db)) {}
    core::Status seal_plain_totp();

    std::shared_ptr<const crypto::SecretBox> box_;  // seals TOTP seeds at rest

    std::mutex mu_;
    Database db_;  // GUARDED_BY(mu_)
};

}  // namespace hearth::store
