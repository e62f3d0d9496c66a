#include "store/accounts.h"

#include <tuple>

namespace hearth::store {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr const char* kUserColumns =
    "id, name, role, password_hash, totp_secret IS NOT NULL, totp_last_step, created_us, "
    "password_changed_us";
constexpr const char* kSessionColumns =
    "id, user_id, token_hash, csrf_token, created_us, last_seen_us, reauth_us, source, "
    "user_agent";

User read_user(const Statement& s) {
    User u;
    u.id = core::UserId(s.column_int(0));
    u.name = s.column_text(1);
    u.role = s.column_text(2);
    u.password_hash = s.column_text(3);
    u.totp_enabled = s.column_int(4) != 0;
    u.totp_last_step = s.column_int(5);
    u.created_us = s.column_int(6);
    u.password_changed_us = s.column_int(7);
    return u;
}

SessionRecord read_session(const Statement& s) {
    SessionRecord r;
    r.id = core::SessionId(s.column_int(0));
    r.user = core::UserId(s.column_int(1));
    r.token_hash = s.column_text(2);
    r.csrf_token = s.column_text(3);
    r.created_us = s.column_int(4);
    r.last_seen_us = s.column_int(5);
    r.reauth_us = s.column_int(6);
    r.source = s.column_text(7);
    r.user_agent = s.column_text(8);
    return r;
}

core::Status check_changed(Database& db, std::string_view what) {
    if (db.changes() == 0) {
        return make_error(ErrorCode::kNotFound, "no such " + std::string(what));
    }
    return {};
}

core::Status insert_rights(Database& db, core::UserId id, const CameraRights& rights) {
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db.prepare("INSERT INTO camera_rights (user_id, camera_id, rights) VALUES (?, ?, ?)"));
    for (const auto& [camera, bits] : rights) {
        if (bits == 0) {
            continue;
        }
        s.bind(1, id.value()).bind(2, camera).bind(3, static_cast<std::int64_t>(bits));
        HEARTH_TRY(s.run());
    }
    return {};
}

core::Result<core::UserId> insert_user(Database& db, const User& u) {
    if (u.name.empty() || u.name.size() > kMaxUserNameBytes) {
        return make_error(ErrorCode::kInvalidArgument, "user name must be 1 to " +
                                                           std::to_string(kMaxUserNameBytes) +
                                                           " bytes");
    }
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db.prepare("INSERT INTO users (name, role, password_hash, created_us, "
                           "password_changed_us) VALUES (?, ?, ?, ?, ?)"));
    s.bind(1, u.name).bind(2, u.role).bind(3, u.password_hash).bind(4, u.created_us);
    s.bind(5, u.password_changed_us ? u.password_changed_us : u.created_us);
    if (auto r = s.run(); !r) {
        if (r.error().code == ErrorCode::kAlreadyExists) {
            return make_error(ErrorCode::kAlreadyExists,
                              "a user named '" + u.name + "' already exists");
        }
        return r.error();
    }
    return core::UserId(db.last_insert_id());
}

// A TOTP seed: sealed text under the hub key (a seed stored as a bare blob by an older
// version is sealed when the store opens).
core::Result<crypto::SecretBytes> read_secret(Database& db, const crypto::SecretBox& box,
                                              const char* sql, core::UserId id,
                                              std::string_view missing) {
    HEARTH_ASSIGN_OR_RETURN(auto s, db.prepare(sql));
    s.bind(1, id.value());
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row || s.column_is_null(0)) {
        return make_error(ErrorCode::kNotFound, std::string(missing));
    }
    const auto raw = s.column_blob(0);
    const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
    if (crypto::SecretBox::is_sealed(text)) {
        return box.open(text);
    }
    return crypto::SecretBytes::copy_of(raw);
}

// Whether the user exists; for telling kNotFound from a refused change. Caller holds mu_.
core::Result<bool> user_exists(Database& db, core::UserId id) {
    HEARTH_ASSIGN_OR_RETURN(auto s, db.prepare("SELECT 1 FROM users WHERE id = ?"));
    s.bind(1, id.value());
    return s.step();
}

