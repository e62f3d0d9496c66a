#include "store/audit.h"

#include <span>

#include "crypto/secret.h"

namespace hearth::store {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::int64_t kMaxQueryLimit = 10000;
constexpr const char* kAuditColumns =
    "id, at_us, actor, action, target, source, detail, prev_hash, hash";

// Length-prefixed ("<bytes>:<text>;"), so no choice of field contents can make
// two different entries encode alike.
void append_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += ';';
}

std::string canonical(const AuditEntry& e) {
    std::string out = "hearth-audit-v1;";
    append_field(out, std::to_string(e.at_us));
    append_field(out, e.actor);
    append_field(out, e.action);
    append_field(out, e.target);
    append_field(out, e.source);
    append_field(out, e.detail);
    return out;
}

core::Status check_field(const char* name, const std::string& value, bool required) {
    if (required && value.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string("audit entry needs a non-empty ") + name);
    }
    if (value.size() > kMaxAuditFieldBytes) {
        return make_error(ErrorCode::kInvalidArgument, std::string("audit entry ") + name + " is " +
                                                           std::to_string(value.size()) +
                                                           " bytes; the limit is " +
                                                           std::to_string(kMaxAuditFieldBytes));
    }
    return {};
}

AuditEntry read_entry(const Statement& s) {
    AuditEntry e;
    e.id = s.column_int(0);
    e.at_us = s.column_int(1);
    e.actor = s.column_text(2);
    e.action = s.column_text(3);
    e.target = s.column_text(4);
    e.source = s.column_text(5);
    e.detail = s.column_text(6);
    e.prev_hash = s.column_text(7);
    e.hash = s.column_text(8);
    return e;
}

// BEGIN IMMEDIATE that reports failure (so nothing runs in autocommit by
// mistake) and rolls back unless committed.
class WriteTransaction {
public:
    explicit WriteTransaction(Database& db) : db_(db) {}
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction() {
        if (open_) {
            (void)db_.exec("ROLLBACK");
        }
    }
    core::Status begin() {
        HEARTH_TRY(db_.exec("BEGIN IMMEDIATE"));
        open_ = true;
        return {};
    }
    core::Status commit() {
        HEARTH_TRY(db_.exec("COMMIT"));
        open_ = false;
        return {};
    }

private:
    Database& db_;
    bool open_ = false;
};

}  // namespace

std::string audit_entry_hash(const std::string& prev_hash, const AuditEntry& entry) {
    const std::string text = prev_hash + "\n" + canonical(entry);
    return crypto::sha256_hex(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

core::Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& db_path) {
    HEARTH_TRY(crypto::init_sodium());  // so hashing later cannot abort on a failed init
    HEARTH_ASSIGN_OR_RETURN(auto db, Database::open(db_path, Database::Mode::kReadWrite));
    {
        HEARTH_ASSIGN_OR_RETURN(auto s,
                                db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                           "name = 'audit'"));
        HEARTH_ASSIGN_OR_RETURN(const bool found, s.step());
        if (!found) {
            return make_error(ErrorCode::kFailedPrecondition,
                              "no audit table in " + db_path.string() +
                                  "; open the index first so it can upgrade the schema");
        }
    }
    return std::unique_ptr<AuditLog>(new AuditLog(std::move(db)));
}

core::Status AuditLog::append(AuditEntry entry) {
    HEARTH_TRY(check_field("actor", entry.actor, true));
    HEARTH_TRY(check_field("action", entry.action, true));
    HEARTH_TRY(check_field("target", entry.target, false));
    HEARTH_TRY(check_field("source", entry.source, false));
    HEARTH_TRY(check_field("detail", entry.detail, false));

    std::lock_guard lock(mu_);
    // The write lock is held from reading the tail to inserting after it, so
    // no other connection can append in between and fork the chain.
    WriteTransaction tx(db_);
    HEARTH_TRY(tx.begin());
    entry.id = 1;
    entry.prev_hash = kAuditGenesisHash;
    {
        HEARTH_ASSIGN_OR_RETURN(auto s,
                                db_.prepare("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"));
        HEARTH_ASSIGN_OR_RETURN(const bool has_tail, s.step());
        if (has_tail) {
            entry.id = s.column_int(0) + 1;
            entry.prev_hash = s.column_text(1);
        }
    }
    entry.hash = audit_entry_hash(entry.prev_hash, entry);
    {
        HEARTH_ASSIGN_OR_RETURN(
            auto s, db_.prepare("INSERT INTO audit (id, at_us, actor, action, target, source, "
                                "detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        s.bind(1, entry.id).bind(2, entry.at_us).bind(3, entry.actor).bind(4, entry.action);
        s.bind(5, entry.target).bind(6, entry.source).bind(7, entry.detail);
        s.bind(8, entry.prev_hash).bind(9, entry.hash);
        HEARTH_TRY(s.run());
    }
    return tx.commit();
}

core::Result<VerifyReport> AuditLog::verify() {
    std::lock_guard lock(mu_);
    // One SELECT reads one snapshot (WAL), so appends running meanwhile are not half-seen.
    HEARTH_ASSIGN_OR_RETURN(
        auto s, db_.prepare(std::string("SELECT ") + kAuditColumns + " FROM audit ORDER BY id"));
    VerifyReport report;
    std::int64_t expected_id = 1;
    std::string expected_prev = kAuditGenesisHash;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool has_row, s.step());
        if (!has_row) {
            break;
        }
        const AuditEntry e = read_entry(s);
        std::string reason;
        if (e.id != expected_id) {
            reason = e.id - expected_id == 1
                         ? "entry " + std::to_string(expected_id) + " is missing"
                         : "entries " + std::to_string(expected_id) + " to " +
                               std::to_string(e.id - 1) + " are missing";
        } else if (e.prev_hash != expected_prev) {
            reason =
                "link broken: prev_hash does not match the previous entry's hash "
                "(an entry before it is missing or was rewritten)";
        } else if (e.hash != audit_entry_hash(e.prev_hash, e)) {
            reason = "altered: its content does not match its hash";
        }
        if (!reason.empty()) {
            report.first_broken_id = e.id;
            report.reason = std::move(reason);
            return report;
        }
        expected_prev = e.hash;
        ++expected_id;
        ++report.rows;
    }
    report.ok = true;
    return report;
}

core::Result<std::vector<AuditEntry>> AuditLog::query(const AuditQuery& q) {
    if (q.limit < 1 || q.limit > kMaxQueryLimit) {
        return make_error(ErrorCode::kInvalidArgument,
                          "audit query limit must be 1 to " + std::to_string(kMaxQueryLimit));
    }
    std::lock_guard lock(mu_);
    HEARTH_ASSIGN_OR_RETURN(auto s,
                            db_.prepare(std::string("SELECT ") + kAuditColumns +
                                        " FROM audit WHERE (?1 = '' OR actor = ?1) AND (?2 = '' OR "
                                        "action = ?2) AND at_us >= ?3 AND at_us < ?4 "
                                        "ORDER BY id DESC LIMIT ?5"));
    s.bind(1, q.actor).bind(2, q.action).bind(3, q.from_us).bind(4, q.to_us).bind(5, q.limit);
    std::vector<AuditEntry> out;
    for (;;) {
        HEARTH_ASSIGN_OR_RETURN(const bool has_row, s.step());
        if (!has_row) {
            break;
        }
        out.push_back(read_entry(s));
    }
    return out;
}

}  // namespace hearth::store
