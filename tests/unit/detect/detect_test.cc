// Detection on the simulated camera's scene, whose script says when the person walks:
// settings bounds, motion with zones and masks, light changes, tampering, people, sound,
// and the event rules. Pictures are rendered straight from SimScene (no encoder) so these
// run in simulated time; camera_detector_test.cc runs the real decode path.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "detect/event_tracker.h"
#include "detect/motion.h"
#include "detect/person.h"
#include "detect/settings.h"
#include "detect/sound.h"
#include "detect/tamper.h"
#include "media/sim_scene.h"

namespace hearth::detect {
namespace {

constexpr std::int64_t kPeriodMs = 40'000;

// The scene without traffic, rendered at wall time `ms` (the person walks 0-12 s of 40).
class Scene {
public:
    explicit Scene(int w = 640, int h = 360) : w_(w), h_(h) {
        media::SimSceneOptions o;
        o.width = w;
        o.height = h;
        o.traffic = false;
        o.person_period_ms = kPeriodMs;
        scene_ = std::make_unique<media::SimScene>(o);
        frame_.resize(scene_->frame_bytes());
    }
    cv::Mat luma(std::int64_t ms) {
        scene_->render_video(ms, ms, frame_);
        return cv::Mat(h_, w_, CV_8UC1, frame_.data()).clone();
    }
    cv::Mat small(std::int64_t ms) {
        cv::Mat s;
        cv::resize(luma(ms), s, cv::Size(MotionDetector::kWidth, MotionDetector::kHeight), 0, 0, cv::INTER_AREA);
        return s;
    }

private:
    int w_, h_;
    std::unique_ptr<media::SimScene> scene_;
    std::vector<std::uint8_t> frame_;
};

// The clock and its timecode bar in the top-left change every frame: masked in most tests.
Polygon clock_mask() { return Polygon{{{0, 0}, {1, 0}, {1, 0.35f}, {0, 0.35f}}}; }

TEST(DetectionSettingsTest, BoundsAndMessages) {
    auto s = parse_detection_settings(R"({"sensitivity":80,"zones":[[[0,0],[1,0],[1,1]]],"masks":[]})");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->sensitivity, 80);
    ASSERT_EQ(s->zones.size(), 1u);
    auto again = parse_detection_settings(to_json(*s));
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *s);

    std::string huge = R"({"zones":[[)";
    for (int i = 0; i < 10'000; ++i) {
        huge += (i ? "," : "") + std::string("[0.5,0.5]");
    }
    huge += "]]}";
    auto refused = parse_detection_settings(huge);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("larger than"), std::string::npos) << refused.error().message;
    std::string many = R"({"masks":[[)";
    for (int i = 0; i < 100; ++i) {
        many += (i ? "," : "") + std::string("[0.1,0.1]");
    }
    many += "]]}";
    auto too_many = parse_detection_settings(many);
    ASSERT_FALSE(too_many);
    EXPECT_NE(too_many.error().message.find("masks polygon 1 has 100 points"), std::string::npos)
        << too_many.error().message;
    EXPECT_FALSE(parse_detection_settings(R"({"zones":[[[0,0],[2,0],[1,1]]]})"));
    EXPECT_FALSE(parse_detection_settings(R"({"sensitivity":0})"));
    EXPECT_FALSE(parse_detection_settings(R"({"colour":1})"));
    EXPECT_FALSE(parse_detection_settings("[1]"));
    EXPECT_TRUE(parse_detection_settings(""));  // defaults
}

// Runs the motion detector over [from, to) ms at 5 fps; returns the times with motion.
std::vector<std::int64_t> motion_times(MotionDetector& d, Scene& scene, std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> out;
    for (std::int64_t t = from; t < to; t += 200) {
        if (d.analyse(scene.small(t)).motion) {
            out.push_back(t);
        }
    }
    return out;
}

