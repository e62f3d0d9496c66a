#include "store/index.h"

#include <algorithm>
#include <charconv>

namespace hearth::store {
namespace {

using core::ErrorCode;
using core::make_error;

// Each entry upgrades the schema by one version; never edit a released entry.
const char* const kMigrations[] = {
    // v1
    R"sql(
    CREATE TABLE cameras (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        username TEXT NOT NULL DEFAULT '',
        password TEXT NOT NULL DEFAULT '',
        options TEXT NOT NULL DEFAULT '{}',
        enabled INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        start_us INTEGER NOT NULL,
        end_us INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        init_bytes INTEGER NOT NULL,
        codecs TEXT NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0,
        pinned_until_us INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX segments_by_camera_time ON segments(camera_id, start_us);
    CREATE TABLE fragments (
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        start_us INTEGER NOT NULL,
        duration_us INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        keyframe INTEGER NOT NULL,
        PRIMARY KEY (segment_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        camera_id INTEGER,
        kind TEXT NOT NULL,
        at_us INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_by_time ON events(at_us);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    )sql",
    // v2: the audit log, a hash chain (store/audit.h). The triggers are defence in
    // depth only: the chain is what proves tampering.
    R"sql(
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at_us INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_time ON audit(at_us);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'audit log is append-only');
    END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'audit log is append-only');
    END;
    )sql",
    // v3: accounts (store/accounts.h). camera_id 0 in camera_rights means every camera,
    // present and future, hence no foreign key; a trigger clears rows of a removed camera.
    R"sql(
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'member', 'guest')),
        password_hash TEXT NOT NULL,
        totp_secret BLOB,
        totp_pending BLOB,
        totp_last_step INTEGER NOT NULL DEFAULT -1,
        created_us INTEGER NOT NULL,
        password_changed_us INTEGER NOT NULL
    );
    CREATE TABLE camera_rights (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        camera_id INTEGER NOT NULL,
        rights INTEGER NOT NULL,
        PRIMARY KEY (user_id, camera_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER camera_rights_cleanup AFTER DELETE ON cameras
    BEGIN
        DELETE FROM camera_rights WHERE camera_id = OLD.id;
    END;
    CREATE TABLE recovery_codes (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        used_us INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, code_hash)
    ) WITHOUT ROWID;
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        csrf_token TEXT NOT NULL,
        created_us INTEGER NOT NULL,
        last_seen_us INTEGER NOT NULL,
        reauth_us INTEGER NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        user_agent TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX sessions_by_user ON sessions(user_id);
    )sql",
    // v4: PTZ presets.
    R"sql(
    CREATE TABLE ptz_presets (
        camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token TEXT NOT NULL DEFAULT '',
        has_position INTEGER NOT NULL DEFAULT 0,
        pan REAL NOT NULL DEFAULT 0,
        tilt REAL NOT NULL DEFAULT 0,
        zoom REAL NOT NULL DEFAULT 0,
        created_us INTEGER NOT NULL,
        PRIMARY KEY (camera_id, name)
    ) WITHOUT ROWID;
    )sql",
    // v5: recordings encrypted to the household (design notes: "Encryption at rest").
    // sealed_key: the segment's key sealed to the household public key; NULL for a segment
    // recorded in the clear by an earlier version. household_wraps: the household private
    // key wrapped once per holder ("user:<id>", "recovery", "setup"); a user's wrap goes
    // with the user.
    R"sql(
    ALTER TABLE segments ADD COLUMN sealed_key BLOB;
    CREATE TABLE household_wraps (
        holder TEXT PRIMARY KEY,
        user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        wrap TEXT NOT NULL,
        created_us INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // v6: share links (store/shares.h). Only the token's hash is kept; a clip's segment keys
    // are re-sealed under a key derived from the token, so serving it needs the token.
    R"sql(
    CREATE TABLE shares (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('clip', 'live')),
        camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
        start_us INTEGER NOT NULL DEFAULT 0,
        end_us INTEGER NOT NULL DEFAULT 0,
        label TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_by_name TEXT NOT NULL,
        created_us INTEGER NOT NULL,
        expires_us INTEGER NOT NULL,
        passcode_hash TEXT NOT NULL DEFAULT '',
        max_views INTEGER NOT NULL DEFAULT 0,
        views INTEGER NOT NULL DEFAULT 0,
        blur_faces INTEGER NOT NULL DEFAULT 0,
        revoked_us INTEGER NOT NULL DEFAULT 0,
        last_opened_us INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX shares_by_creator ON shares(created_by);
    CREATE TABLE share_keys (
        share_id INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        sealed TEXT NOT NULL,
        PRIMARY KEY (share_id, segment_id)
    ) WITHOUT ROWID;
    )sql",
    // v7: detection events have an end, a confidence and a snapshot; the snapshot file is
    // encrypted like a segment, its key sealed to the household (snapshot_key).
    R"sql(
    ALTER TABLE events ADD COLUMN end_us INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN confidence REAL NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN snapshot TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN snapshot_key BLOB;
    CREATE INDEX events_by_camera ON events(camera_id, at_us);
    )sql",
};