// Why a change that keeps an owner touched no row: the user is the last owner, or is gone.
core::Status last_owner_or_missing(Database& db, core::UserId id) {
    HEARTH_ASSIGN_OR_RETURN(const bool exists, user_exists(db, id));
    return exists ? make_error(ErrorCode::kFailedPrecondition,
                               "this is the only owner; make someone else owner first")
                  : make_error(ErrorCode::kNotFound, "no such user");
}

}  // namespace

core::Result<std::unique_ptr<AccountStore>> AccountStore::open(const std::filesystem::path& path) {
    HEARTH_ASSIGN_OR_RETURN(auto db, Database::open(path, Database::Mode::kReadWrite));
    if (!db.prepare("SELECT 1 FROM users LIMIT 0")) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the accounts tables are missing: open the index first");
    }
    // Deleted wraps and sessions are overwritten, not left in free pages.
    HEARTH_TRY(db.exec("PRAGMA secure_delete=ON"));
    HEARTH_ASSIGN_OR_RETURN(auto box,
                            crypto::SecretBox::load_or_create(path.parent_path() / "hub.key"));
    std::unique_ptr<AccountStore> store(new AccountStore(std::move(db), std::move(box)));
    HEARTH_TRY(store->seal_plain_totp());
    return store;
}

core::Status AccountStore::seal_plain_totp() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("SELECT id, totp_secret, totp_pending FROM users WHERE "
                            "typeof(totp_secret) = 'blob' OR typeof(totp_pending) = 'blob'"));
    std::vector<std::tuple<std::int64_t, std::string, std::string>> sealed;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        auto seal = [&](int col) {
            return s.column_is_null(col) ? std::string() : box_->seal(s.column_blob(col));
        };
        sealed.emplace_back(s.column_int(0), seal(1), seal(2));
    }
    s.reset();
    for (const auto& [id, secret, pending] : sealed) {
        HEARTH_ASSIGN_OR_RETURN(
            auto u, db_.prepare("UPDATE users SET totp_secret = CASE WHEN ?1 = '' THEN NULL ELSE "
                                "?1 END, totp_pending = CASE WHEN ?2 = '' THEN NULL ELSE ?2 END "
                                "WHERE id = ?3"));
        u.bind(1, secret).bind(2, pending).bind(3, id);
        HEARTH_TRY(u.run());
    }
    if (!sealed.empty()) {
        HEARTH_TRY(db_.exec("PRAGMA wal_checkpoint(TRUNCATE)"));  // no clear copy in the WAL
    }
    return {};
}

core::Result<std::int64_t> AccountStore::count_users() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT COUNT(*) FROM users"));
    HEARTH_TRY(s.step());
    return s.column_int(0);
}

core::Result<std::int64_t> AccountStore::count_owners() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT COUNT(*) FROM users WHERE role = 'owner'"));
    HEARTH_TRY(s.step());
    return s.column_int(0);
}

core::Result<core::UserId> AccountStore::add_user(const User& user, const CameraRights& rights) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(auto id, insert_user(db_, user));
    HEARTH_TRY(insert_rights(db_, id, rights));
    HEARTH_TRY(tx.commit());
    return id;
}

core::Result<core::UserId> AccountStore::add_first_user(const User& user) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);  // BEGIN IMMEDIATE: no second setup can slip in between
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT COUNT(*) FROM users"));
    HEARTH_TRY(s.step());
    if (s.column_int(0) != 0) {
        return make_error(ErrorCode::kAlreadyExists, "the hub is already set up");
    }
    s = Statement();
    HEARTH_ASSIGN_OR_RETURN(auto id, insert_user(db_, user));
    HEARTH_TRY(tx.commit());
    return id;
}

core::Result<User> AccountStore::get_user(core::UserId id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?"));
    s.bind(1, id.value());
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound, "no such user");
    }
    return read_user(s);
}

