// Share links in the index's SQLite file: what was shared, with whom (a label), until
// when, how often it was opened, and a clip's segment keys re-sealed for the link. Policy
// (who may share, passcodes, tickets) lives in share/; this is storage only.
//
// Only the SHA-256 of a link's token is stored: the database alone opens no link.
//
// Thread-safety: every method is safe from any thread (one connection, one mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "store/sqlite.h"

namespace hearth::store {

struct Share {
    std::int64_t id = 0;
    std::string token_hash;  // sha256 hex of the link's token
    std::string kind;        // "clip" or "live"
    core::CameraId camera;
    core::WallMicros start_us = 0;  // clip: the shared range
    core::WallMicros end_us = 0;
    std::string label;              // who it is for: the watermark
    core::UserId created_by;        // invalid once that account is removed
    std::string created_by_name;
    core::WallMicros created_us = 0;
    core::WallMicros expires_us = 0;
    std::string passcode_hash;      // Argon2id; empty: no passcode
    std::int64_t max_views = 0;     // 0: no limit
    std::int64_t views = 0;
    bool blur_faces = false;
    core::WallMicros revoked_us = 0;  // 0: not revoked
    core::WallMicros last_opened_us = 0;
};

// Why a link no longer opens; kOpen when it does.
enum class ShareState : std::uint8_t { kInvalid = 0, kOpen, kExpired, kRevoked, kExhausted };
ShareState state_of(const Share& share, core::WallMicros now_us);

class ShareStore {
public:
    // Opens its own connection; the schema must exist (Index::open migrates it).
    static core::Result<std::unique_ptr<ShareStore>> open(const std::filesystem::path& db_path);

    // Adds the share and a clip's re-sealed keys (segment id -> sealed text) in one
    // transaction. Returns the new id.
    core::Result<std::int64_t> add(const Share& share,
                                   const std::map<std::int64_t, std::string>& keys);
    core::Result<Share> get(std::int64_t id);                       // kNotFound
    core::Result<Share> find(std::string_view token_hash);          // kNotFound
    // Every share (newest first), or those one account made.
    core::Result<std::vector<Share>> list(std::optional<core::UserId> created_by, int limit);
    // Counts one opening when the link still opens at `now` (atomically: two people racing
    // for the last view do not both get it). Returns the share after, or its state's reason.
    core::Result<Share> count_view(std::int64_t id, core::WallMicros now_us);
    // Revokes at `now` and destroys the clip's re-sealed keys (secure delete, WAL truncated).
    core::Status revoke(std::int64_t id, core::WallMicros now_us);
    // Destroys the re-sealed keys of links expired or withdrawn; returns how many keys went.
    core::Result<int> shred_expired(core::WallMicros now_us);
    // A clip's re-sealed segment keys (segment id -> sealed text).
    core::Result<std::map<std::int64_t, std::string>> keys(std::int64_t id);

private:
    explicit ShareStore(Database db) : db_(std::move(db)) {}
    core::Result<Share> get_locked(std::int64_t id);

    std::mutex mu_;
    Database db_;  // GUARDED_BY(mu_)
};

}  // namespace hearth::store