constexpr const char* kSegmentColumns =
    "id, camera_id, path, start_us, end_us, bytes, init_bytes, codecs, complete, pinned_until_us, "
    "sealed_key";

Fragment read_fragment(const Statement& s, int first_col) {
    Fragment f;
    f.seq = s.column_int(first_col);
    f.start_us = s.column_int(first_col + 1);
    f.duration_us = s.column_int(first_col + 2);
    f.offset = s.column_int(first_col + 3);
    f.bytes = s.column_int(first_col + 4);
    f.keyframe = s.column_int(first_col + 5) != 0;
    return f;
}

}  // namespace

Camera Index::read_camera(const Statement& s) const {
    Camera c;
    c.id = core::CameraId(s.column_int(0));
    c.name = s.column_text(1);
    c.kind = parse_camera_kind(s.column_text(2)).has_value()
                 ? *parse_camera_kind(s.column_text(2))
                 : CameraKind::kInvalid;
    c.url = s.column_text(3);
    c.username = s.column_text(4);
    const std::string stored = s.column_text(5);
    if (crypto::SecretBox::is_sealed(stored)) {
        if (auto opened = box_->open(stored)) {
            c.password.assign(reinterpret_cast<const char*>(opened->data()), opened->size());
        } else {
            c.credentials_problem = "the stored camera password cannot be opened: " +
                                    opened.error().message +
                                    "; enter it again (hearth camera add with the same name "
                                    "after removing, or the app)";
        }
    } else {
        c.password = stored;  // only between an upgrade and seal_plain_passwords()
    }
    c.options = s.column_text(6);
    c.enabled = s.column_int(7) != 0;
    return c;
}

const char* to_string(CameraKind kind) {
    switch (kind) {
        case CameraKind::kSim:
            return "sim";
        case CameraKind::kRtsp:
            return "rtsp";
        case CameraKind::kV4l2:
            return "v4l2";
        case CameraKind::kInvalid:
            break;
    }
    return "invalid";
}

core::Result<CameraKind> parse_camera_kind(std::string_view text) {
    if (text == "sim") return CameraKind::kSim;
    if (text == "rtsp") return CameraKind::kRtsp;
    if (text == "v4l2") return CameraKind::kV4l2;
    return make_error(ErrorCode::kInvalidArgument,
                      "camera kind must be one of sim, rtsp, v4l2 (got '" +
                          std::string(text.substr(0, 32)) + "')");
}

core::Result<std::unique_ptr<Index>> Index::open(const std::filesystem::path& db_path) {
    HEARTH_ASSIGN_OR_RETURN(auto db, Database::open(db_path, Database::Mode::kReadWrite));
    HEARTH_ASSIGN_OR_RETURN(auto box,
                            crypto::SecretBox::load_or_create(db_path.parent_path() / "hub.key"));
    std::unique_ptr<Index> index(new Index(std::move(db), std::move(box)));
    HEARTH_TRY(index->migrate());
    HEARTH_TRY(index->seal_plain_passwords());
    return index;
}

core::Status Index::seal_plain_passwords() {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::int64_t, std::string>> plain;
    {
        HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT id, password FROM cameras WHERE "
                                                    "password != '' AND password NOT LIKE 'sb1:%'"));
        for (;;) {
            HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
            if (!row) {
                break;
            }
            plain.emplace_back(s.column_int(0), s.column_text(1));
        }
    }
    if (plain.empty()) {
        return {};
    }
    // The clear text must not linger in freed pages or the WAL after it is replaced.
    HEARTH_TRY(db_.exec("PRAGMA secure_delete=ON"));
    for (auto& [id, password] : plain) {
        HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE cameras SET password = ? WHERE id = ?"));
        s.bind(1, box_->seal(password)).bind(2, id);
        HEARTH_TRY(s.run());
        crypto::wipe(password);
    }
    return db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

int Index::schema_version() {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("PRAGMA user_version");
    if (!s || !s->step().has_value()) {
        return -1;
    }
    return static_cast<int>(s->column_int(0));
}