core::Result<User> AccountStore::find_user(std::string_view name) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?"));
    s.bind(1, name);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound, "no such user");
    }
    return read_user(s);
}

core::Result<std::vector<User>> AccountStore::list_users() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY id"));
    return collect_rows(s, read_user);
}

core::Status AccountStore::update_user(core::UserId id, std::optional<std::string> role,
                                       std::optional<CameraRights> rights) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    if (role) {
        // One statement, so two owners demoting each other at once cannot both win.
        HEARTH_ASSIGN_OR_RETURN(
            auto s, db_.prepare("UPDATE users SET role = ?1 WHERE id = ?2 AND (?1 = 'owner' OR "
                                "role <> 'owner' OR (SELECT COUNT(*) FROM users WHERE role = "
                                "'owner') > 1)"));
        s.bind(1, *role).bind(2, id.value());
        HEARTH_TRY(s.run());
        if (db_.changes() == 0) {
            return last_owner_or_missing(db_, id);
        }
    }
    if (rights) {
        HEARTH_ASSIGN_OR_RETURN(const bool exists, user_exists(db_, id));
        if (!exists) {
            return make_error(ErrorCode::kNotFound, "no such user");
        }
        HEARTH_ASSIGN_OR_RETURN(auto del,
                                db_.prepare("DELETE FROM camera_rights WHERE user_id = ?"));
        del.bind(1, id.value());
        HEARTH_TRY(del.run());
        HEARTH_TRY(insert_rights(db_, id, *rights));
    }
    return tx.commit();
}

core::Result<int> AccountStore::set_password_hash(core::UserId id, std::string_view hash,
                                                  core::WallMicros changed_us,
                                                  core::SessionId keep_session) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);  // the new hash and the end of old sessions go together
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(
        auto s,
        db_.prepare("UPDATE users SET password_hash = ?, password_changed_us = ? WHERE id = ?"));
    s.bind(1, hash).bind(2, changed_us).bind(3, id.value());
    HEARTH_TRY(s.run());
    HEARTH_TRY(check_changed(db_, "user"));
    HEARTH_ASSIGN_OR_RETURN(auto del,
                            db_.prepare("DELETE FROM sessions WHERE user_id = ? AND id != ?"));
    del.bind(1, id.value()).bind(2, keep_session.value());
    HEARTH_TRY(del.run());
    const int ended = db_.changes();
    HEARTH_TRY(tx.commit());
    return ended;
}

core::Status AccountStore::rehash_password(core::UserId id, std::string_view hash) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE users SET password_hash = ? WHERE id = ?"));
    s.bind(1, hash).bind(2, id.value());
    HEARTH_TRY(s.run());
    return check_changed(db_, "user");
}

core::Status AccountStore::remove_user(core::UserId id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("DELETE FROM users WHERE id = ? AND (role <> 'owner' OR "
                            "(SELECT COUNT(*) FROM users WHERE role = 'owner') > 1)"));
    s.bind(1, id.value());
    HEARTH_TRY(s.run());
    if (db_.changes() == 0) {
        return last_owner_or_missing(db_, id);
    }
    return {};
}

core::Result<CameraRights> AccountStore::rights(core::UserId id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("SELECT camera_id, rights FROM camera_rights WHERE user_id = ?"));
    s.bind(1, id.value());
    CameraRights out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            return out;
        }
        out[s.column_int(0)] = static_cast<std::uint32_t>(s.column_int(1));
    }
}


core::Status AccountStore::set_totp_pending(core::UserId id, std::span<const std::uint8_t> secret) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE users SET totp_pending = ? WHERE id = ?"));
    s.bind(1, box_->seal(secret)).bind(2, id.value());
    HEARTH_TRY(s.run());
    return check_changed(db_, "user");
}

