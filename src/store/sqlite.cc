#include "store/sqlite.h"

namespace hearth::store {

core::Error sqlite_error(sqlite3* db, std::string_view what) {
    const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    const auto primary = code & 0xff;
    core::ErrorCode ec = core::ErrorCode::kInternal;
    if (primary == SQLITE_FULL) {
        ec = core::ErrorCode::kResourceExhausted;
    } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_READONLY ||
               primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR) {
        ec = core::ErrorCode::kUnavailable;
    } else if (primary == SQLITE_CONSTRAINT) {
        ec = core::ErrorCode::kAlreadyExists;
    }
    return core::make_error(
        ec, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(code)));
}

Statement& Statement::operator=(Statement&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(stmt_);
        db_ = o.db_;
        stmt_ = o.stmt_;
        o.stmt_ = nullptr;
    }
    return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind_double(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind(int index, const std::vector<std::uint8_t>& blob) {
    sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> blob) {
    sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

core::Result<bool> Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    auto err = sqlite_error(db_, "sqlite step");
    sqlite3_reset(stmt_);
    return err;
}

core::Status Statement::run() {
    for (;;) {
        auto r = step();
        if (!r) {
            return r.error();
        }
        if (!*r) {
            sqlite3_reset(stmt_);
            return {};
        }
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::column_text(int col) const {
    const auto* text = sqlite3_column_text(stmt_, col);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                : std::string();
}

std::span<const std::uint8_t> Statement::column_blob(int col) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
    return data ? std::span<const std::uint8_t>(data, size) : std::span<const std::uint8_t>();
}

bool Statement::column_is_null(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

core::Result<Database> Database::open(const std::filesystem::path& path, Mode mode) {
    sqlite3* raw = nullptr;
    const int flags =
        mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Database db(raw);
    if (rc != SQLITE_OK) {
        return sqlite_error(raw, "cannot open database " + path.string());
    }
    sqlite3_busy_timeout(raw, 5000);
    // WAL: readers never block the recorder's writes; NORMAL sync is crash-safe in WAL mode.
    if (mode == Mode::kReadWrite) {
        HEARTH_TRY(db.exec("PRAGMA journal_mode=WAL"));
    }
    HEARTH_TRY(db.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"));
    return db;
}

Database& Database::operator=(Database&& o) noexcept {
    if (this != &o) {
        sqlite3_close_v2(db_);
        db_ = o.db_;
        o.db_ = nullptr;
    }
    return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

core::Status Database::exec(std::string_view sql) {
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return sqlite_error(db_, "sqlite exec");
    }
    return {};
}

core::Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
        return sqlite_error(db_, "sqlite prepare");
    }
    return Statement(db_, stmt);
}

Database::Transaction::Transaction(Database& db) : db_(&db) {
    open_ = static_cast<bool>(db_->exec("BEGIN IMMEDIATE"));
}

Database::Transaction::~Transaction() {
    if (open_) {
        (void)db_->exec("ROLLBACK");
    }
}

core::Status Database::Transaction::began() const {
    if (!open_) {
        return core::make_error(core::ErrorCode::kUnavailable,
                                "the database is busy: the transaction could not begin");
    }
    return {};
}

core::Status Database::Transaction::commit() {
    if (!open_) {
        return core::make_error(core::ErrorCode::kUnavailable, "transaction did not begin");
    }
    auto s = db_->exec("COMMIT");
    if (s) {
        open_ = false;
    }
    return s;
}

}  // namespace hearth::store