TEST(MotionTest, FollowsTheScriptWithTheClockMasked) {
    Scene scene;
    DetectionSettings s;
    s.masks = {clock_mask()};
    MotionDetector d(s);
    // 20-40 s: nobody there; 40-52 s: the person walks.
    EXPECT_TRUE(motion_times(d, scene, 20'000, 40'000).empty());
    auto seen = motion_times(d, scene, 40'000, 52'000);
    ASSERT_FALSE(seen.empty());
    EXPECT_LE(seen.front(), 40'600);  // within a few frames of the entry
    EXPECT_GT(seen.size(), 40u);      // most of the walk
}

TEST(MotionTest, ClockAloneIsMotionUnlessMasked) {
    Scene scene;
    MotionDetector d(DetectionSettings{});
    EXPECT_FALSE(motion_times(d, scene, 20'000, 30'000).empty());
}

TEST(MotionTest, ZonesLimitWhereMotionCounts) {
    Scene scene;
    DetectionSettings s;
    s.masks = {clock_mask()};
    s.zones = {Polygon{{{0.5f, 0.4f}, {1, 0.4f}, {1, 1}, {0.5f, 1}}}};  // the right half only
    MotionDetector d(s);
    motion_times(d, scene, 39'000, 40'000);
    auto seen = motion_times(d, scene, 40'000, 52'000);
    ASSERT_FALSE(seen.empty());
    // The walk goes left to right in 12 s: the right half is reached after about 5.5 s.
    EXPECT_GE(seen.front(), 44'500);
    EXPECT_LE(seen.front(), 47'000);

    s.zones.clear();
    s.masks = {Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}};  // everything masked
    MotionDetector none(s);
    EXPECT_TRUE(motion_times(none, scene, 39'000, 52'000).empty());
}

TEST(MotionTest, LightSwitchedOnIsNotMotion) {
    Scene scene;
    DetectionSettings s;
    s.masks = {clock_mask()};
    MotionDetector d(s);
    motion_times(d, scene, 20'000, 21'000);
    cv::Mat brighter = scene.small(21'000) * 0.6;  // lights dimmed at once
    auto r = d.analyse(brighter);
    EXPECT_FALSE(r.motion);
    EXPECT_TRUE(r.global_change);
    EXPECT_GT(r.edge_overlap, 0.5);  // the same edges: light, not a moved camera
    cv::Mat next = scene.small(21'200) * 0.6;
    EXPECT_FALSE(d.analyse(next).motion);  // re-learned
}

TEST(TamperTest, CoveredMovedAndOutOfFocus) {
    Scene scene;
    DetectionSettings s;
    MotionDetector m(s);
    TamperDetector t;
    std::int64_t at = 0;
    auto step = [&](const cv::Mat& small) { at += 200'000; return t.analyse(small, m.analyse(small), at); };
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(step(scene.small(20'000 + i * 200)), Tamper::kNone);
    }
    // Covered by a hand: dark and flat for 3 s.
    Tamper last = Tamper::kNone;
    for (int i = 0; i < 20; ++i) {
        last = step(cv::Mat(MotionDetector::kHeight, MotionDetector::kWidth, CV_8UC1, cv::Scalar(8)));
    }
    EXPECT_EQ(last, Tamper::kCovered);
    for (int i = 0; i < 60; ++i) {
        last = step(scene.small(30'000 + i * 200));
    }
    EXPECT_EQ(last, Tamper::kNone);
    // Out of focus for 5 s.
    for (int i = 0; i < 35; ++i) {
        cv::Mat blurred;
        cv::GaussianBlur(scene.small(45'000 + i * 200), blurred, cv::Size(0, 0), 6);
        last = step(blurred);
    }
    EXPECT_EQ(last, Tamper::kDefocused);
    for (int i = 0; i < 10; ++i) {
        last = step(scene.small(60'000 + i * 200));
    }
    EXPECT_EQ(last, Tamper::kNone);
    // Turned away: a different view (the picture flipped and shifted).
    cv::Mat turned;
    cv::flip(scene.small(62'000), turned, 0);
    last = step(turned);
    EXPECT_EQ(last, Tamper::kMoved);
}

TEST(PersonTest, FindsTheWalkerAndNobodyElse) {
    Scene scene;
    DetectionSettings s;
    s.masks = {clock_mask()};
    MotionDetector m(s);
    PersonDetector p;
    motion_times(m, scene, 38'000, 40'000);
    int frames = 0, found = 0;
    double best = 0;
    for (std::int64_t t = 40'000; t < 52'000; t += 200) {
        cv::Mat luma = scene.luma(t);
        cv::Mat small;
        cv::resize(luma, small, cv::Size(MotionDetector::kWidth, MotionDetector::kHeight), 0, 0, cv::INTER_AREA);
        auto motion = m.analyse(small);
        if (!motion.motion) {
            continue;
        }
        ++frames;
        auto r = p.detect(luma, motion.boxes);
        if (r.found) {
            ++found;
            best = std::max(best, r.confidence);
        }
    }
    ASSERT_GT(frames, 30);
    EXPECT_GT(found * 2, frames) << found << " of " << frames;
    EXPECT_GT(best, 0.6);
    // Motion that is not a person: the ball and car of the traffic scene.
    media::SimSceneOptions o;
    o.width = 640;
    o.height = 360;
    o.person_period_ms = 1'000'000'000;  // never walks here
    media::SimScene traffic(o);
    std::vector<std::uint8_t> f(traffic.frame_bytes());
    MotionDetector m2(s);
    int false_hits = 0, motion_frames = 0;
    for (std::int64_t t = 20'000; t < 60'000; t += 200) {
        traffic.render_video(t, t + 100'000, f);
        cv::Mat luma(360, 640, CV_8UC1, f.data()), small;
        cv::resize(luma, small, cv::Size(MotionDetector::kWidth, MotionDetector::kHeight), 0, 0, cv::INTER_AREA);
        auto motion = m2.analyse(small);
        if (motion.motion) {
            ++motion_frames;
            false_hits += p.detect(luma, motion.boxes).found ? 1 : 0;
        }
    }
    EXPECT_GT(motion_frames, 100);
    EXPECT_LT(false_hits * 20, motion_frames) << false_hits << " of " << motion_frames;
}

TEST(SoundTest, ChirpAboveTheRoom) {
    SoundDetector d(8000, 15);
    std::vector<float> block(800);
    std::vector<std::int64_t> loud_at;
    for (int b = 0; b < 60; ++b) {  // 6 s, a loud 300 ms at 3 s
        const bool chirp = b >= 30 && b < 33;
        for (std::size_t i = 0; i < block.size(); ++i) {
            const double t = (b * 800 + static_cast<double>(i)) / 8000.0;
            block[i] = static_cast<float>(0.03 * std::sin(2 * M_PI * 440 * t) + (chirp ? 0.6 * std::sin(2 * M_PI * 1200 * t) : 0));
        }
        d.push(block, b * 100'000, [&](const SoundLevel& l, std::int64_t at) {
            if (l.loud) loud_at.push_back(at);
        });
    }
    ASSERT_EQ(loud_at.size(), 3u);
    EXPECT_EQ(loud_at.front(), 3'000'000);
}

TEST(EventTrackerTest, StartsOnAgreementEndsAfterQuiet) {
    EventTracker t({2, 3, 3'000'000, 60'000'000});
    EXPECT_FALSE(t.observe(true, 0.5, 0));  // one frame is not enough
    EXPECT_FALSE(t.observe(false, 0, 200'000));
    auto started = t.observe(true, 0.6, 400'000);
    ASSERT_TRUE(started);
    EXPECT_EQ(started->phase, Phase::kStarted);
    EXPECT_EQ(started->start_us, 0);  // dated from the first sighting
    auto better = t.observe(true, 0.9, 600'000);
    ASSERT_TRUE(better);
    EXPECT_EQ(better->phase, Phase::kUpdated);
    EXPECT_FALSE(t.observe(false, 0, 2'000'000));
    auto ended = t.observe(false, 0, 3'700'000);
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->phase, Phase::kEnded);
    EXPECT_EQ(ended->end_us, 600'000);
    EXPECT_DOUBLE_EQ(ended->confidence, 0.9);
    EXPECT_FALSE(t.close());
}

}  // namespace
}  // namespace hearth::detect

namespace hearth::detect {
namespace {

// Started while someone was in view: the "ghost" they leave in the first background is
// absorbed within a few seconds instead of being motion for minutes.
TEST(MotionTest, GhostFromTheFirstPictureFades) {
    Scene scene;
    DetectionSettings s;
    s.masks = {clock_mask()};
    MotionDetector d(s);
    d.analyse(scene.small(46'000));  // the walker mid-way: learned as background
    motion_times(d, scene, 52'200, 60'000);  // gone; the ghost shows for a while
    EXPECT_TRUE(motion_times(d, scene, 60'000, 79'000).empty());
}

}  // namespace
}  // namespace hearth::detect
