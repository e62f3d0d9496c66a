#include "store/audit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "store/index.h"

namespace hearth::store {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000LL * 1'000'000;

AuditEntry entry(std::int64_t at_us, std::string actor, std::string action,
                 std::string target = "") {
    AuditEntry e;
    e.at_us = at_us;
    e.actor = std::move(actor);
    e.action = std::move(action);
    e.target = std::move(target);
    e.source = "192.0.2.7";
    return e;
}

class AuditTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("hearth-audit-test-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir_);
        auto idx = Index::open(db_path());  // creates the schema, audit table included
        ASSERT_TRUE(idx) << idx.error().describe();
        index_ = std::move(*idx);
        auto log = AuditLog::open(db_path());
        ASSERT_TRUE(log) << log.error().describe();
        log_ = std::move(*log);
    }
    void TearDown() override {
        log_.reset();
        index_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::filesystem::path db_path() const { return dir_ / "hearth.db"; }

    void append_n(int n) {
        for (int i = 0; i < n; ++i) {
            auto s = log_->append(
                entry(kT0 + i, i % 2 ? "alice" : "bob", "camera.view", "cam" + std::to_string(i)));
            ASSERT_TRUE(s) << s.error().describe();
        }
    }

    // A raw connection with the append-only triggers dropped: what an attacker
    // holding the file can do.
    Database attacker() {
        auto db = Database::open(db_path(), Database::Mode::kReadWrite);
        EXPECT_TRUE(db);
        EXPECT_TRUE(db->exec("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete"));
        return std::move(*db);
    }

    VerifyReport verify() {
        auto r = log_->verify();
        EXPECT_TRUE(r) << r.error().describe();
        return r ? *r : VerifyReport{};
    }

    std::filesystem::path dir_;
    std::unique_ptr<Index> index_;
    std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditTest, EmptyLogVerifies) {
    const auto r = verify();
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.rows, 0);
    EXPECT_EQ(r.first_broken_id, 0);
}

TEST_F(AuditTest, AppendsChainAndVerify) {
    append_n(6);
    const auto r = verify();
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.rows, 6);
    EXPECT_TRUE(r.reason.empty());

    AuditQuery q;
    q.limit = 10;
    auto all = log_->query(q);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 6u);
    // Newest first; ids 1..6 with each linked to the one before.
    EXPECT_EQ(all->back().id, 1);
    EXPECT_EQ(all->back().prev_hash, std::string(kAuditGenesisHash));
    for (std::size_t i = 0; i + 1 < all->size(); ++i) {
        EXPECT_EQ((*all)[i].prev_hash, (*all)[i + 1].hash);
        EXPECT_EQ((*all)[i].id, (*all)[i + 1].id + 1);
    }
    EXPECT_EQ(all->front().hash.size(), 64u);
}

TEST_F(AuditTest, AlteredRowIsReported) {
    append_n(5);
    auto db = attacker();
    ASSERT_TRUE(db.exec("UPDATE audit SET actor = 'mallory' WHERE id = 3"));
    const auto r = verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_broken_id, 3);
    EXPECT_EQ(r.rows, 2);
    EXPECT_NE(r.reason.find("altered"), std::string::npos) << r.reason;
}

TEST_F(AuditTest, AlteredTimestampIsReported) {
    append_n(5);
    auto db = attacker();
    ASSERT_TRUE(db.exec("UPDATE audit SET at_us = at_us + 1 WHERE id = 2"));
    const auto r = verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_broken_id, 2);
}

TEST_F(AuditTest, DeletedRowIsReportedAtTheNextLink) {
    append_n(6);
    auto db = attacker();
    ASSERT_TRUE(db.exec("DELETE FROM audit WHERE id = 4"));
    const auto r = verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_broken_id, 5);
    EXPECT_EQ(r.rows, 3);
    EXPECT_NE(r.reason.find("missing"), std::string::npos) << r.reason;
}

TEST_F(AuditTest, DeletedAndRenumberedRowBreaksTheLink) {
    // Closing the id gap does not help: row 5 still names row 4's hash.
    append_n(6);
    auto db = attacker();
    ASSERT_TRUE(db.exec("DELETE FROM audit WHERE id = 4"));
    ASSERT_TRUE(db.exec("UPDATE audit SET id = id - 1 WHERE id > 4"));
    const auto r = verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_broken_id, 4);
    EXPECT_NE(r.reason.find("link broken"), std::string::npos) << r.reason;
}

TEST_F(AuditTest, DeletedFirstRowIsReported) {
    append_n(3);
    auto db = attacker();
    ASSERT_TRUE(db.exec("DELETE FROM audit WHERE id = 1"));
    const auto r = verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_broken_id, 2);
    EXPECT_EQ(r.rows, 0);
}

