#include "store/index.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace hearth::store {
namespace {

constexpr std::int64_t kSec = 1'000'000;
constexpr std::int64_t kT0 = 1'700'000'000LL * kSec;

class IndexTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("hearth-index-test-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir_);
        auto idx = Index::open(dir_ / "hearth.db");
        ASSERT_TRUE(idx) << idx.error().describe();
        index_ = std::move(*idx);
        Camera c;
        c.name = "porch";
        c.kind = CameraKind::kSim;
        auto id = index_->add_camera(c);
        ASSERT_TRUE(id);
        cam_ = *id;
    }
    void TearDown() override {
        index_.reset();
        std::filesystem::remove_all(dir_);
    }

    // A segment of `seconds` one-second fragments, keyframe every `gop` fragments.
    core::SegmentId record(core::WallMicros start, int seconds, int gop = 1, bool finish = true) {
        const auto path = "rec/" + std::to_string(start) + ".mp4";
        auto seg = index_->begin_segment(cam_, path, start, 1000, "h264");
        EXPECT_TRUE(seg);
        for (int i = 0; i < seconds; ++i) {
            Fragment f{i + 1, start + i * kSec, kSec, 1000 + i * 5000, 5000, i % gop == 0};
            EXPECT_TRUE(index_->add_fragment(*seg, f));
        }
        if (finish) {
            EXPECT_TRUE(index_->finish_segment(*seg));
        }
        return *seg;
    }

    std::filesystem::path dir_;
    std::unique_ptr<Index> index_;
    core::CameraId cam_;
};

TEST_F(IndexTest, SchemaIsAtLatestVersionAndReopens) {
    EXPECT_EQ(index_->schema_version(), 7);
    index_.reset();
    auto again = Index::open(dir_ / "hearth.db");
    ASSERT_TRUE(again);
    auto cams = (*again)->list_cameras();
    ASSERT_TRUE(cams);
    EXPECT_EQ(cams->size(), 1u);
}

TEST_F(IndexTest, NewerSchemaIsRefused) {
    index_.reset();
    {
        auto db = Database::open(dir_ / "hearth.db", Database::Mode::kReadWrite);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("PRAGMA user_version=99"));
    }
    auto idx = Index::open(dir_ / "hearth.db");
    ASSERT_FALSE(idx);
    EXPECT_NE(idx.error().message.find("newer"), std::string::npos);
}

TEST_F(IndexTest, CamerasAddFindRemove) {
    Camera dup;
    dup.name = "porch";
    dup.kind = CameraKind::kSim;
    auto r = index_->add_camera(dup);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kAlreadyExists);

    auto by_name = index_->find_camera("porch");
    ASSERT_TRUE(by_name);
    EXPECT_EQ(by_name->id, cam_);
    auto by_id = index_->find_camera(std::to_string(cam_.value()));
    ASSERT_TRUE(by_id);
    EXPECT_EQ(by_id->name, "porch");
    EXPECT_FALSE(index_->find_camera("garage"));

    record(kT0, 3);
    auto paths = index_->remove_camera(cam_);
    ASSERT_TRUE(paths);
    EXPECT_EQ(paths->size(), 1u);
    EXPECT_EQ(*index_->total_bytes(), 0);
    EXPECT_FALSE(index_->remove_camera(cam_));
}

TEST_F(IndexTest, RangesMergeTouchingSegmentsAndSplitGaps) {
    record(kT0, 60);
    record(kT0 + 60 * kSec, 60);
    record(kT0 + 300 * kSec, 10);  // a gap of 3 minutes
    auto r = index_->ranges(cam_, kT0, kT0 + 3600 * kSec);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].start_us, kT0);
    EXPECT_EQ((*r)[0].end_us, kT0 + 120 * kSec);
    EXPECT_EQ((*r)[1].start_us, kT0 + 300 * kSec);

    // A query window selects only overlapping segments.
    auto w = index_->segments(cam_, kT0 + 130 * kSec, kT0 + 200 * kSec);
    ASSERT_TRUE(w);
    EXPECT_TRUE(w->empty());
}

TEST_F(IndexTest, PlaybackStartsAtTheKeyframeAtOrBeforeTheRequestedTime) {
    record(kT0, 10, /*gop=*/4);  // keyframes at 0, 4, 8 s
    auto p = index_->playback(cam_, kT0 + 6 * kSec + 500000, kT0 + 9 * kSec);
    ASSERT_TRUE(p);
    ASSERT_FALSE(p->empty());
    EXPECT_EQ(p->front().fragment.start_us, kT0 + 4 * kSec);
    EXPECT_TRUE(p->front().fragment.keyframe);
    EXPECT_EQ(p->back().fragment.start_us, kT0 + 8 * kSec);
    EXPECT_EQ(p->size(), 5u);
}