core::Status Index::migrate() {
    int version = 0;
    {
        HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("PRAGMA user_version"));
        HEARTH_TRY(s.step());
        version = static_cast<int>(s.column_int(0));
    }
    const int latest = static_cast<int>(std::size(kMigrations));
    if (version > latest) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "database schema v" + std::to_string(version) +
                              " is newer than this hearth (v" + std::to_string(latest) +
                              "); upgrade hearth");
    }
    for (int v = version; v < latest; ++v) {
        Database::Transaction tx(db_);
        HEARTH_TRY(tx.began());
        HEARTH_TRY(db_.exec(kMigrations[v]));
        HEARTH_TRY(db_.exec("PRAGMA user_version=" + std::to_string(v + 1)));
        HEARTH_TRY(tx.commit());
    }
    return {};
}

core::Result<core::CameraId> Index::add_camera(const Camera& c) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO cameras (name, kind, url, username, password, options, "
                            "enabled) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, c.name).bind(2, std::string_view(to_string(c.kind))).bind(3, c.url);
    s.bind(4, c.username).bind(5, c.password.empty() ? std::string() : box_->seal(c.password));
    s.bind(6, c.options.empty() ? "{}" : c.options);
    s.bind(7, std::int64_t{c.enabled ? 1 : 0});
    auto r = s.run();
    if (!r) {
        if (r.error().code == ErrorCode::kAlreadyExists) {
            return make_error(ErrorCode::kAlreadyExists,
                              "a camera named '" + c.name + "' already exists");
        }
        return r.error();
    }
    return core::CameraId(db_.last_insert_id());
}

core::Result<std::vector<Camera>> Index::list_cameras() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT id, name, kind, url, username, password, "
                                                "options, enabled FROM cameras ORDER BY id"));
    std::vector<Camera> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        out.push_back(read_camera(s));
    }
    return out;
}

core::Result<Camera> Index::get_camera(core::CameraId id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT id, name, kind, url, username, password, "
                                                "options, enabled FROM cameras WHERE id = ?"));
    s.bind(1, id.value());
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound, "no camera with id " + std::to_string(id.value()));
    }
    return read_camera(s);
}

core::Result<Camera> Index::find_camera(std::string_view id_or_name) {
    std::int64_t id = 0;
    const auto [end, ec] =
        std::from_chars(id_or_name.data(), id_or_name.data() + id_or_name.size(), id);
    if (ec == std::errc() && end == id_or_name.data() + id_or_name.size()) {
        return get_camera(core::CameraId(id));
    }
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT id, name, kind, url, username, password, "
                                                "options, enabled FROM cameras WHERE name = ?"));
    s.bind(1, id_or_name);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound,
                          "no camera named '" + std::string(id_or_name.substr(0, 64)) + "'");
    }
    return read_camera(s);
}

core::Result<Camera> Index::update_camera(core::CameraId id, const std::optional<std::string>& name,
                                          std::optional<bool> enabled) {
    {
        std::lock_guard lock(mu_);
        HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE cameras SET name = COALESCE(?, name), "
                                                    "enabled = COALESCE(?, enabled) WHERE id = ?"));
        if (name) {
            s.bind(1, *name);
        }
        if (enabled) {
            s.bind(2, std::int64_t{*enabled ? 1 : 0});
        }
        s.bind(3, id.value());
        auto r = s.run();
        if (!r) {
            if (r.error().code == ErrorCode::kAlreadyExists) {
                return make_error(ErrorCode::kAlreadyExists,
                                  "a camera named '" + name.value_or("") + "' already exists");
            }
            return r.error();
        }
        if (db_.changes() == 0) {
            return make_error(ErrorCode::kNotFound, "no such camera");
        }
    }
    return get_camera(id);
}

core::Result<std::vector<std::string>> Index::remove_camera(core::CameraId id) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    std::vector<std::string> paths;
    {
        HEARTH_ASSIGN_OR_RETURN(auto s,
                                db_.prepare("SELECT path FROM segments WHERE camera_id = ?"));
        s.bind(1, id.value());
        for (;;) {
            HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
            if (!row) {
                break;
            }
            paths.push_back(s.column_text(0));
        }
    }
    HEARTH_ASSIGN_OR_RETURN(auto del, db_.prepare("DELETE FROM cameras WHERE id = ?"));
    del.bind(1, id.value());
    HEARTH_TRY(del.run());
    if (db_.changes() == 0) {
        return make_error(ErrorCode::kNotFound, "no camera with id " + std::to_string(id.value()));
    }
    HEARTH_TRY(tx.commit());
    return paths;
}

