#include "onboard/onboard.h"

#include <gtest/gtest.h>

namespace hearth::onboard {
namespace {

onvif::Profile profile(const char* token, const char* encoding, int w, int h) {
    onvif::Profile p;
    p.token = token;
    p.video_encoding = encoding;
    p.resolution = {w, h};
    return p;
}

TEST(ChooseStreamsTest, LargestH26xRecordsAndTheSmallestOtherDetects) {
    auto c =
        choose_streams({profile("sub", "H264", 640, 360), profile("main", "H265", 2560, 1440),
                        profile("mjpeg", "JPEG", 320, 240), profile("mid", "H264", 1280, 720)});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->main.token, "main");
    ASSERT_TRUE(c->sub);
    EXPECT_EQ(c->sub->token, "mjpeg");
}

TEST(ChooseStreamsTest, OneStreamHasNoSubAndMjpegOnlyIsRefused) {
    auto c = choose_streams({profile("only", "H264", 1920, 1080)});
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->sub);
    // Two profiles on the same encoder at the same size are not a sub-stream.
    c = choose_streams({profile("a", "H264", 1920, 1080), profile("b", "H264", 1920, 1080)});
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->sub);
    auto none = choose_streams({profile("m", "JPEG", 640, 480), profile("a", "", 0, 0)});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, core::ErrorCode::kNotFound);
    EXPECT_FALSE(choose_streams({}));
}

TEST(PlanTest, NeedsExactlyOneAddressAndNoCredentialsInTheUrl) {
    NewCamera cam;
    cam.name = "porch";
    EXPECT_EQ(plan(cam, nullptr).error().code, core::ErrorCode::kInvalidArgument);
    cam.rtsp_url = "rtsp://viewer:secret@127.0.0.1:1/stream";
    auto p = plan(cam, nullptr);
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message.find("not in the address"), std::string::npos);
    cam.rtsp_url = "http://127.0.0.1/";
    EXPECT_EQ(plan(cam, nullptr).error().code, core::ErrorCode::kInvalidArgument);
    cam.rtsp_url.clear();
    cam.onvif_url = "ftp://127.0.0.1/";
    EXPECT_EQ(plan(cam, nullptr).error().code, core::ErrorCode::kInvalidArgument);
    // Saved without a check: the address is kept without its credentials.
    cam.onvif_url.clear();
    cam.rtsp_url = "rtsp://127.0.0.1:1/stream";
    cam.check_stream = false;
    p = plan(cam, nullptr);
    ASSERT_TRUE(p) << p.error().describe();
    EXPECT_EQ(p->camera.url, "rtsp://127.0.0.1:1/stream");
    EXPECT_EQ(p->camera.kind, store::CameraKind::kRtsp);
}

}  // namespace
}  // namespace hearth::onboard