TEST_F(IndexTest, PlaybackSpansSegments) {
    record(kT0, 60);
    record(kT0 + 60 * kSec, 60);
    auto p = index_->playback(cam_, kT0 + 58 * kSec, kT0 + 62 * kSec);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->size(), 4u);
    EXPECT_NE(p->front().segment, p->back().segment);
}

TEST_F(IndexTest, NearestRangesAroundAGap) {
    record(kT0, 60);
    record(kT0 + 600 * kSec, 60);
    auto n = index_->nearest_ranges(cam_, kT0 + 300 * kSec);
    ASSERT_TRUE(n);
    ASSERT_EQ(n->size(), 2u);
    EXPECT_EQ((*n)[0].end_us, kT0 + 60 * kSec);
    EXPECT_EQ((*n)[1].start_us, kT0 + 600 * kSec);
    auto p = index_->playback(cam_, kT0 + 300 * kSec, kT0 + 310 * kSec);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->empty());
}

TEST_F(IndexTest, TruncateKeepsCompleteFragmentsOnly) {
    auto seg = record(kT0, 5, 1, /*finish=*/false);
    auto inc = index_->incomplete_segments();
    ASSERT_TRUE(inc);
    ASSERT_EQ(inc->size(), 1u);
    // Only the first two fragments (1000 + 2*5000 bytes) made it to disk.
    ASSERT_TRUE(index_->truncate_segment(seg, 1000 + 2 * 5000 + 17));
    auto frags = index_->fragments(seg);
    ASSERT_TRUE(frags);
    EXPECT_EQ(frags->size(), 2u);
    auto segs = index_->segments(cam_, kT0, kT0 + 10 * kSec);
    ASSERT_TRUE(segs);
    ASSERT_EQ(segs->size(), 1u);
    EXPECT_EQ(segs->front().end_us, kT0 + 2 * kSec);
    EXPECT_EQ(segs->front().bytes, 11000);
    EXPECT_TRUE(segs->front().complete);
    EXPECT_TRUE(index_->incomplete_segments()->empty());
}

TEST_F(IndexTest, TruncateToNothingRemovesTheSegment) {
    auto seg = record(kT0, 2, 1, false);
    ASSERT_TRUE(index_->truncate_segment(seg, 1000));
    EXPECT_TRUE(index_->segments(cam_, 0, kT0 * 2)->empty());
}

TEST_F(IndexTest, RetentionByAgeThenBudgetOldestFirstKeepingPinned) {
    for (int i = 0; i < 10; ++i) {
        record(kT0 + i * 60 * kSec, 60);  // 10 segments, 301000 bytes each
    }
    const auto now = kT0 + 600 * kSec;
    // By age: older than 5 minutes -> segments ending before now - 300 s: 0..3 (4 ends at 300s).
    auto old = index_->retention_candidates(now, 300 * kSec, 0);
    ASSERT_TRUE(old);
    EXPECT_EQ(old->size(), 4u);
    EXPECT_EQ(old->front().start_us, kT0);
    // By budget: keep at most 3 segments' bytes.
    auto budget = index_->retention_candidates(now, 0, 3 * 301000);
    ASSERT_TRUE(budget);
    EXPECT_EQ(budget->size(), 7u);
    // A pinned range survives both.
    ASSERT_TRUE(index_->pin(cam_, kT0 + 10 * kSec, kT0 + 20 * kSec, now + 3600 * kSec));
    auto pinned = index_->retention_candidates(now, 300 * kSec, 0);
    ASSERT_TRUE(pinned);
    EXPECT_EQ(pinned->size(), 3u);
    for (const auto& s : *pinned) {
        EXPECT_NE(s.start_us, kT0);
        ASSERT_TRUE(index_->delete_segment(s.id));
    }
    EXPECT_EQ(*index_->total_bytes(), 7 * 301000);
}

TEST_F(IndexTest, EventsAndSettings) {
    ASSERT_TRUE(index_->add_event({0, cam_, "camera.offline", kT0, "connection refused"}));
    ASSERT_TRUE(index_->add_event({0, core::CameraId(), "hub.started", kT0 + 1, ""}));
    auto all = index_->events(std::nullopt, 10);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ(all->front().kind, "hub.started");
    auto cam = index_->events(cam_, 10);
    ASSERT_TRUE(cam);
    ASSERT_EQ(cam->size(), 1u);
    EXPECT_EQ(cam->front().detail, "connection refused");

    EXPECT_FALSE(index_->setting("retention.max_age_days")->has_value());
    ASSERT_TRUE(index_->set_setting("retention.max_age_days", "30"));
    ASSERT_TRUE(index_->set_setting("retention.max_age_days", "14"));
    EXPECT_EQ(index_->setting("retention.max_age_days")->value(), "14");
}