TEST_F(AuditTest, RecomputedHashStillBreaksAtTheNextRow) {
    append_n(5);
    auto q = log_->query(AuditQuery{});
    ASSERT_TRUE(q);
    AuditEntry row3;
    for (const auto& e : *q) {
        if (e.id == 3) {
            row3 = e;
        }
    }
    ASSERT_EQ(row3.id, 3);
    row3.detail = "nothing happened here";
    const std::string forged = audit_entry_hash(row3.prev_hash, row3);

    auto db = attacker();
    auto s = db.prepare("UPDATE audit SET detail = ?, hash = ? WHERE id = 3");
    ASSERT_TRUE(s);
    s->bind(1, row3.detail).bind(2, forged);
    ASSERT_TRUE(s->run());
    const auto r = verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_broken_id, 4);
    EXPECT_EQ(r.rows, 3);
    EXPECT_NE(r.reason.find("link broken"), std::string::npos) << r.reason;
}

TEST_F(AuditTest, TriggersRefuseUpdateAndDelete) {
    append_n(2);
    auto db = Database::open(db_path(), Database::Mode::kReadWrite);
    ASSERT_TRUE(db);
    auto update = db->exec("UPDATE audit SET actor = 'mallory' WHERE id = 1");
    ASSERT_FALSE(update);
    EXPECT_NE(update.error().message.find("append-only"), std::string::npos)
        << update.error().message;
    auto del = db->exec("DELETE FROM audit WHERE id = 2");
    ASSERT_FALSE(del);
    EXPECT_NE(del.error().message.find("append-only"), std::string::npos);
    const auto r = verify();
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.rows, 2);
}

TEST_F(AuditTest, ConcurrentAppendersKeepOneChain) {
    auto other = AuditLog::open(db_path());
    ASSERT_TRUE(other) << other.error().describe();
    constexpr int kEach = 40;
    auto writer = [](AuditLog* log, const char* actor) {
        for (int i = 0; i < kEach; ++i) {
            auto s = log->append(entry(kT0 + i, actor, "login"));
            EXPECT_TRUE(s) << s.error().describe();
        }
    };
    std::thread a(writer, log_.get(), "alice");
    std::thread b(writer, other->get(), "bob");
    a.join();
    b.join();
    const auto r = verify();
    EXPECT_TRUE(r.ok) << r.reason << " at " << r.first_broken_id;
    EXPECT_EQ(r.rows, 2 * kEach);
}

TEST_F(AuditTest, QueryFilters) {
    ASSERT_TRUE(log_->append(entry(kT0 + 10, "alice", "login")));
    ASSERT_TRUE(log_->append(entry(kT0 + 20, "bob", "login")));
    ASSERT_TRUE(log_->append(entry(kT0 + 30, "alice", "camera.add", "porch")));
    ASSERT_TRUE(log_->append(entry(kT0 + 40, "alice", "login")));

    AuditQuery by_actor;
    by_actor.actor = "alice";
    auto r = log_->query(by_actor);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].at_us, kT0 + 40);  // newest first

    AuditQuery by_action;
    by_action.action = "login";
    by_action.actor = "alice";
    r = log_->query(by_action);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 2u);

    AuditQuery by_time;
    by_time.from_us = kT0 + 20;
    by_time.to_us = kT0 + 40;  // exclusive
    r = log_->query(by_time);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].target, "porch");
    EXPECT_EQ((*r)[1].actor, "bob");

    AuditQuery limited;
    limited.limit = 1;
    r = log_->query(limited);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].id, 4);

    limited.limit = 0;
    r = log_->query(limited);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(AuditTest, OversizedOrMissingFieldsAreRefused) {
    auto big = entry(kT0, "alice", "login");
    big.detail = std::string(kMaxAuditFieldBytes + 1, 'x');
    auto s = log_->append(big);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("detail"), std::string::npos);

    big.detail = std::string(kMaxAuditFieldBytes, 'x');  // exactly at the limit is fine
    EXPECT_TRUE(log_->append(big));

    auto no_actor = entry(kT0, "", "login");
    s = log_->append(no_actor);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument);

    const auto r = verify();
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.rows, 1);
}

TEST_F(AuditTest, FieldBoundariesCannotBeShifted) {
    // Moving text from one field to the next must change the hash.
    AuditEntry a = entry(kT0, "al", "ice.login");
    AuditEntry b = entry(kT0, "alice", ".login");
    EXPECT_NE(audit_entry_hash(kAuditGenesisHash, a), audit_entry_hash(kAuditGenesisHash, b));
}

TEST_F(AuditTest, HashFormatIsPinned) {
    // The chain must verify across releases: this value was computed independently
    // (Python hashlib) from "0"*64 + "\n" + the canonical encoding.
    EXPECT_EQ(audit_entry_hash(kAuditGenesisHash, entry(kT0, "alice", "login")),
              "49e308671a9cdca7f2a2004828fd4e81153ad896041dfaadc21af730063d2289");
}

TEST_F(AuditTest, OpenWithoutSchemaIsRefused) {
    auto log = AuditLog::open(dir_ / "other.db");
    ASSERT_FALSE(log);
    EXPECT_EQ(log.error().code, core::ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hearth::store
