// The real path: the simulated camera encoded by GStreamer (x264), decoded by libavcodec
// for detection, events with snapshots. The burnt-in clock changes every frame, so with
// no mask it is motion at once; with B-frames in the stream, frames nothing refers to are
// never decoded.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "detect/camera_detector.h"
#include "media/sim_source.h"

namespace hearth::detect {
namespace {

using namespace std::chrono_literals;

struct Recorded {
    std::mutex mu;
    std::vector<DetectedEvent> events;
    std::vector<DetectedEvent> of(const std::string& kind) {
        std::lock_guard lock(mu);
        std::vector<DetectedEvent> out;
        for (const auto& e : events) {
            if (e.kind == kind) out.push_back(e);
        }
        return out;
    }
};

void run_camera(CameraDetector& detector, const std::string& options, std::chrono::milliseconds how_long) {
    auto o = media::parse_sim_options(options);
    ASSERT_TRUE(o) << o.error().message;
    media::SimSource source("detect-test", *o);
    source.start(&detector);
    std::this_thread::sleep_for(how_long);
    source.stop();
}

TEST(CameraDetectorTest, DecodesAtTheAnalysisRateAndReportsMotionWithASnapshot) {
    core::SystemClock clock;
    Recorded rec;
    const auto t0 = clock.now_us();
    auto detector = std::make_unique<CameraDetector>(DetectionSettings{}, clock, [&](const DetectedEvent& e) {
        std::lock_guard lock(rec.mu);
        rec.events.push_back(e);
    });
    run_camera(*detector, R"({"width":640,"height":360,"fps":15,"traffic":false,"bframes":2,"audio":true})", 4500ms);
    const auto& st = detector->stats();
    EXPECT_GT(st.skipped_nonref.load(), 10u);  // B-frames between analyses are not decoded
    EXPECT_LT(st.decoded.load(), 50u);         // of about 65 frames
    EXPECT_GE(st.analysed.load(), 12u);        // about 5 a second
    EXPECT_LE(st.analysed.load(), 26u);
    EXPECT_EQ(st.errors.load(), 0u);
    detector.reset();  // works through its queue, then closes what is open
    auto motion = rec.of("motion");
    ASSERT_FALSE(motion.empty());
    EXPECT_EQ(motion.front().phase, Phase::kStarted);
    EXPECT_GE(motion.front().start_us, t0);
    EXPECT_LT(motion.front().start_us - t0, 3'000'000);
    ASSERT_GT(motion.front().snapshot.size(), 1000u);
    EXPECT_EQ(motion.front().snapshot[0], 0xFF);  // JPEG
    EXPECT_EQ(motion.front().snapshot[1], 0xD8);
    EXPECT_EQ(motion.back().phase, Phase::kEnded);  // closed when the camera stopped
}

TEST(CameraDetectorTest, SoundEventsFromTheChirp) {
    core::SystemClock clock;
    Recorded rec;
    DetectionSettings settings;
    settings.motion = false;  // audio only
    CameraDetector detector(settings, clock, [&](const DetectedEvent& e) {
        std::lock_guard lock(rec.mu);
        rec.events.push_back(e);
    });
    // The chirp sounds at every multiple of 10 s of the wall clock: the next one at least
    // 2.5 s away, so the camera is up and the room's level learned by then.
    std::int64_t to_chirp_ms = 10'000 - (clock.now_us() / 1000) % 10'000;
    if (to_chirp_ms < 2'500) {
        to_chirp_ms += 10'000;
    }
    run_camera(detector, R"({"width":320,"height":180,"fps":10,"traffic":false,"audio_codec":"pcmu"})",
               std::chrono::milliseconds(to_chirp_ms + 1'500));
    auto sound = rec.of("sound");
    ASSERT_FALSE(sound.empty());
    const auto start_ms = sound.front().start_us / 1000;
    const auto off = start_ms % 10'000;
    EXPECT_TRUE(off < 1'000 || off > 9'500) << "sound at " << off << " ms past a 10 s mark";
}

}  // namespace
}  // namespace hearth::detect
