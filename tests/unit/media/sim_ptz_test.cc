#include "media/sim_ptz.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "media/sim_scene.h"

namespace hearth::media {
namespace {

// 1280x720 output over a 2560x1080 panorama, as SimScene draws it.
VirtualPtz make_ptz() { return VirtualPtz(2560, 1080, 1280, 720); }

TEST(VirtualPtzTest, StartsCentredAtWidestView) {
    auto ptz = make_ptz();
    EXPECT_EQ(ptz.position(0), (PtzVector{0, 0, 0}));
    const SimView v = ptz.view(0);
    EXPECT_EQ(v.width, 1280);
    EXPECT_EQ(v.height, 720);
    EXPECT_EQ(v.x, 640);
    EXPECT_EQ(v.y, 180);
    EXPECT_FALSE(ptz.moving(0));
}

TEST(VirtualPtzTest, ContinuousMoveRunsAtTopSpeedUntilItsTimeout) {
    auto ptz = make_ptz();
    ptz.position(1000);
    ptz.continuous_move({1, 0, 0}, 1000, 1000);
    EXPECT_TRUE(ptz.moving(1500));
    EXPECT_NEAR(ptz.position(1500).pan, 0.25, 1e-9);  // top speed 0.5/s
    EXPECT_NEAR(ptz.position(2000).pan, 0.5, 1e-9);
    // The timeout is a dead man's switch: no stop needed for it to halt.
    EXPECT_NEAR(ptz.position(5000).pan, 0.5, 1e-9);
    EXPECT_FALSE(ptz.moving(5000));
}

TEST(VirtualPtzTest, ContinuousMoveStopsAtTheEndStopAndOnStop) {
    auto ptz = make_ptz();
    ptz.continuous_move({-0.5, 1, 0}, 0, 0);
    EXPECT_NEAR(ptz.position(2000).tilt, 1.0, 1e-9);
    EXPECT_NEAR(ptz.position(2000).pan, -0.5, 1e-9);
    ptz.stop(true, false, 2000);
    EXPECT_FALSE(ptz.moving(2000));
    EXPECT_NEAR(ptz.position(9000).pan, -0.5, 1e-9);
}

TEST(VirtualPtzTest, AbsoluteMoveTakesRealisticTimeAndArrivesExactly) {
    auto ptz = make_ptz();
    ptz.absolute_move({-1, 0.5, 1}, 0);
    const PtzVector half = ptz.position(1000);
    EXPECT_NEAR(half.pan, -0.5, 1e-9);
    EXPECT_NEAR(half.tilt, 0.5, 1e-9);  // arrived after 1 s
    EXPECT_NEAR(half.zoom, 0.4, 1e-9);
    EXPECT_TRUE(ptz.moving(1000));
    EXPECT_EQ(ptz.position(3000), (PtzVector{-1, 0.5, 1}));
    EXPECT_FALSE(ptz.moving(3000));
}

TEST(VirtualPtzTest, RelativeMoveIsFromTheCurrentPositionAndClamped) {
    auto ptz = make_ptz();
    ptz.absolute_move({0.8, 0, 0}, 0);
    ptz.relative_move({0.5, -0.25, 0}, 10'000);
    EXPECT_EQ(ptz.position(20'000), (PtzVector{1, -0.25, 0}));
}

TEST(VirtualPtzTest, BadNumbersNeverLeaveTheSpaces) {
    auto ptz = make_ptz();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    ptz.absolute_move({nan, inf, -inf}, 0, {nan, 0, -1});
    ptz.continuous_move({inf, nan, 1e300}, 500, 100);
    const PtzVector p = ptz.position(60'000);
    EXPECT_TRUE(std::isfinite(p.pan) && std::isfinite(p.tilt) && std::isfinite(p.zoom));
    EXPECT_EQ(p, VirtualPtz::clamp_position(p));
    const SimView v = ptz.view(60'000);
    EXPECT_GE(v.x, 0);
    EXPECT_GE(v.y, 0);
    EXPECT_LE(v.x + v.width, 2560);
    EXPECT_LE(v.y + v.height, 1080);
}

TEST(VirtualPtzTest, ViewCoversThePanoramaCornersAndZoomsFourTimes) {
    auto ptz = make_ptz();
    ptz.absolute_move({-1, 1, 0}, 0);
    SimView v = ptz.view(10'000);
    EXPECT_EQ(v.x, 0);
    EXPECT_EQ(v.y, 0);  // tilt up looks at the top
    ptz.absolute_move({1, -1, 1}, 10'000);
    v = ptz.view(20'000);
    EXPECT_EQ(v.width, 320);
    EXPECT_EQ(v.height, 180);
    EXPECT_EQ(v.x + v.width, 2560);
    EXPECT_EQ(v.y + v.height, 1080);
}

TEST(VirtualPtzTest, TheViewMovesThePictureAndAPresetReturnsToTheSameOne) {
    SimSceneOptions o;
    o.width = 320;
    o.height = 180;
    auto ptz = VirtualPtz::for_scene(o);
    SimScene scene(o);
    std::vector<std::uint8_t> a(scene.frame_bytes()), b(a.size()), c(a.size());
    auto draw = [&](std::int64_t t, std::vector<std::uint8_t>& out) {
        scene.set_view(ptz->view(t));
        scene.render_video(0, 0, out);  // the same scene moment: only the view differs
    };
    ptz->absolute_move({-0.6, 0.2, 0.3}, 0);
    draw(10'000, a);
    ptz->absolute_move({0.7, -0.4, 0}, 10'000);
    draw(20'000, b);
    ptz->absolute_move({-0.6, 0.2, 0.3}, 20'000);
    draw(30'000, c);
    EXPECT_NE(a, b);
    EXPECT_EQ(a, c);
}

}  // namespace
}  // namespace hearth::media