core::Result<crypto::SecretBytes> AccountStore::totp_pending(core::UserId id) {
    std::lock_guard lock(mu_);
    return read_secret(db_, *box_, "SELECT totp_pending FROM users WHERE id = ?", id,
                       "no two-factor enrolment in progress");
}

core::Status AccountStore::enable_totp(core::UserId id, std::int64_t last_step,
                                       const std::vector<std::string>& code_hashes) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, "
                            "totp_last_step = ? WHERE id = ? AND totp_pending IS NOT NULL"));
    s.bind(1, last_step).bind(2, id.value());
    HEARTH_TRY(s.run());
    HEARTH_TRY(check_changed(db_, "two-factor enrolment"));
    HEARTH_ASSIGN_OR_RETURN(auto del, db_.prepare("DELETE FROM recovery_codes WHERE user_id = ?"));
    del.bind(1, id.value());
    HEARTH_TRY(del.run());
    HEARTH_ASSIGN_OR_RETURN(
        auto ins, db_.prepare("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)"));
    for (const auto& hash : code_hashes) {
        ins.bind(1, id.value()).bind(2, hash);
        HEARTH_TRY(ins.run());
    }
    return tx.commit();
}

core::Status AccountStore::disable_totp(core::UserId id) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE users SET totp_secret = NULL, totp_pending = NULL, "
                            "totp_last_step = -1 WHERE id = ?"));
    s.bind(1, id.value());
    HEARTH_TRY(s.run());
    HEARTH_TRY(check_changed(db_, "user"));
    HEARTH_ASSIGN_OR_RETURN(auto del, db_.prepare("DELETE FROM recovery_codes WHERE user_id = ?"));
    del.bind(1, id.value());
    HEARTH_TRY(del.run());
    return tx.commit();
}

core::Result<crypto::SecretBytes> AccountStore::totp_secret(core::UserId id) {
    std::lock_guard lock(mu_);
    return read_secret(db_, *box_, "SELECT totp_secret FROM users WHERE id = ?", id,
                       "two-factor authentication is not enabled");
}

core::Result<bool> AccountStore::advance_totp_step(core::UserId id, std::int64_t step) {
    std::lock_guard lock(mu_);
    // Only forwards, and only once per step: of two logins racing with one code, one wins.
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?"));
    s.bind(1, step).bind(2, id.value()).bind(3, step);
    HEARTH_TRY(s.run());
    return db_.changes() == 1;
}

core::Result<bool> AccountStore::use_recovery_code(core::UserId id, std::string_view code_hash,
                                                   core::WallMicros now_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE recovery_codes SET used_us = ? WHERE user_id = ? AND "
                            "code_hash = ? AND used_us = 0"));
    s.bind(1, now_us).bind(2, id.value()).bind(3, code_hash);
    HEARTH_TRY(s.run());
    return db_.changes() == 1;
}

core::Result<std::int64_t> AccountStore::unused_recovery_codes(core::UserId id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s,
        db_.prepare("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_us = 0"));
    s.bind(1, id.value());
    HEARTH_TRY(s.step());
    return s.column_int(0);
}

core::Result<core::SessionId> AccountStore::add_session(const SessionRecord& r) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO sessions (user_id, token_hash, csrf_token, created_us, "
                            "last_seen_us, reauth_us, source, user_agent) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, r.user.value()).bind(2, r.token_hash).bind(3, r.csrf_token).bind(4, r.created_us);
    s.bind(5, r.last_seen_us).bind(6, r.reauth_us).bind(7, r.source).bind(8, r.user_agent);
    HEARTH_TRY(s.run());
    return core::SessionId(db_.last_insert_id());
}

core::Result<SessionRecord> AccountStore::find_session(std::string_view token_hash) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kSessionColumns +
                                                " FROM sessions WHERE token_hash = ?"));
    s.bind(1, token_hash);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound, "no such session");
    }
    return read_session(s);
}

core::Result<std::vector<SessionRecord>> AccountStore::sessions(std::optional<core::UserId> user) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kSessionColumns +
                            " FROM sessions WHERE ? = 0 OR user_id = ? ORDER BY id"));
    s.bind(1, user ? user->value() : 0).bind(2, user ? user->value() : 0);
    return collect_rows(s, read_session);
}