namespace {

PtzPreset read_preset(const Statement& s) {
    PtzPreset p;
    p.name = s.column_text(0);
    p.token = s.column_text(1);
    p.has_position = s.column_int(2) != 0;
    p.pan = s.column_double(3);
    p.tilt = s.column_double(4);
    p.zoom = s.column_double(5);
    p.created_us = s.column_int(6);
    return p;
}

constexpr const char* kPresetColumns = "name, token, has_position, pan, tilt, zoom, created_us";

}  // namespace

core::Result<std::vector<PtzPreset>> Index::ptz_presets(core::CameraId camera) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kPresetColumns +
                                                " FROM ptz_presets WHERE camera_id = ? "
                                                "ORDER BY name"));
    s.bind(1, camera.value());
    std::vector<PtzPreset> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            return out;
        }
        out.push_back(read_preset(s));
    }
}

core::Result<PtzPreset> Index::ptz_preset(core::CameraId camera, std::string_view name) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kPresetColumns +
                                                " FROM ptz_presets WHERE camera_id = ? AND "
                                                "name = ?"));
    s.bind(1, camera.value()).bind(2, name);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return make_error(ErrorCode::kNotFound, "no preset named '" + std::string(name) + "'");
    }
    return read_preset(s);
}

core::Status Index::put_ptz_preset(core::CameraId camera, const PtzPreset& preset,
                                   int max_presets) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    {
        HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT COUNT(*), SUM(name = ?) FROM "
                                                    "ptz_presets WHERE camera_id = ?"));
        s.bind(1, preset.name).bind(2, camera.value());
        HEARTH_TRY(s.step());
        if (s.column_int(1) == 0 && s.column_int(0) >= max_presets) {
            return make_error(ErrorCode::kResourceExhausted, "this camera already has " +
                                                                 std::to_string(max_presets) +
                                                                 " presets; remove one first");
        }
    }
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT OR REPLACE INTO ptz_presets (camera_id, name, token, "
                            "has_position, pan, tilt, zoom, created_us) "
                            "SELECT id, ?, ?, ?, ?, ?, ?, ? FROM cameras WHERE id = ?"));
    s.bind(1, preset.name).bind(2, preset.token).bind(3, std::int64_t{preset.has_position});
    s.bind_double(4, preset.pan).bind_double(5, preset.tilt).bind_double(6, preset.zoom);
    s.bind(7, preset.created_us).bind(8, camera.value());
    HEARTH_TRY(s.run());
    if (db_.changes() == 0) {
        return make_error(ErrorCode::kNotFound, "no such camera");
    }
    return tx.commit();
}

core::Status Index::remove_ptz_preset(core::CameraId camera, std::string_view name) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("DELETE FROM ptz_presets WHERE camera_id = ? AND name = ?"));
    s.bind(1, camera.value()).bind(2, name);
    HEARTH_TRY(s.run());
    if (db_.changes() == 0) {
        return make_error(ErrorCode::kNotFound, "no preset named '" + std::string(name) + "'");
    }
    return {};
}

core::Result<core::SegmentId> Index::begin_segment(core::CameraId camera, const std::string& path,
                                                   core::WallMicros start_us,
                                                   std::int64_t init_bytes,
                                                   const std::string& codecs,
                                                   const std::vector<std::uint8_t>& sealed_key) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    // Ids are never reused (SQLite would reuse the largest after a delete): a recorder still
    // writing a deleted segment must not add fragments to someone else's.
    HEARTH_ASSIGN_OR_RETURN(
        auto next, db_.prepare("SELECT MAX(COALESCE((SELECT CAST(value AS INTEGER) FROM settings "
                               "WHERE key = 'segments.last_id'), 0), COALESCE((SELECT MAX(id) "
                               "FROM segments), 0)) + 1"));
    HEARTH_TRY(next.step());
    const std::int64_t id = next.column_int(0);
    next.reset();
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("INSERT INTO segments (id, camera_id, path, "
                                                "start_us, end_us, bytes, init_bytes, codecs, "
                                                "sealed_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, id).bind(2, camera.value()).bind(3, path).bind(4, start_us).bind(5, start_us);
    s.bind(6, init_bytes).bind(7, init_bytes).bind(8, codecs);
    if (!sealed_key.empty()) {
        s.bind(9, sealed_key);
    }
    HEARTH_TRY(s.run());
    HEARTH_ASSIGN_OR_RETURN(auto last, db_.prepare("INSERT INTO settings (key, value) VALUES "
                                                   "('segments.last_id', ?) ON CONFLICT (key) DO "
                                                   "UPDATE SET value = excluded.value"));
    last.bind(1, std::to_string(id));
    HEARTH_TRY(last.run());
    HEARTH_TRY(tx.commit());
    return core::SegmentId(id);
}

