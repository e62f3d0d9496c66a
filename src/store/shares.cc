#include "store/shares.h"

namespace hearth::store {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr const char* kColumns =
    "id, token_hash, kind, camera_id, start_us, end_us, label, COALESCE(created_by, 0), "
    "created_by_name, created_us, expires_us, passcode_hash, max_views, views, blur_faces, "
    "revoked_us, last_opened_us";

Share read_share(const Statement& s) {
    Share r;
    r.id = s.column_int(0);
    r.token_hash = s.column_text(1);
    r.kind = s.column_text(2);
    r.camera = core::CameraId(s.column_int(3));
    r.start_us = s.column_int(4);
    r.end_us = s.column_int(5);
    r.label = s.column_text(6);
    r.created_by = core::UserId(s.column_int(7));
    r.created_by_name = s.column_text(8);
    r.created_us = s.column_int(9);
    r.expires_us = s.column_int(10);
    r.passcode_hash = s.column_text(11);
    r.max_views = s.column_int(12);
    r.views = s.column_int(13);
    r.blur_faces = s.column_int(14) != 0;
    r.revoked_us = s.column_int(15);
    r.last_opened_us = s.column_int(16);
    return r;
}

core::Result<Share> one(Statement& s, std::string_view missing) {
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound, std::string(missing));
    }
    return read_share(s);
}

}  // namespace

ShareState state_of(const Share& share, core::WallMicros now_us) {
    if (share.revoked_us != 0) {
        return ShareState::kRevoked;
    }
    if (now_us >= share.expires_us) {
        return ShareState::kExpired;
    }
    if (share.max_views > 0 && share.views >= share.max_views) {
        return ShareState::kExhausted;
    }
    return ShareState::kOpen;
}

core::Result<std::unique_ptr<ShareStore>> ShareStore::open(const std::filesystem::path& path) {
    HEARTH_ASSIGN_OR_RETURN(auto db, Database::open(path, Database::Mode::kReadWrite));
    if (!db.prepare("SELECT 1 FROM shares LIMIT 0")) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the shares table is missing: open the index first");
    }
    HEARTH_TRY(db.exec("PRAGMA secure_delete=ON"));  // destroyed keys leave no copy in free pages
    return std::unique_ptr<ShareStore>(new ShareStore(std::move(db)));
}

core::Result<std::int64_t> ShareStore::add(const Share& share,
                                           const std::map<std::int64_t, std::string>& keys) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO shares (token_hash, kind, camera_id, start_us, end_us, "
                            "label, created_by, created_by_name, created_us, expires_us, "
                            "passcode_hash, max_views, blur_faces) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, share.token_hash).bind(2, share.kind).bind(3, share.camera.value());
    s.bind(4, share.start_us).bind(5, share.end_us).bind(6, share.label);
    if (share.created_by.valid()) {
        s.bind(7, share.created_by.value());
    }
    s.bind(8, share.created_by_name).bind(9, share.created_us).bind(10, share.expires_us);
    s.bind(11, share.passcode_hash).bind(12, share.max_views);
    s.bind(13, std::int64_t{share.blur_faces ? 1 : 0});
    HEARTH_TRY(s.run());
    const std::int64_t id = db_.last_insert_id();
    HEARTH_ASSIGN_OR_RETURN(
        auto k, db_.prepare("INSERT INTO share_keys (share_id, segment_id, sealed) VALUES (?, ?, ?)"));
    for (const auto& [segment, sealed] : keys) {
        k.bind(1, id).bind(2, segment).bind(3, sealed);
        HEARTH_TRY(k.run());
        k.reset();
    }
    HEARTH_TRY(tx.commit());
    return id;
}

core::Result<Share> ShareStore::get_locked(std::int64_t id) {
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kColumns +
                                                " FROM shares WHERE id = ?"));
    s.bind(1, id);
    return one(s, "no such share link");
}

core::Result<Share> ShareStore::get(std::int64_t id) {
    std::lock_guard lock(mu_);
    return get_locked(id);
}

core::Result<Share> ShareStore::find(std::string_view token_hash) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kColumns +
                                                " FROM shares WHERE token_hash = ?"));
    s.bind(1, token_hash);
    return one(s, "no such share link");
}

core::Result<std::vector<Share>> ShareStore::list(std::optional<core::UserId> created_by,
                                                  int limit) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kColumns +
                            " FROM shares WHERE ?1 = 0 OR created_by = ?1 ORDER BY id DESC "
                            "LIMIT ?2"));
    s.bind(1, created_by ? created_by->value() : std::int64_t{0}).bind(2, std::int64_t{limit});
    std::vector<Share> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        out.push_back(read_share(s));
    }
    return out;
}

core::Result<Share> ShareStore::count_view(std::int64_t id, core::WallMicros now_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE shares SET views = views + 1, last_opened_us = ?2 WHERE "
                            "id = ?1 AND revoked_us = 0 AND expires_us > ?2 AND "
                            "(max_views = 0 OR views < max_views)"));
    s.bind(1, id).bind(2, now_us);
    HEARTH_TRY(s.run());
    const bool counted = db_.changes() > 0;
    HEARTH_ASSIGN_OR_RETURN(auto share, get_locked(id));
    if (!counted) {
        return make_error(ErrorCode::kFailedPrecondition, "this link no longer opens");
    }
    return share;
}

core::Status ShareStore::revoke(std::int64_t id, core::WallMicros now_us) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE shares SET revoked_us = ? WHERE id = ? "
                                                "AND revoked_us = 0"));
    s.bind(1, now_us).bind(2, id);
    HEARTH_TRY(s.run());
    HEARTH_ASSIGN_OR_RETURN(auto k, db_.prepare("DELETE FROM share_keys WHERE share_id = ?"));
    k.bind(1, id);
    HEARTH_TRY(k.run());
    HEARTH_TRY(tx.commit());
    return db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

core::Result<int> ShareStore::shred_expired(core::WallMicros now_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("DELETE FROM share_keys WHERE share_id IN (SELECT id FROM shares "
                            "WHERE expires_us <= ? OR revoked_us != 0)"));
    s.bind(1, now_us);
    HEARTH_TRY(s.run());
    const int n = db_.changes();
    if (n > 0) {
        HEARTH_TRY(db_.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    return n;
}

core::Result<std::map<std::int64_t, std::string>> ShareStore::keys(std::int64_t id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("SELECT segment_id, sealed FROM share_keys WHERE share_id = ?"));
    s.bind(1, id);
    std::map<std::int64_t, std::string> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        out.emplace(s.column_int(0), s.column_text(1));
    }
    return out;
}

}  // namespace hearth::store
