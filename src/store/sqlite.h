// Thin RAII over the SQLite C API: one Database per connection, prepared
// Statements with typed binds. Errors come back as core::Result.
//
// Thread: a Database is used by one thread at a time (SQLite has one writer;
// readers open their own connection, which WAL mode lets run beside it).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::store {

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
    Statement& operator=(Statement&& o) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Binds by 1-based index.
    Statement& bind(int index, std::int64_t value);
    Statement& bind_double(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::vector<std::uint8_t>& blob);
    Statement& bind_blob(int index, std::span<const std::uint8_t> blob);
    Statement& bind_null(int index);

    // Steps once: true when a row is ready, false when done.
    core::Result<bool> step();
    // Steps until done (for statements that return no rows).
    core::Status run();
    void reset();

    std::int64_t column_int(int col) const;
    double column_double(int col) const;
    std::string column_text(int col) const;
    bool column_is_null(int col) const;
    // Valid until the next step() or reset(); copy secrets straight into guarded memory.
    std::span<const std::uint8_t> column_blob(int col) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
    enum class Mode : std::uint8_t { kInvalid = 0, kReadWrite, kReadOnly };

    // Opens (creating in kReadWrite) a file in WAL mode with foreign keys on.
    static core::Result<Database> open(const std::filesystem::path& path, Mode mode);

    Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
    Database& operator=(Database&& o) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    core::Status exec(std::string_view sql);
    core::Result<Statement> prepare(std::string_view sql);
    std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
    int changes() const { return sqlite3_changes(db_); }

    // RAII transaction: rolls back unless commit() succeeded.
    class Transaction {
    public:
        explicit Transaction(Database& db);
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        ~Transaction();
        // Whether BEGIN worked: check it before writing, or the writes would run in
        // autocommit mode and survive a failed commit().
        core::Status began() const;
        core::Status commit();

    private:
        Database* db_;
        bool open_ = false;
    };

private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

core::Error sqlite_error(sqlite3* db, std::string_view what);

// Steps `s` to its end and turns each row into a value with `read(s)`.
template <class Read>
auto collect_rows(Statement& s, Read read) -> core::Result<std::vector<decltype(read(s))>> {
    std::vector<decltype(read(s))> out;
    for (;;) {
        auto row = s.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(read(s));
    }
}

}  // namespace hearth::store