TEST_F(IndexTest, PtzPresetsAreNamedBoundedAndGoWithTheCamera) {
    PtzPreset door{"Door", "tok-1", true, -0.5, 0.25, 0.1, kT0};
    ASSERT_TRUE(index_->put_ptz_preset(cam_, door, 2));
    auto got = index_->ptz_preset(cam_, "Door");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->token, "tok-1");
    EXPECT_DOUBLE_EQ(got->pan, -0.5);
    EXPECT_DOUBLE_EQ(got->tilt, 0.25);
    // Same name replaces; a new one beyond the limit is refused and changes nothing.
    door.pan = 0.75;
    ASSERT_TRUE(index_->put_ptz_preset(cam_, door, 2));
    ASSERT_TRUE(index_->put_ptz_preset(cam_, {"Gate", "", false, 0, 0, 0, kT0}, 2));
    auto full = index_->put_ptz_preset(cam_, {"Yard", "", false, 0, 0, 0, kT0}, 2);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, core::ErrorCode::kResourceExhausted);
    auto all = index_->ptz_presets(cam_);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].name, "Door");
    EXPECT_DOUBLE_EQ((*all)[0].pan, 0.75);
    EXPECT_FALSE((*all)[1].has_position);

    EXPECT_EQ(index_->remove_ptz_preset(cam_, "Nope").error().code, core::ErrorCode::kNotFound);
    ASSERT_TRUE(index_->remove_ptz_preset(cam_, "Gate"));
    EXPECT_EQ(index_->put_ptz_preset(core::CameraId(999), door, 2).error().code,
              core::ErrorCode::kNotFound);
    ASSERT_TRUE(index_->remove_camera(cam_));
    EXPECT_TRUE(index_->ptz_presets(cam_)->empty());
}

// Reads the whole database file and its WAL, as someone with a copy of the disk would.
std::string raw_files(const std::filesystem::path& dir) {
    std::string all;
    for (const char* name : {"hearth.db", "hearth.db-wal"}) {
        std::ifstream in(dir / name, std::ios::binary);
        all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
}

TEST_F(IndexTest, CameraPasswordsAreSealedAtRestAndOpenForTheSource) {
    Camera c;
    c.name = "drive";
    c.kind = CameraKind::kRtsp;
    c.url = "rtsp://127.0.0.1:8554/stream";
    c.username = "viewer";
    c.password = "tangerine-wombat-credential";
    auto id = index_->add_camera(c);
    ASSERT_TRUE(id);
    auto got = index_->get_camera(*id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->password, "tangerine-wombat-credential");
    EXPECT_TRUE(got->credentials_problem.empty());
    index_.reset();
    EXPECT_EQ(raw_files(dir_).find("tangerine-wombat-credential"), std::string::npos);

    // Another hub's key (or an altered row) gives a clear problem, not garbage.
    std::filesystem::remove(dir_ / "hub.key");
    auto other = Index::open(dir_ / "hearth.db");
    ASSERT_TRUE(other);
    got = (*other)->get_camera(*id);
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->password.empty());
    EXPECT_NE(got->credentials_problem.find("cannot be opened"), std::string::npos);
}

TEST_F(IndexTest, PasswordsStoredInTheClearByAnOlderHubAreSealedOnOpen) {
    {
        auto db = Database::open(dir_ / "hearth.db", Database::Mode::kReadWrite);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("INSERT INTO cameras (name, kind, url, username, password) VALUES "
                             "('old', 'rtsp', 'rtsp://127.0.0.1/s', 'viewer', 'plain-old-secret')"));
    }
    index_.reset();
    auto reopened = Index::open(dir_ / "hearth.db");
    ASSERT_TRUE(reopened);
    auto old = (*reopened)->find_camera("old");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->password, "plain-old-secret");
    reopened->reset();
    EXPECT_EQ(raw_files(dir_).find("plain-old-secret"), std::string::npos);
}

}  // namespace
}  // namespace hearth::store

namespace hearth::store {
namespace {

// A recorder may still hold the id of a segment deleted under it: no later segment may get
// that id (SQLite alone would hand out the largest id again after its row is deleted).
TEST_F(IndexTest, SegmentIdsAreNeverReusedAfterADelete) {
    const auto cam = cam_;
    auto a = index_->begin_segment(cam, "recordings/a.mp4", 1000, 700, "h264");
    ASSERT_TRUE(a);
    ASSERT_TRUE(index_->shred_segments(std::nullopt, 0, INT64_MAX));
    auto b = index_->begin_segment(cam, "recordings/b.mp4", 2000, 700, "h264");
    ASSERT_TRUE(b);
    EXPECT_GT(b->value(), a->value());
    auto late = index_->add_fragment(*a, {1, 1000, 1'000'000, 700, 5000, true});
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, core::ErrorCode::kNotFound);
    index_.reset();
    auto reopened = Index::open(dir_ / "hearth.db");
    ASSERT_TRUE(reopened);
    index_ = std::move(*reopened);
    ASSERT_TRUE(index_->shred_segments(std::nullopt, 0, INT64_MAX));
    auto c = index_->begin_segment(cam, "recordings/c.mp4", 3000, 700, "h264");
    EXPECT_GT(c->value(), b->value());
}

}  // namespace
}  // namespace hearth::store
