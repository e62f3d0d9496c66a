// The audit log: who did what, when, from where, as an append-only hash chain
// in the index's SQLite file.
//
// Each entry stores prev_hash (the previous entry's hash, or 64 zeros for the
// first) and hash = SHA-256 hex of prev_hash + "\n" + a length-prefixed
// encoding of its content, so altering or deleting any entry breaks the chain
// from there on. SQLite triggers also refuse UPDATE and DELETE, but that is
// defence in depth: someone with the file can drop them; the chain is the proof.
// The chain cannot show that entries were cut off the end; anchor the latest
// hash elsewhere (a backup, a printout) to detect that.
//
// Thread-safety: every method is safe to call from any thread. Each AuditLog
// has its own connection; appends take SQLite's write lock (BEGIN IMMEDIATE),
// so several AuditLogs on one file, in one process or many, keep one chain.
//
// Example:
//     auto log = AuditLog::open(data_dir / "hearth.db");  // after Index::open
//     (*log)->append({.at_us = clock.now_us(), .actor = "alice", .action = "camera.add",
//                     .target = "porch", .source = "192.0.2.7"});
//     auto report = (*log)->verify();
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/sqlite.h"

namespace hearth::store {

// Each text field is bounded so one entry cannot bloat the log.
inline constexpr std::size_t kMaxAuditFieldBytes = 1024;
// What the first entry chains to.
inline constexpr const char* kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditEntry {
    std::int64_t id = 0;         // assigned by append: 1, 2, 3, ... with no gaps
    core::WallMicros at_us = 0;  // when it happened (caller's clock)
    std::string actor;           // who: a username or "system"; required
    std::string action;          // what: e.g. "camera.add", "login.failed"; required
    std::string target;          // on what: e.g. a camera name; may be empty
    std::string source;          // from where: e.g. a client address; may be empty
    std::string detail;          // free text, never secrets; may be empty
    std::string prev_hash;       // set by append
    std::string hash;            // set by append
};

struct VerifyReport {
    bool ok = false;
    std::int64_t rows = 0;             // entries verified intact (before the break, if any)
    std::int64_t first_broken_id = 0;  // 0 when ok
    std::string reason;                // why the chain is broken there; empty when ok
};

struct AuditQuery {
    std::string actor;                                                        // empty: any
    std::string action;                                                       // empty: any
    core::WallMicros from_us = std::numeric_limits<core::WallMicros>::min();  // inclusive
    core::WallMicros to_us = std::numeric_limits<core::WallMicros>::max();    // exclusive
    std::int64_t limit = 100;  // 1..10000; the newest matching entries, newest first
};

class AuditLog {
public:
    // Opens its own connection to the index file. The schema must already be
    // there (Index::open migrates it): kFailedPrecondition otherwise.
    static core::Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& db_path);

    // Appends `entry` (its id, prev_hash and hash are ignored and assigned).
    // kInvalidArgument: actor or action empty, or a field over kMaxAuditFieldBytes.
    core::Status append(AuditEntry entry);

    // Walks every entry in id order; an error only when the database cannot be read.
    core::Result<VerifyReport> verify();

    core::Result<std::vector<AuditEntry>> query(const AuditQuery& q);

private:
    explicit AuditLog(Database db) : db_(std::move(db)) {}

    std::mutex mu_;
    Database db_;  // GUARDED_BY(mu_)
};

// The hash an entry with this content must carry after `prev_hash`.
std::string audit_entry_hash(const std::string& prev_hash, const AuditEntry& entry);

}  // namespace hearth::store
