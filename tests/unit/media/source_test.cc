#include <gtest/gtest.h>

#include "media/gst_source.h"
#include "media/rtsp_source.h"
#include "media/sim_scene.h"
#include "media/sim_source.h"

namespace hearth::media {
namespace {

TEST(BackoffTest, GrowsExponentiallyWithJitterAndACap) {
    BackoffPolicy p;
    EXPECT_EQ(backoff_delay(p, 0, 0.5).count(), 500);
    EXPECT_EQ(backoff_delay(p, 1, 0.5).count(), 1000);
    EXPECT_EQ(backoff_delay(p, 3, 0.5).count(), 4000);
    EXPECT_EQ(backoff_delay(p, 20, 0.5).count(), 30000);
    EXPECT_EQ(backoff_delay(p, 1, 0.0).count(), 750);
    EXPECT_EQ(backoff_delay(p, 1, 0.999).count(), 1249);
}

TEST(RtspUrlTest, SplitsAndDecodesCredentials) {
    auto o = parse_rtsp_url("rtsp://ad%40min:p%3Ass@127.0.0.1:554/cam/1?x=y");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->url, "rtsp://127.0.0.1:554/cam/1?x=y");
    EXPECT_EQ(o->username, "ad@min");
    EXPECT_EQ(o->password, "p:ss");
    auto plain = parse_rtsp_url("rtsps://cam.local/stream");
    ASSERT_TRUE(plain);
    EXPECT_TRUE(plain->username.empty());
    EXPECT_FALSE(parse_rtsp_url("http://cam/stream"));
    EXPECT_FALSE(parse_rtsp_url("rtsp://"));
    EXPECT_FALSE(parse_rtsp_url("rtsp://u:p@/x"));
    EXPECT_FALSE(parse_rtsp_url("rtsp://h/" + std::string(5000, 'a')));
}

TEST(RtspOptionsTest, StrictJson) {
    RtspOptions o;
    ASSERT_TRUE(apply_rtsp_options(R"({"transport":"udp","latency_ms":0})", o));
    EXPECT_EQ(o.transport, RtspTransport::kUdp);
    EXPECT_EQ(o.latency_ms, 0);
    EXPECT_FALSE(apply_rtsp_options(R"({"transport":"http"})", o));
    EXPECT_FALSE(apply_rtsp_options(R"({"latency":1})", o));
    EXPECT_FALSE(apply_rtsp_options("[1]", o));
}

TEST(SimOptionsTest, StrictJson) {
    auto o = parse_sim_options(R"({"width":640,"height":360,"fps":10,"audio":false,"seed":7})");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->scene.width, 640);
    EXPECT_FALSE(o->audio);
    EXPECT_EQ(o->scene.seed, 7u);
    EXPECT_FALSE(parse_sim_options(R"({"fps":0})"));
    EXPECT_FALSE(parse_sim_options(R"({"colour":"red"})"));
    EXPECT_FALSE(parse_sim_options(R"({"audio":1})"));
    auto scripted = parse_sim_options(R"({"traffic":false,"person_every_s":20,"bframes":2})");
    ASSERT_TRUE(scripted) << scripted.error().message;
    EXPECT_FALSE(scripted->scene.traffic);
    EXPECT_EQ(scripted->scene.person_period_ms, 20'000);
    EXPECT_EQ(scripted->bframes, 2);
    EXPECT_FALSE(parse_sim_options(R"({"person_every_s":1})"));
    EXPECT_FALSE(parse_sim_options(R"({"traffic":"no"})"));
    EXPECT_FALSE(parse_sim_options("{"));
}

TEST(SimSceneTest, ScriptAndRendering) {
    EXPECT_TRUE(SimScene::person_present(1000, 40'000));
    EXPECT_FALSE(SimScene::person_present(20'000, 40'000));
    EXPECT_TRUE(SimScene::person_present(41'000, 40'000));
    EXPECT_TRUE(SimScene::person_present(21'000, 20'000));
    EXPECT_TRUE(SimScene::sound_event(10'100));
    EXPECT_FALSE(SimScene::sound_event(10'400));

    SimSceneOptions o;
    o.width = 320;
    o.height = 180;
    SimScene scene(o);
    EXPECT_GT(scene.panorama_width(), o.width);
    EXPECT_GT(scene.panorama_height(), o.height);
    std::vector<std::uint8_t> a(scene.frame_bytes()), b(scene.frame_bytes()), c(scene.frame_bytes());
    scene.render_video(1000, 1'790'000'000'000, a);
    scene.render_video(1000, 1'790'000'000'000, b);
    EXPECT_EQ(a, b);  // deterministic
    scene.render_video(1000, 1'790'000'000'123, c);
    EXPECT_NE(a, c);  // the burnt-in clock shows milliseconds
    scene.set_view({-50, 99999, 10, 10});
    EXPECT_EQ(scene.view().x, 0);
    EXPECT_GE(scene.view().width, 16);
    EXPECT_LE(scene.view().y + scene.view().height, scene.panorama_height());
    scene.render_video(2000, 1'790'000'000'000, c);  // zoomed view renders in bounds

    std::vector<std::int16_t> quiet(4800), loud(4800);
    scene.render_audio(48000 * 5, 5'000, quiet);   // 5 s: tone only
    scene.render_audio(48000 * 10, 10'000, loud);  // 10 s: the periodic sound event
    auto peak = [](const auto& v) {
        int m = 0;
        for (auto s : v) m = std::max(m, std::abs(int(s)));
        return m;
    };
    EXPECT_GT(peak(loud), 5 * peak(quiet));
}

// The block clock the browser test reads back for glass-to-glass latency.
TEST(SimSceneTest, TimecodeReadsBackTheWallClock) {
    for (const auto& [w, h] : {std::pair{1280, 720}, std::pair{640, 360}, std::pair{320, 180}}) {
        SimSceneOptions o;
        o.width = w;
        o.height = h;
        SimScene scene(o);
        std::vector<std::uint8_t> f(scene.frame_bytes());
        const std::int64_t wall_ms = 1'790'000'123'456;
        scene.render_video(5000, wall_ms, f);
        const auto l = sim_timecode_layout(w, h);
        auto bit = [&](int i) {
            const int cx = l.x + i * l.block + l.block / 2, cy = l.y + l.block / 2;
            return f[static_cast<std::size_t>(cy) * w + cx] > 128;
        };
        EXPECT_TRUE(bit(0) && !bit(1) && bit(2) && !bit(3)) << w;
        std::uint64_t read = 0;
        for (int i = 0; i < SimTimecodeLayout::kClockBits; ++i) {
            read = (read << 1) | (bit(SimTimecodeLayout::kPreambleBits + i) ? 1 : 0);
        }
        EXPECT_EQ(read, static_cast<std::uint64_t>(wall_ms) & ((1ull << 40) - 1)) << w;
        EXPECT_LE(l.x + 44 * l.block, w);
    }
}

}  // namespace
}  // namespace hearth::media