core::Status Index::add_fragment(core::SegmentId segment, const Fragment& f) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(auto ins, db_.prepare("INSERT INTO fragments (segment_id, seq, "
                                                  "start_us, duration_us, offset, bytes, keyframe) "
                                                  "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ins.bind(1, segment.value()).bind(2, f.seq).bind(3, f.start_us).bind(4, f.duration_us);
    ins.bind(5, f.offset).bind(6, f.bytes).bind(7, std::int64_t{f.keyframe ? 1 : 0});
    HEARTH_ASSIGN_OR_RETURN(auto upd, db_.prepare("UPDATE segments SET end_us = MAX(end_us, ?), "
                                                  "bytes = MAX(bytes, ?) WHERE id = ?"));
    upd.bind(1, f.start_us + f.duration_us).bind(2, f.offset + f.bytes).bind(3, segment.value());
    HEARTH_TRY(upd.run());
    if (db_.changes() == 0) {
        return make_error(ErrorCode::kNotFound, "the segment was deleted");
    }
    HEARTH_TRY(ins.run());
    return tx.commit();
}

core::Status Index::finish_segment(core::SegmentId segment) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE segments SET complete = 1 WHERE id = ?"));
    s.bind(1, segment.value());
    return s.run();
}

core::Result<std::vector<Segment>> Index::query_segments(Statement& s) {
    std::vector<Segment> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        Segment seg;
        seg.id = core::SegmentId(s.column_int(0));
        seg.camera = core::CameraId(s.column_int(1));
        seg.path = s.column_text(2);
        seg.start_us = s.column_int(3);
        seg.end_us = s.column_int(4);
        seg.bytes = s.column_int(5);
        seg.init_bytes = s.column_int(6);
        seg.codecs = s.column_text(7);
        seg.complete = s.column_int(8) != 0;
        seg.pinned_until_us = s.column_int(9);
        const auto sealed = s.column_blob(10);
        seg.sealed_key.assign(sealed.begin(), sealed.end());
        out.push_back(std::move(seg));
    }
    return out;
}

core::Result<std::vector<Segment>> Index::incomplete_segments() {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kSegmentColumns +
                                                " FROM segments WHERE complete = 0 ORDER BY id"));
    return query_segments(s);
}

core::Status Index::truncate_segment(core::SegmentId segment, std::int64_t valid_bytes) {
    std::lock_guard lock(mu_);
    Database::Transaction tx(db_);
    HEARTH_TRY(tx.began());
    HEARTH_ASSIGN_OR_RETURN(
        auto del, db_.prepare("DELETE FROM fragments WHERE segment_id = ? AND offset + bytes > ?"));
    del.bind(1, segment.value()).bind(2, valid_bytes);
    HEARTH_TRY(del.run());
    HEARTH_ASSIGN_OR_RETURN(
        auto agg, db_.prepare("SELECT COUNT(*), MAX(start_us + duration_us), MAX(offset + bytes) "
                              "FROM fragments WHERE segment_id = ?"));
    agg.bind(1, segment.value());
    HEARTH_TRY(agg.step());
    if (agg.column_int(0) == 0) {
        HEARTH_ASSIGN_OR_RETURN(auto rm, db_.prepare("DELETE FROM segments WHERE id = ?"));
        rm.bind(1, segment.value());
        HEARTH_TRY(rm.run());
    } else {
        HEARTH_ASSIGN_OR_RETURN(auto upd, db_.prepare("UPDATE segments SET end_us = ?, bytes = ?, "
                                                      "complete = 1 WHERE id = ?"));
        upd.bind(1, agg.column_int(1)).bind(2, agg.column_int(2)).bind(3, segment.value());
        HEARTH_TRY(upd.run());
    }
    agg.reset();
    return tx.commit();
}

core::Result<std::vector<Fragment>> Index::fragments(core::SegmentId segment) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT seq, start_us, duration_us, offset, bytes, "
                                                "keyframe FROM fragments WHERE segment_id = ? "
                                                "ORDER BY seq"));
    s.bind(1, segment.value());
    std::vector<Fragment> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        out.push_back(read_fragment(s, 0));
    }
    return out;
}

core::Result<std::vector<Segment>> Index::segments(core::CameraId camera, core::WallMicros from_us,
                                                   core::WallMicros to_us, int limit) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kSegmentColumns +
                            " FROM segments WHERE camera_id = ? AND end_us > ? AND start_us < ? "
                            "AND bytes > init_bytes ORDER BY start_us LIMIT ?"));
    s.bind(1, camera.value()).bind(2, from_us).bind(3, to_us).bind(4, std::int64_t{limit});
    return query_segments(s);
}

