#include <gtest/gtest.h>

#include "media/proto_rtp.h"
#include "media/proto_rtsp.h"

namespace hearth::media {
namespace {

TEST(RtpInfoTest, ParsesEntriesWithAbsoluteAndRelativeUrls) {
    auto info = rtsp::parse_rtp_info(
        "url=rtsp://127.0.0.1:8554/stream/stream=0;seq=7917;rtptime=3176314562, "
        "url=stream=1;seq=12;rtptime=12345");
    ASSERT_EQ(info.size(), 2u);
    EXPECT_EQ(info[0].url, "rtsp://127.0.0.1:8554/stream/stream=0");
    EXPECT_EQ(info[0].rtptime, 3176314562u);
    EXPECT_EQ(info[1].url, "stream=1");
    EXPECT_EQ(info[1].rtptime, 12345u);
    EXPECT_TRUE(rtsp::rtp_info_matches(info[0].url, "rtsp://127.0.0.1:8554/stream/stream=0/"));
    EXPECT_TRUE(rtsp::rtp_info_matches(info[1].url, "rtsp://127.0.0.1:8554/stream/stream=1"));
    EXPECT_FALSE(rtsp::rtp_info_matches(info[1].url, "rtsp://127.0.0.1:8554/stream/xstream=1"));
    EXPECT_FALSE(rtsp::rtp_info_matches("", "rtsp://h/s"));
}

TEST(RtpInfoTest, MalformedAndOversizedInputIsBounded) {
    EXPECT_TRUE(rtsp::parse_rtp_info("").empty());
    EXPECT_TRUE(rtsp::parse_rtp_info(";;;,,,").empty());
    auto bad_time = rtsp::parse_rtp_info("url=a;rtptime=99999999999");
    ASSERT_EQ(bad_time.size(), 1u);
    EXPECT_FALSE(bad_time[0].rtptime.has_value());
    std::string many;
    for (int i = 0; i < 100; ++i) {
        many += (i ? "," : "") + std::string("url=t") + std::to_string(i) + ";rtptime=1";
    }
    EXPECT_EQ(rtsp::parse_rtp_info(many).size(), 16u);
}

TEST(TimelineTest, OriginFromRtpInfoGivesTracksOneZero) {
    rtp::Timeline video(90000), audio(48000);
    video.set_origin(1000);
    audio.set_origin(4'294'967'000u);  // wraps soon after
    EXPECT_EQ(video.to_us(video.ticks(1000 + 9000)), 100'000);
    EXPECT_EQ(audio.to_us(audio.ticks(4'294'967'000u + 4800)), 100'000);  // across the wrap
    // A packet that came before the PLAY response is re-based, not restarted at zero.
    rtp::Timeline early(90000);
    EXPECT_EQ(early.ticks(50'000), 0);
    early.set_origin(41'000);
    EXPECT_EQ(early.ticks(59'000), 18'000);
}

}  // namespace
}  // namespace hearth::media
