#include "media/stream_probe.h"

#include <gtest/gtest.h>

#include "simcam/simcam.h"
#include "simcam_fixture.h"

namespace hearth::media {
namespace {

using namespace std::chrono_literals;

simcam::SimcamOptions camera(const std::string& password) {
    return testing::small_camera("viewer", password);
}

TEST(StreamProbeTest, AWorkingStreamReportsItsTracks) {
    const auto password = testing::random_secret();
    simcam::Simcam cam(camera(password));
    auto url = cam.start();
    ASSERT_TRUE(url) << url.error().describe();
    RtspOptions o;
    o.url = *url;
    o.username = "viewer";
    o.password = password;
    auto probe = probe_stream(o, 10s);
    ASSERT_TRUE(probe) << probe.error().describe();
    EXPECT_EQ(probe->summary(), "h264 320x180, aac 48000 Hz");
    EXPECT_GT(probe->first_keyframe.count(), 0);
}

TEST(StreamProbeTest, AWrongPasswordOrNoCameraIsAClearErrorAtOnce) {
    simcam::Simcam cam(camera(testing::random_secret()));
    auto url = cam.start();
    ASSERT_TRUE(url);
    RtspOptions o;
    o.url = *url;
    o.username = "viewer";
    o.password = "not-the-password";
    const auto started = std::chrono::steady_clock::now();
    auto probe = probe_stream(o, 10s);
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().code, core::ErrorCode::kUnavailable);
    EXPECT_NE(probe.error().message.find("401"), std::string::npos) << probe.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    cam.stop();

    o.password.clear();
    probe = probe_stream(o, 5s);
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace hearth::media