core::Status AccountStore::touch_session(core::SessionId id, core::WallMicros last_seen_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s,
                            db_.prepare("UPDATE sessions SET last_seen_us = ? WHERE id = ?"));
    s.bind(1, last_seen_us).bind(2, id.value());
    return s.run();
}

core::Status AccountStore::set_reauth(core::SessionId id, core::WallMicros at_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE sessions SET reauth_us = ? WHERE id = ?"));
    s.bind(1, at_us).bind(2, id.value());
    HEARTH_TRY(s.run());
    return check_changed(db_, "session");
}

core::Result<int> AccountStore::remove_session(core::SessionId id,
                                               std::optional<core::UserId> user) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("DELETE FROM sessions WHERE id = ? AND (? = 0 OR user_id = ?)"));
    s.bind(1, id.value()).bind(2, user ? user->value() : 0).bind(3, user ? user->value() : 0);
    HEARTH_TRY(s.run());
    return db_.changes();
}

core::Result<int> AccountStore::remove_sessions_of(core::UserId user, core::SessionId keep) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s,
                            db_.prepare("DELETE FROM sessions WHERE user_id = ? AND id != ?"));
    s.bind(1, user.value()).bind(2, keep.value());
    HEARTH_TRY(s.run());
    return db_.changes();
}

core::Result<std::vector<SessionRecord>> AccountStore::remove_expired_sessions(
    core::WallMicros idle_before, core::WallMicros created_before) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kSessionColumns +
                            " FROM sessions WHERE last_seen_us < ? OR created_us < ?"));
    s.bind(1, idle_before).bind(2, created_before);
    HEARTH_ASSIGN_OR_RETURN(auto gone, collect_rows(s, read_session));
    HEARTH_ASSIGN_OR_RETURN(
        auto del, db_.prepare("DELETE FROM sessions WHERE last_seen_us < ? OR created_us < ?"));
    del.bind(1, idle_before).bind(2, created_before);
    HEARTH_TRY(del.run());
    HEARTH_TRY(tx.commit());
    return gone;
}

core::Result<std::optional<std::string>> AccountStore::setting(std::string_view key) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT value FROM settings WHERE key = ?"));
    s.bind(1, key);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(s.column_text(0));
}

core::Status AccountStore::set_setting(std::string_view key, std::string_view value) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO settings (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    s.bind(1, key).bind(2, value);
    return s.run();
}

core::Result<std::optional<std::string>> AccountStore::household_wrap(std::string_view holder) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s,
                            db_.prepare("SELECT wrap FROM household_wraps WHERE holder = ?"));
    s.bind(1, holder);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(s.column_text(0));
}

core::Status AccountStore::put_household_wrap(std::string_view holder, core::UserId user,
                                              std::string_view wrap, core::WallMicros now_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO household_wraps (holder, user_id, wrap, created_us) "
                            "VALUES (?, ?, ?, ?) ON CONFLICT (holder) DO UPDATE SET "
                            "user_id = excluded.user_id, wrap = excluded.wrap, "
                            "created_us = excluded.created_us"));
    s.bind(1, holder).bind(3, wrap).bind(4, now_us);
    if (user.valid()) {
        s.bind(2, user.value());
    }
    return s.run();
}

core::Status AccountStore::delete_household_wrap(std::string_view holder) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("DELETE FROM household_wraps WHERE holder = ?"));
    s.bind(1, holder);
    return s.run();
}

core::Result<std::int64_t> AccountStore::count_sessions() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT COUNT(*) FROM sessions"));
    HEARTH_TRY(s.step());
    return s.column_int(0);
}

core::Status AccountStore::delete_setting(std::string_view key) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("DELETE FROM settings WHERE key = ?"));
    s.bind(1, key);
    return s.run();
}

}  // namespace hearth::store