core::Result<std::vector<TimeRange>> Index::ranges(core::CameraId camera, core::WallMicros from_us,
                                                   core::WallMicros to_us,
                                                   std::int64_t max_gap_us) {
    HEARTH_ASSIGN_OR_RETURN(auto segs, segments(camera, from_us, to_us));
    std::vector<TimeRange> out;
    for (const auto& s : segs) {
        if (!out.empty() && s.start_us <= out.back().end_us + max_gap_us) {
            out.back().end_us = std::max(out.back().end_us, s.end_us);
        } else {
            out.push_back({s.start_us, s.end_us});
        }
    }
    return out;
}

core::Result<std::vector<PlaybackPiece>> Index::playback(core::CameraId camera,
                                                         core::WallMicros from_us,
                                                         core::WallMicros to_us) {
    std::lock_guard lock(mu_);
    // The keyframe fragment at or before `from` (within the last hour), then everything up to `to`.
    HEARTH_ASSIGN_OR_RETURN(
        auto first, db_.prepare("SELECT f.start_us FROM fragments f JOIN segments s ON "
                                "s.id = f.segment_id WHERE s.camera_id = ? AND f.keyframe = 1 AND "
                                "f.start_us <= ? AND f.start_us + f.duration_us > ? - 3600000000 "
                                "ORDER BY f.start_us DESC LIMIT 1"));
    first.bind(1, camera.value()).bind(2, from_us).bind(3, from_us);
    HEARTH_ASSIGN_OR_RETURN(const bool found, first.step());
    core::WallMicros begin_us = from_us;
    if (found) {
        begin_us = first.column_int(0);
    }
    first.reset();
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("SELECT s.id, s.path, s.init_bytes, f.seq, f.start_us, f.duration_us, "
                            "f.offset, f.bytes, f.keyframe, s.sealed_key FROM fragments f JOIN "
                            "segments s ON "
                            "s.id = f.segment_id WHERE s.camera_id = ? AND s.end_us > ? AND "
                            "s.start_us < ? AND f.start_us + f.duration_us > ? AND f.start_us < ? "
                            "ORDER BY f.start_us"));
    s.bind(1, camera.value()).bind(2, begin_us).bind(3, to_us).bind(4, begin_us).bind(5, to_us);
    std::vector<PlaybackPiece> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        PlaybackPiece p;
        p.camera = camera;
        p.segment = core::SegmentId(s.column_int(0));
        p.path = s.column_text(1);
        p.init_bytes = s.column_int(2);
        p.fragment = read_fragment(s, 3);
        const auto sealed = s.column_blob(9);
        p.sealed_key.assign(sealed.begin(), sealed.end());
        // Playback starts on a keyframe: drop leading fragments that cannot be decoded alone.
        if (out.empty() && !p.fragment.keyframe) {
            continue;
        }
        out.push_back(std::move(p));
    }
    // Lead-in before `from` alone is not a recording of the requested time.
    if (!out.empty() && out.back().fragment.start_us + out.back().fragment.duration_us <= from_us) {
        out.clear();
    }
    return out;
}

core::Result<std::vector<TimeRange>> Index::nearest_ranges(core::CameraId camera,
                                                           core::WallMicros at_us) {
    std::vector<TimeRange> out;
    Segment before, after;
    bool has_before = false, has_after = false;
    {
        std::lock_guard lock(mu_);
        HEARTH_ASSIGN_OR_RETURN(
            auto b, db_.prepare(std::string("SELECT ") + kSegmentColumns +
                                " FROM segments WHERE camera_id = ? AND start_us <= ? AND "
                                "bytes > init_bytes ORDER BY start_us DESC LIMIT 1"));
        b.bind(1, camera.value()).bind(2, at_us);
        HEARTH_ASSIGN_OR_RETURN(auto bs, query_segments(b));
        HEARTH_ASSIGN_OR_RETURN(
            auto a, db_.prepare(std::string("SELECT ") + kSegmentColumns +
                                " FROM segments WHERE camera_id = ? AND start_us > ? AND "
                                "bytes > init_bytes ORDER BY start_us LIMIT 1"));
        a.bind(1, camera.value()).bind(2, at_us);
        HEARTH_ASSIGN_OR_RETURN(auto as, query_segments(a));
        if (!bs.empty()) {
            before = bs.front();
            has_before = true;
        }
        if (!as.empty()) {
            after = as.front();
            has_after = true;
        }
    }
    // Widen each neighbour to its whole contiguous range.
    if (has_before) {
        HEARTH_ASSIGN_OR_RETURN(
            auto r, ranges(camera, before.start_us - 24LL * 3600 * 1000000, before.end_us));
        if (!r.empty()) {
            out.push_back(r.back());
        }
    }
    if (has_after) {
        HEARTH_ASSIGN_OR_RETURN(
            auto r, ranges(camera, after.start_us, after.end_us + 24LL * 3600 * 1000000));
        if (!r.empty() && (out.empty() || r.front().start_us > out.back().end_us)) {
            out.push_back(r.front());
        }
    }
    return out;
}

