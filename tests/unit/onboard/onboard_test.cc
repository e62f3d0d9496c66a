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

TEST(OnDeviceHostTest, StreamsStayOnTheHostTheOwnerNamed) {
    EXPECT_EQ(on_device_host("rtsp://203.0.113.66:8554/main", "192.0.2.10"),
              "rtsp://192.0.2.10:8554/main");
    EXPECT_EQ(on_device_host("rtsp://192.0.2.10/main?x=1", "192.0.2.10"),
              "rtsp://192.0.2.10/main?x=1");
    EXPECT_EQ(on_device_host("rtsp://[2001:db8::66]:554/s", "2001:db8::10"),
              "rtsp://[2001:db8::10]:554/s");
    EXPECT_EQ(on_device_host("rtsp://evil.example", "192.0.2.10"), "rtsp://192.0.2.10/");
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
    for (const char* bad : {"rtsp://:hidden-password@127.0.0.1/s", "rtsp://127.0.0.1/a\r\nX: y",
                            "rtsp://127.0.0.1/a b"}) {
        cam.rtsp_url = bad;
        EXPECT_EQ(plan(cam, nullptr).error().code, core::ErrorCode::kInvalidArgument) << bad;
    }
    for (const char* bad : {"rtsp://:hidden-password@127.0.0.1/s", "rtsp://127.0.0.1/a\r\nX: y",
                            "rtsp://127.0.0.1/a b"}) {
        cam.rtsp_url = bad;
        EXPECT_EQ(plan(cam, nullptr).error().code, core::ErrorCode::kInvalidArgument) << bad;
    }
    cam.rtsp_url.clear();
    cam.onvif_url = "https://127.0.0.1/onvif/device_service";
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
