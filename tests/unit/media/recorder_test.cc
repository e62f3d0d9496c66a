#include "media/recorder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <random>
#include <thread>

#include "crypto/household_key.h"
#include "media/fmp4_reader.h"
#include "media/segment_reader.h"

namespace hearth::media {
namespace {

constexpr std::int64_t kT0 = 1'790'000'000LL * 1'000'000;
constexpr std::int64_t kFrameUs = 66'667;  // 15 fps

std::vector<std::uint8_t> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

class RecorderTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("hearth-recorder-test-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir_);
        auto idx = store::Index::open(dir_ / "hearth.db");
        ASSERT_TRUE(idx);
        index_ = std::move(*idx);
        store::Camera c;
        c.name = "cam";
        c.kind = store::CameraKind::kSim;
        cam_ = *index_->add_camera(c);
        video_.codec = Codec::kH264;
        video_.codec_data = {1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4,
                             0x68, 0xce, 0x3c, 0x80};
        video_.width = 640;
        video_.height = 360;
        audio_.codec = Codec::kAac;
        audio_.codec_data = {0x11, 0x90};
        audio_.sample_rate = 48000;
        audio_.channels = 1;
    }
    void TearDown() override {
        index_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Feeds `seconds` of video (keyframe every `gop` frames) and AAC audio.
    void feed(Recorder& r, int seconds, int gop, std::int64_t source_start_us = 0) {
        std::int64_t audio_us = source_start_us;
        for (int i = 0; i < seconds * 15; ++i) {
            const std::int64_t t = source_start_us + i * kFrameUs;
            while (audio_us < t) {
                EncodedSample a;
                a.track = 1;
                a.data = std::make_shared<const std::vector<std::uint8_t>>(200, 0x21);
                a.pts_us = a.dts_us = audio_us;
                a.duration_us = 21'333;
                a.keyframe = true;
                r.on_sample(a);
                audio_us += 21'333;
            }
            EncodedSample v;
            v.track = 0;
            v.data = std::make_shared<const std::vector<std::uint8_t>>(
                std::vector<std::uint8_t>{0, 0, 0, 4, 0x65, 1, 2, 3});
            v.pts_us = v.dts_us = t;
            v.duration_us = kFrameUs;
            v.keyframe = i % gop == 0;
            r.on_sample(v);
        }
    }

    // Records `seconds` (keyframe every second) encrypted to household_, files of `segment`.
    void record_encrypted(int seconds, std::chrono::seconds segment = std::chrono::seconds(60)) {
        RecorderOptions o;
        o.segment_target = segment;
        o.household = household_.public_key();
        Recorder r(cam_, *index_, dir_, clock_, o);
        r.start();
        r.on_tracks({video_, audio_});
        feed(r, seconds, 15);
        r.stop();
    }
    core::Result<SegmentReader> open_encrypted(const store::Segment& seg) {
        return SegmentReader::open(dir_ / seg.path, seg.sealed_key,
                                   [this](std::span<const std::uint8_t> sealed) {
                                       return household_.open_sealed(sealed);
                                   });
    }

    static crypto::HouseholdKey fresh_household() {
        auto key = crypto::HouseholdKey::generate();
        return std::move(*key);
    }
    crypto::HouseholdKey household_ = fresh_household();
    std::filesystem::path dir_;
    std::unique_ptr<store::Index> index_;
    core::CameraId cam_;
    TrackInfo video_, audio_;
    core::FakeClock clock_{kT0};
};

TEST_F(RecorderTest, CutsFragmentsAtKeyframesAndFilesAtTheTargetLength) {
    RecorderOptions o;
    o.segment_target = std::chrono::seconds(4);
    Recorder r(cam_, *index_, dir_, clock_, o);
    r.start();
    r.on_tracks({video_, audio_});
    r.on_state(SourceState::kOnline, "sim");
    feed(r, 10, 15);
    r.stop();

    auto segs = index_->segments(cam_, 0, kT0 * 2);
    ASSERT_TRUE(segs);
    ASSERT_EQ(segs->size(), 3u);  // 0-4 s, 4-8 s, 8-10 s
    for (const auto& s : *segs) {
        EXPECT_TRUE(s.complete);
        EXPECT_EQ(s.codecs, "h264,aac");
        auto frags = index_->fragments(s.id);
        ASSERT_TRUE(frags);
        ASSERT_FALSE(frags->empty());
        // The file holds exactly the indexed fragments, and they start on keyframes.
        const auto bytes = read_file(dir_ / s.path);
        std::uint64_t valid = 0;
        auto scanned = fmp4::scan_fragments(bytes, &valid);
        ASSERT_TRUE(scanned) << scanned.error().message;
        ASSERT_EQ(scanned->size(), frags->size());
        EXPECT_EQ(valid, bytes.size());
        for (std::size_t i = 0; i < frags->size(); ++i) {
            EXPECT_EQ((*frags)[i].offset, static_cast<std::int64_t>((*scanned)[i].offset));
            EXPECT_EQ((*frags)[i].start_us, (*scanned)[i].start_us);
            EXPECT_TRUE((*frags)[i].keyframe);
            EXPECT_NEAR((*frags)[i].duration_us, 1'000'000, 70'000);
        }
    }
    EXPECT_EQ(segs->front().start_us, kT0);
    EXPECT_NEAR(segs->back().end_us, kT0 + 10'000'000, 70'000);
    EXPECT_EQ(r.stats().segments, 3u);
    EXPECT_EQ(r.stats().dropped_samples, 0u);
    auto events = index_->events(cam_, 10);
    ASSERT_TRUE(events);
    ASSERT_FALSE(events->empty());
    EXPECT_EQ(events->back().kind, "camera.online");
}

TEST_F(RecorderTest, LongGopsAreCutWithoutKeyframesSoLittleIsLostInACrash) {
    Recorder r(cam_, *index_, dir_, clock_);
    r.start();
    r.on_tracks({video_, audio_});
    feed(r, 10, 75);  // a keyframe every 5 s
    r.stop();
    auto segs = index_->segments(cam_, 0, kT0 * 2);
    ASSERT_EQ(segs->size(), 1u);
    auto frags = index_->fragments(segs->front().id);
    int keyframes = 0;
    for (const auto& f : *frags) {
        EXPECT_LE(f.duration_us, 2'100'000);
        keyframes += f.keyframe;
    }
    EXPECT_EQ(keyframes, 2);
    EXPECT_GE(frags->size(), 5u);
}

TEST_F(RecorderTest, SourceTimeIsMappedOntoTheWallClockFromTheFirstSample) {
    Recorder r(cam_, *index_, dir_, clock_);
    r.start();
    r.on_tracks({video_, audio_});
    feed(r, 3, 15, /*source_start_us=*/3'600'000'000LL);  // encoders start at odd times
    r.stop();
    auto ranges = index_->ranges(cam_, 0, kT0 * 2);
    ASSERT_EQ(ranges->size(), 1u);
    EXPECT_EQ(ranges->front().start_us, kT0);
}

TEST_F(RecorderTest, NewTracksStartANewFile) {
    Recorder r(cam_, *index_, dir_, clock_);
    r.start();
    r.on_tracks({video_, audio_});
    feed(r, 2, 15);
    while (r.stats().fragments == 0) {  // the first file is anchored before the clock moves
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    auto bigger = video_;
    bigger.width = 1280;
    bigger.height = 720;
    clock_.advance(std::chrono::seconds(5));
    r.on_tracks({bigger, audio_});
    feed(r, 2, 15);
    r.stop();
    auto segs = index_->segments(cam_, 0, kT0 * 2);
    ASSERT_EQ(segs->size(), 2u);
    EXPECT_GE(segs->back().start_us, kT0 + 5'000'000);
}

TEST_F(RecorderTest, AFullQueueDropsUntilTheNextKeyframeInsteadOfGrowing) {
    RecorderOptions o;
    o.queue_capacity = 20;
    Recorder r(cam_, *index_, dir_, clock_, o);
    r.on_tracks({video_, audio_});  // the writer is not started: nothing drains the queue
    feed(r, 3, 15);
    EXPECT_GT(r.stats().dropped_samples, 100u);
    r.start();
    r.stop();
    auto segs = index_->segments(cam_, 0, kT0 * 2);
    ASSERT_TRUE(segs);
    for (const auto& s : *segs) {
        auto frags = index_->fragments(s.id);
        ASSERT_TRUE(frags);
        for (const auto& f : *frags) {
            EXPECT_TRUE(f.keyframe);  // what was kept still starts on a keyframe
        }
    }
}

TEST_F(RecorderTest, RecoveryKeepsWholeIndexedFragmentsAndCutsTheRest) {
    RecorderOptions o;
    o.segment_target = std::chrono::seconds(60);
    {
        Recorder r(cam_, *index_, dir_, clock_, o);
        r.start();
        r.on_tracks({video_, audio_});
        feed(r, 5, 15);
        r.stop();
    }
    auto seg = index_->segments(cam_, 0, kT0 * 2)->front();
    auto frags = *index_->fragments(seg.id);
    ASSERT_EQ(frags.size(), 5u);
    // Simulate a crash: the segment is not closed, the last indexed fragment is torn
    // on disk, and half of an unindexed fragment trails the file.
    ASSERT_TRUE(index_->add_fragment(seg.id, {99, seg.end_us, 1'000'000,
                                              frags.back().offset + frags.back().bytes, 5000, true}));
    auto db = store::Database::open(dir_ / "hearth.db", store::Database::Mode::kReadWrite);
    ASSERT_TRUE(db->exec("UPDATE segments SET complete = 0"));
    const auto path = dir_ / seg.path;
    const auto full = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, full - frags.back().bytes / 2);
    auto report = recover_segments(*index_, dir_);
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_EQ(report->size(), 1u);
    auto after = *index_->fragments(seg.id);
    EXPECT_EQ(after.size(), 4u);
    EXPECT_EQ(std::filesystem::file_size(path),
              static_cast<std::uintmax_t>(after.back().offset + after.back().bytes));
    EXPECT_TRUE(index_->incomplete_segments()->empty());
}

TEST_F(RecorderTest, RecoveryRemovesASegmentWithoutAFile) {
    auto seg = index_->begin_segment(cam_, "recordings/1/x.mp4", kT0, 700, "h264");
    ASSERT_TRUE(seg);
    ASSERT_TRUE(index_->add_fragment(*seg, {1, kT0, 1'000'000, 700, 5000, true}));
    auto report = recover_segments(*index_, dir_);
    ASSERT_TRUE(report);
    EXPECT_TRUE(index_->segments(cam_, 0, kT0 * 2)->empty());
}

// Encrypted to the household: the files hold no MP4 structure, each file has its own key
// sealed in the index, and the household key reads every fragment back exactly.
TEST_F(RecorderTest, EncryptsEveryFileToTheHouseholdWithItsOwnKey) {
    record_encrypted(10, std::chrono::seconds(4));
    auto segs = *index_->segments(cam_, 0, kT0 * 2);
    ASSERT_EQ(segs.size(), 3u);
    std::set<std::vector<std::uint8_t>> sealed_keys;
    for (const auto& s : segs) {
        EXPECT_TRUE(s.path.ends_with(".mp4.enc")) << s.path;
        ASSERT_EQ(s.sealed_key.size(), 80u);  // 32-byte key + crypto_box_SEALBYTES
        sealed_keys.insert(s.sealed_key);
        const auto bytes = read_file(dir_ / s.path);
        EXPECT_FALSE(fmp4::parse_init_segment(bytes));
        for (const char* box : {"ftyp", "moov", "moof", "mdat", "avcC"}) {
            EXPECT_EQ(std::search(bytes.begin(), bytes.end(), box, box + 4), bytes.end()) << box;
        }
        auto reader = open_encrypted(s);
        ASSERT_TRUE(reader) << reader.error().message;
        auto init = reader->read(0, s.init_bytes);
        ASSERT_TRUE(init) << init.error().message;
        std::vector<std::uint8_t> plain = *init;
        auto frags = *index_->fragments(s.id);
        std::int64_t end = s.init_bytes;
        for (const auto& f : frags) {
            EXPECT_EQ(f.offset, end);  // fragments tile the file, as before
            end += f.bytes;
            auto frag = reader->read(f.offset, f.bytes);
            ASSERT_TRUE(frag) << frag.error().message;
            EXPECT_EQ(static_cast<std::int64_t>(frag->size()), *reader->plain_size(f.bytes));
            plain.insert(plain.end(), frag->begin(), frag->end());
        }
        EXPECT_EQ(end, static_cast<std::int64_t>(bytes.size()));
        auto scanned = fmp4::scan_fragments(plain);
        ASSERT_TRUE(scanned) << scanned.error().message;
        ASSERT_EQ(scanned->size(), frags.size());
        EXPECT_EQ(scanned->front().start_us, frags.front().start_us);
    }
    EXPECT_EQ(sealed_keys.size(), segs.size());  // a key per file

    // Another household's key opens nothing.
    auto stranger = crypto::HouseholdKey::generate();
    auto refused = SegmentReader::open(dir_ / segs[0].path, segs[0].sealed_key,
                                       [&](std::span<const std::uint8_t> sealed) {
                                           return stranger->open_sealed(sealed);
                                       });
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(RecorderTest, OneAlteredByteFailsOnlyItsFragment) {
    record_encrypted(5);
    auto seg = index_->segments(cam_, 0, kT0 * 2)->front();
    auto frags = *index_->fragments(seg.id);
    ASSERT_EQ(frags.size(), 5u);
    {
        std::fstream f(dir_ / seg.path, std::ios::in | std::ios::out | std::ios::binary);
        const auto at = frags[2].offset + frags[2].bytes / 2;
        f.seekg(at);
        const char was = static_cast<char>(f.get());
        f.seekp(at);
        f.put(static_cast<char>(was ^ 0x01));
    }
    auto reader = open_encrypted(seg);
    ASSERT_TRUE(reader);
    for (std::size_t i = 0; i < frags.size(); ++i) {
        auto frag = reader->read(frags[i].offset, frags[i].bytes);
        EXPECT_EQ(static_cast<bool>(frag), i != 2) << i;
        if (!frag) {
            EXPECT_EQ(frag.error().code, core::ErrorCode::kDataLoss);
            EXPECT_NE(frag.error().message.find("altered"), std::string::npos);
        }
    }
}

TEST_F(RecorderTest, RecoveryOfAnEncryptedFileCutsWhatWasNotIndexed) {
    record_encrypted(5);
    auto seg = index_->segments(cam_, 0, kT0 * 2)->front();
    auto frags = *index_->fragments(seg.id);
    auto db = store::Database::open(dir_ / "hearth.db", store::Database::Mode::kReadWrite);
    ASSERT_TRUE(db->exec("UPDATE segments SET complete = 0"));
    // A crash: the last indexed fragment lost its tail, and junk trails the file.
    const auto path = dir_ / seg.path;
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - frags.back().bytes / 2);
    auto report = recover_segments(*index_, dir_);  // no key needed
    ASSERT_TRUE(report) << report.error().message;
    auto after = *index_->fragments(seg.id);
    ASSERT_EQ(after.size(), 4u);
    EXPECT_EQ(std::filesystem::file_size(path),
              static_cast<std::uintmax_t>(after.back().offset + after.back().bytes));
    auto reader = open_encrypted(seg);
    for (const auto& f : after) {
        EXPECT_TRUE(reader->read(f.offset, f.bytes));
    }
}

// Deleting recordings while one is being written: the keys go first, the files after, and
// the recorder drops the deleted file and goes on in a new one, without an error.
TEST_F(RecorderTest, ShreddingWhileRecordingDestroysKeysThenFilesAndRecordingGoesOn) {
    RecorderOptions o;
    o.household = household_.public_key();
    Recorder r(cam_, *index_, dir_, clock_, o);
    r.start();
    r.on_tracks({video_, audio_});
    feed(r, 4, 15);
    for (int i = 0; i < 200 && r.stats().fragments < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto before = *index_->segments(cam_, 0, kT0 * 2);
    ASSERT_EQ(before.size(), 1u);
    const auto old_file = dir_ / before[0].path;
    auto report = shred_recordings(*index_, dir_, cam_, INT64_MIN, INT64_MAX);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->segments, 1);
    EXPECT_EQ(report->files_left, 0);
    EXPECT_FALSE(std::filesystem::exists(old_file));
    EXPECT_TRUE(index_->segments(cam_, 0, kT0 * 2)->empty());
    // The database keeps no copy of the destroyed key (secure_delete, WAL truncated).
    const std::string key(before[0].sealed_key.begin(), before[0].sealed_key.end());
    for (const char* name : {"hearth.db", "hearth.db-wal"}) {
        const auto bytes = read_file(dir_ / name);
        EXPECT_EQ(std::string(bytes.begin(), bytes.end()).find(key), std::string::npos) << name;
    }
    // Recording goes on in a new file from the next keyframe, with no error.
    feed(r, 3, 15, 4 * 15 * kFrameUs);
    r.stop();
    auto after = *index_->segments(cam_, 0, kT0 * 2);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_NE(after[0].path, before[0].path);
    EXPECT_GE(index_->fragments(after[0].id)->size(), 1u);
    auto events = index_->events(cam_, 100);
    ASSERT_TRUE(events);
    for (const auto& e : *events) {
        EXPECT_NE(e.kind, "recording.error") << e.detail;
    }
}

}  // namespace
}  // namespace hearth::media