core::Result<std::vector<Segment>> Index::retention_candidates(core::WallMicros now_us,
                                                               std::int64_t max_age_us,
                                                               std::int64_t max_bytes) {
    std::vector<Segment> all;
    {
        std::lock_guard lock(mu_);
        HEARTH_ASSIGN_OR_RETURN(auto s,
                                db_.prepare(std::string("SELECT ") + kSegmentColumns +
                                            " FROM segments WHERE complete = 1 ORDER BY end_us"));
        HEARTH_ASSIGN_OR_RETURN(all, query_segments(s));
    }
    HEARTH_ASSIGN_OR_RETURN(std::int64_t total, total_bytes());
    std::vector<Segment> out;
    for (const auto& seg : all) {
        if (seg.pinned_until_us > now_us) {
            continue;
        }
        const bool too_old = max_age_us > 0 && seg.end_us < now_us - max_age_us;
        const bool over_budget = max_bytes > 0 && total > max_bytes;
        if (!too_old && !over_budget) {
            break;  // oldest first: nothing later is older or needed for the budget
        }
        total -= seg.bytes;
        out.push_back(seg);
    }
    return out;
}

core::Status Index::delete_segment(core::SegmentId segment) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("DELETE FROM segments WHERE id = ?"));
    s.bind(1, segment.value());
    return s.run();
}

core::Result<std::vector<Segment>> Index::shred_segments(std::optional<core::CameraId> camera,
                                                         core::WallMicros from_us,
                                                         core::WallMicros to_us,
                                                         std::vector<std::string>* snapshots) {
    std::vector<Segment> gone;
    {
        std::lock_guard lock(mu_);
        Database::Transaction tx(db_);
        HEARTH_TRY(tx.began());
        HEARTH_ASSIGN_OR_RETURN(
            auto s, db_.prepare(std::string("SELECT ") + kSegmentColumns +
                                " FROM segments WHERE (?1 = 0 OR camera_id = ?1) AND end_us > ?2 "
                                "AND start_us < ?3 ORDER BY start_us"));
        s.bind(1, camera ? camera->value() : std::int64_t{0}).bind(2, from_us).bind(3, to_us);
        HEARTH_ASSIGN_OR_RETURN(gone, query_segments(s));
        s.reset();
        HEARTH_ASSIGN_OR_RETURN(auto del, db_.prepare("DELETE FROM segments WHERE id = ?"));
        for (const auto& seg : gone) {
            del.bind(1, seg.id.value());
            HEARTH_TRY(del.run());
            del.reset();
        }
        // The pictures of events in the range go with it; the events (that something
        // happened) stay.
        HEARTH_ASSIGN_OR_RETURN(
            auto snaps, db_.prepare("SELECT snapshot FROM events WHERE snapshot != '' AND "
                                    "(?1 = 0 OR camera_id = ?1) AND at_us >= ?2 AND at_us < ?3"));
        snaps.bind(1, camera ? camera->value() : std::int64_t{0}).bind(2, from_us).bind(3, to_us);
        for (;;) {
            HEARTH_ASSIGN_OR_RETURN(const bool row, snaps.step());
            if (!row) {
                break;
            }
            if (snapshots != nullptr) {
                snapshots->push_back(snaps.column_text(0));
            }
        }
        snaps.reset();
        HEARTH_ASSIGN_OR_RETURN(
            auto clear, db_.prepare("UPDATE events SET snapshot = '', snapshot_key = NULL WHERE snapshot != '' AND "
                                    "(?1 = 0 OR camera_id = ?1) AND at_us >= ?2 AND at_us < ?3"));
        clear.bind(1, camera ? camera->value() : std::int64_t{0}).bind(2, from_us).bind(3, to_us);
        HEARTH_TRY(clear.run());
        HEARTH_TRY(tx.commit());
        // secure_delete zeroed the freed pages; the WAL must not keep the keys either.
        HEARTH_TRY(db_.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    return gone;
}

core::Status Index::pin(core::CameraId camera, core::WallMicros from_us, core::WallMicros to_us,
                        core::WallMicros until_us) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE segments SET pinned_until_us = MAX(pinned_until_us, ?) WHERE "
                            "camera_id = ? AND end_us > ? AND start_us < ?"));
    s.bind(1, until_us).bind(2, camera.value()).bind(3, from_us).bind(4, to_us);
    return s.run();
}

core::Result<std::int64_t> Index::total_bytes(std::optional<core::CameraId> camera) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(camera ? "SELECT COALESCE(SUM(bytes), 0) FROM segments WHERE "
                                     "camera_id = ?"
                                   : "SELECT COALESCE(SUM(bytes), 0) FROM segments"));
    if (camera) {
        s.bind(1, camera->value());
    }
    HEARTH_TRY(s.step());
    const auto v = s.column_int(0);
    s.reset();
    return v;
}

core::Result<std::int64_t> Index::add_event(const Event& e) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO events (camera_id, kind, at_us, detail, end_us, confidence) "
                            "VALUES (?, ?, ?, ?, ?, ?)"));
    if (e.camera.valid()) {
        s.bind(1, e.camera.value());
    } else {
        s.bind_null(1);
    }
    s.bind(2, e.kind).bind(3, e.at_us).bind(4, e.detail).bind(5, e.end_us).bind_double(6, e.confidence);
    HEARTH_TRY(s.run());
    return db_.last_insert_id();
}

core::Status Index::update_event(std::int64_t id, core::WallMicros end_us, double confidence) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("UPDATE events SET end_us = MAX(end_us, ?), confidence = MAX(confidence, ?) "
                            "WHERE id = ?"));
    s.bind(1, end_us).bind_double(2, confidence).bind(3, id);
    return s.run();
}

core::Status Index::set_event_snapshot(std::int64_t id, const std::string& path,
                                       const std::vector<std::uint8_t>& sealed_key) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("UPDATE events SET snapshot = ?, snapshot_key = ? WHERE id = ?"));
    s.bind(1, path).bind_blob(2, sealed_key).bind(3, id);
    return s.run();
}

namespace {
constexpr const char* kEventColumns =
    "id, camera_id, kind, at_us, detail, end_us, confidence, snapshot, snapshot_key";

Event read_event(const Statement& s) {
    Event e;
    e.id = s.column_int(0);
    e.camera = core::CameraId(s.column_is_null(1) ? 0 : s.column_int(1));
    e.kind = s.column_text(2);
    e.at_us = s.column_int(3);
    e.detail = s.column_text(4);
    e.end_us = s.column_int(5);
    e.confidence = s.column_double(6);
    e.snapshot = s.column_text(7);
    const auto key = s.column_blob(8);
    e.snapshot_key.assign(key.begin(), key.end());
    return e;
}
}  // namespace

core::Result<std::vector<Event>> Index::events(std::optional<core::CameraId> camera, int limit) {
    EventQuery q;
    q.camera = camera;
    q.limit = limit;
    return events(q);
}

core::Result<std::vector<Event>> Index::events(const EventQuery& q) {
    std::lock_guard lock(mu_);
    std::string sql = std::string("SELECT ") + kEventColumns + " FROM events WHERE at_us >= ? AND at_us < ?";
    if (q.camera) {
        sql += " AND camera_id = ?";
    }
    if (!q.kind.empty()) {
        sql += " AND kind = ?";
    }
    sql += " ORDER BY at_us DESC, id DESC LIMIT ?";
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(sql));
    s.bind(1, q.from_us).bind(2, q.to_us);
    int i = 3;
    if (q.camera) {
        s.bind(i++, q.camera->value());
    }
    if (!q.kind.empty()) {
        s.bind(i++, q.kind);
    }
    s.bind(i, std::int64_t{q.limit});
    std::vector<Event> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
        if (!row) {
            break;
        }
        out.push_back(read_event(s));
    }
    return out;
}

core::Result<Event> Index::event(std::int64_t id) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare(std::string("SELECT ") + kEventColumns + " FROM events WHERE id = ?"));
    s.bind(1, id);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return core::make_error(core::ErrorCode::kNotFound, "no such event");
    }
    return read_event(s);
}

core::Result<std::optional<std::string>> Index::setting(std::string_view key) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT value FROM settings WHERE key = ?"));
    s.bind(1, key);
    HEARTH_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
        return std::optional<std::string>();
    }
    auto v = s.column_text(0);
    s.reset();
    return std::optional<std::string>(std::move(v));
}

core::Status Index::set_setting(std::string_view key, std::string_view value) {
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                            "UPDATE SET value = excluded.value"));
    s.bind(1, key).bind(2, value);
    return s.run();
}

}  // namespace hearth::store
