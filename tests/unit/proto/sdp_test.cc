#include <gtest/gtest.h>

#include "media/proto_sdp.h"

namespace hearth::media::sdp {
namespace {

// What `hearth simcam` (gst-rtsp-server) serves, captured with a DESCRIBE.
constexpr const char* kSimcamSdp =
    "v=0\r\n"
    "o=- 13065341434907530382 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "i=rtsp-server\r\n"
    "t=0 0\r\n"
    "a=tool:GStreamer\r\n"
    "a=type:broadcast\r\n"
    "a=control:*\r\n"
    "a=range:npt=now-\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:1536\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=framerate:15\r\n"
    "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAFNoFBn58BagwMDUoAAADAAgAAAMA9HihVQ==,"
    "aM48gA==;profile-level-id=42c014;level-asymmetry-allowed=1\r\n"
    "a=control:stream=0\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:1145324147 cname:user3857332990@host-f6646ef9\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/48000/1\r\n"
    "a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=118856e500;sizelength=13;"
    "indexlength=3;indexdeltalength=3\r\n"
    "a=control:stream=1\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:3826497136 cname:user3857332990@host-f6646ef9\r\n";

TEST(SdpTest, SimcamH264AndAac) {
    auto sdp = parse_sdp(kSimcamSdp, "rtsp://127.0.0.1:8554/stream/");
    ASSERT_TRUE(sdp) << sdp.error().message;
    EXPECT_EQ(sdp->aggregate_control, "rtsp://127.0.0.1:8554/stream/");
    ASSERT_EQ(sdp->media.size(), 2u);
    EXPECT_TRUE(sdp->skipped.empty());

    const auto& v = sdp->media[0];
    EXPECT_EQ(v.media, "video");
    EXPECT_EQ(v.codec, Codec::kH264);
    EXPECT_EQ(v.payload_type, 96);
    EXPECT_EQ(v.clock_rate, 90000);
    EXPECT_EQ(v.control, "rtsp://127.0.0.1:8554/stream/stream=0");
    ASSERT_EQ(v.parameter_sets.size(), 2u);
    EXPECT_EQ(v.parameter_sets[0][0], 0x67);  // SPS
    EXPECT_EQ(v.parameter_sets[1], (std::vector<std::uint8_t>{0x68, 0xce, 0x3c, 0x80}));

    const auto& a = sdp->media[1];
    EXPECT_EQ(a.codec, Codec::kAac);
    EXPECT_EQ(a.clock_rate, 48000);
    EXPECT_EQ(a.channels, 1);
    EXPECT_EQ(a.aac_config, (std::vector<std::uint8_t>{0x11, 0x88, 0x56, 0xe5, 0x00}));
    EXPECT_EQ(a.size_length, 13);
    EXPECT_EQ(a.index_length, 3);
    EXPECT_EQ(a.index_delta_length, 3);
    EXPECT_EQ(a.control, "rtsp://127.0.0.1:8554/stream/stream=1");
    auto asc = parse_aac_config(a.aac_config);
    ASSERT_TRUE(asc);
    EXPECT_EQ(asc->object_type, 2);
    EXPECT_EQ(asc->sample_rate, 48000);
    EXPECT_EQ(asc->channels, 1);
}

// In the style of a Hikvision camera: absolute controls, bare LF, an ONVIF metadata track.
TEST(SdpTest, AbsoluteControlsAndUnsupportedMedia) {
    const char* text =
        "v=0\n"
        "o=- 1109162014219182 1109162014219192 IN IP4 x.y.z.w\n"
        "s=Media Presentation\n"
        "e=NONE\n"
        "b=AS:5050\n"
        "t=0 0\n"
        "a=control:rtsp://127.0.0.64:554/Streaming/Channels/101/?transportmode=unicast\n"
        "m=video 0 RTP/AVP 96\n"
        "b=AS:5000\n"
        "a=control:rtsp://127.0.0.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast\n"
        "a=rtpmap:96 H264/90000\n"
        "a=fmtp:96 profile-level-id=420029; packetization-mode=1; "
        "sprop-parameter-sets=Z01AKI2NQDwBE/"
        "LgLcBAQFAAAD6AAAw1DoYAHc0AAVlS7y40MADuaAAKypd5cKA=,aO44gA==\n"
        "a=Media_header:MEDIAINFO="
        "494D4B48010100000400010000000000000000000000000000000000000000000000000000000000;\n"
        "a=appversion:1.0\n"
        "m=audio 0 RTP/AVP 8\n"
        "a=control:rtsp://127.0.0.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast\n"
        "m=application 0 RTP/AVP 107\n"
        "a=control:rtsp://127.0.0.64:554/Streaming/Channels/101/trackID=4?transportmode=unicast\n"
        "a=rtpmap:107 isapi.metadata/90000\n";
    auto sdp = parse_sdp(text, "rtsp://127.0.0.64:554/Streaming/Channels/101");
    ASSERT_TRUE(sdp);
    EXPECT_EQ(sdp->aggregate_control,
              "rtsp://127.0.0.64:554/Streaming/Channels/101/?transportmode=unicast");
    ASSERT_EQ(sdp->media.size(), 2u);
    EXPECT_EQ(sdp->media[0].control,
              "rtsp://127.0.0.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast");
    EXPECT_EQ(sdp->media[0].parameter_sets.size(), 2u);
    EXPECT_EQ(sdp->media[1].codec, Codec::kPcma);  // static payload type 8, no rtpmap
    EXPECT_EQ(sdp->media[1].clock_rate, 8000);
    ASSERT_EQ(sdp->skipped.size(), 1u);
    EXPECT_NE(sdp->skipped[0].find("application"), std::string::npos);
}

TEST(SdpTest, H265OpusAndPcmu) {
    const char* text =
        "v=0\r\n"
        "s=cam\r\n"
        "m=video 0 RTP/AVP 98\r\n"
        "a=rtpmap:98 H265/90000\r\n"
        "a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwB4lZgJ; "
        "sprop-sps=QgEBAWAAAAMAkAAAAwAAAwB4oAPAgBDlllZpJMrwFoCAAAADAIAAAAyE; "
        "sprop-pps=RAHBcrRiQA==\r\n"
        "a=control:track1\r\n"
        "m=audio 0 RTP/AVP 111 0\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=fmtp:111 sprop-stereo=0\r\n"
        "a=control:track2\r\n"
        "m=audio 0 RTP/AVP 0\r\n"
        "a=control:/other/track3\r\n";
    auto sdp = parse_sdp(text, "rtsp://cam:554/live?x=1");
    ASSERT_TRUE(sdp);
    ASSERT_EQ(sdp->media.size(), 3u);
    EXPECT_EQ(sdp->media[0].codec, Codec::kH265);
    ASSERT_EQ(sdp->media[0].parameter_sets.size(), 3u);
    EXPECT_EQ(sdp->media[0].parameter_sets[0][0] >> 1, 32);              // VPS
    EXPECT_EQ(sdp->media[0].parameter_sets[1][0] >> 1, 33);              // SPS
    EXPECT_EQ(sdp->media[0].parameter_sets[2][0] >> 1, 34);              // PPS
    EXPECT_EQ(sdp->media[0].control, "rtsp://cam:554/live?x=1/track1");  // as ffmpeg does
    EXPECT_EQ(sdp->media[1].codec, Codec::kOpus);
    EXPECT_FALSE(sdp->media[1].stereo);
    EXPECT_EQ(sdp->media[1].payload_type, 111);
    EXPECT_EQ(sdp->media[2].codec, Codec::kPcmu);
    EXPECT_EQ(sdp->media[2].control, "rtsp://cam:554/other/track3");
    EXPECT_EQ(sdp->aggregate_control, "rtsp://cam:554/live?x=1");
}

TEST(SdpTest, ReportsUnsupportedEncodings) {
    const char* text =
        "v=0\r\n"
        "m=video 0 RTP/AVP 26\r\n"
        "a=rtpmap:26 JPEG/90000\r\n"
        "m=video 0 RTP/AVP 96\r\n"
        "a=rtpmap:96 H264/90000\r\n"
        "a=fmtp:96 packetization-mode=2\r\n"
        "m=audio 0 RTP/AVP 97\r\n"
        "a=rtpmap:97 MPEG4-GENERIC/16000/1\r\n"
        "a=fmtp:97 mode=CELP-cbr;config=1408\r\n"
        "m=audio 0 RTP/AVP 98\r\n"
        "a=rtpmap:98 MP4A-LATM/16000/1\r\n"
        "m=audio 0 RTP/AVP 99\r\n"
        "a=rtpmap:99 MPEG4-GENERIC/16000/1\r\n"
        "a=fmtp:99 mode=AAC-hbr;config=zz;sizelength=13\r\n";
    auto sdp = parse_sdp(text, "rtsp://c/");
    ASSERT_TRUE(sdp);
    EXPECT_TRUE(sdp->media.empty());
    ASSERT_EQ(sdp->skipped.size(), 5u);
    EXPECT_NE(sdp->skipped[0].find("JPEG"), std::string::npos);
    EXPECT_NE(sdp->skipped[1].find("interleaved"), std::string::npos);
    EXPECT_NE(sdp->skipped[2].find("CELP"), std::string::npos);
    EXPECT_NE(sdp->skipped[3].find("MP4A-LATM"), std::string::npos);
    EXPECT_NE(sdp->skipped[4].find("config"), std::string::npos);
}

TEST(SdpTest, BoundsAndGarbage) {
    EXPECT_FALSE(parse_sdp("hello", "rtsp://c/"));
    EXPECT_FALSE(parse_sdp(std::string(kMaxSdpBytes + 1, 'v'), "rtsp://c/"));
    std::string many = "v=0\r\n";
    for (int i = 0; i < 20; ++i) {
        many += "m=video 0 RTP/AVP 96\r\n";
    }
    EXPECT_FALSE(parse_sdp(many, "rtsp://c/"));
    auto odd = parse_sdp("v=0\r\nm=\r\nm=video\r\na=rtpmap:\r\na=fmtp:96\r\na=rtpmap:96 H264\r\n",
                         "rtsp://c/");
    ASSERT_TRUE(odd);
    EXPECT_TRUE(odd->media.empty());
}

TEST(SdpTest, ResolveControl) {
    EXPECT_EQ(resolve_control("rtsp://h/a/", "*"), "rtsp://h/a/");
    EXPECT_EQ(resolve_control("rtsp://h/a/", ""), "rtsp://h/a/");
    EXPECT_EQ(resolve_control("rtsp://h/a/", "trackID=1"), "rtsp://h/a/trackID=1");
    EXPECT_EQ(resolve_control("rtsp://h/a", "trackID=1"), "rtsp://h/a/trackID=1");
    EXPECT_EQ(resolve_control("rtsp://h/a", "RTSP://other/x"), "RTSP://other/x");
    EXPECT_EQ(resolve_control("rtsp://h:1/a/b", "/c"), "rtsp://h:1/c");
}

TEST(SdpTest, Base64AndAacConfig) {
    EXPECT_EQ(*base64_decode("aM48gA=="), (std::vector<std::uint8_t>{0x68, 0xce, 0x3c, 0x80}));
    EXPECT_EQ(*base64_decode("aM48gA"), (std::vector<std::uint8_t>{0x68, 0xce, 0x3c, 0x80}));
    EXPECT_FALSE(base64_decode("a"));
    EXPECT_FALSE(base64_decode("a*b="));
    EXPECT_FALSE(base64_decode("aM==gA"));
    auto c = parse_aac_config(std::vector<std::uint8_t>{0x12, 0x10});  // AAC-LC 44.1 kHz stereo
    ASSERT_TRUE(c);
    EXPECT_EQ(c->sample_rate, 44100);
    EXPECT_EQ(c->channels, 2);
    EXPECT_FALSE(parse_aac_config(std::vector<std::uint8_t>{0x12}));
    EXPECT_FALSE(parse_aac_config(std::vector<std::uint8_t>{0x16, 0x80}));  // rate index 13
}

// An ONVIF camera answering a DESCRIBE that asked for the audio backchannel.
TEST(SdpTest, DirectionsOfAnOnvifBackchannel) {
    auto sdp = parse_sdp(
        "v=0\r\ns=x\r\na=control:*\r\n"
        "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:video\r\na=recvonly\r\n"
        "m=audio 0 RTP/AVP 0\r\na=control:audio\r\na=RECVONLY\r\n"
        "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:audioback\r\na=sendonly\r\n"
        "m=audio 0 RTP/AVP 8\r\na=control:back2\r\na=inactive\r\n"
        "m=audio 0 RTP/AVP 8\r\na=control:plain\r\n",
        "rtsp://cam/");
    ASSERT_TRUE(sdp);
    ASSERT_EQ(sdp->media.size(), 5u);
    EXPECT_EQ(sdp->media[0].direction, Direction::kRecvOnly);
    EXPECT_EQ(sdp->media[1].direction, Direction::kRecvOnly);
    EXPECT_EQ(sdp->media[2].direction, Direction::kSendOnly);
    EXPECT_EQ(sdp->media[2].codec, Codec::kPcmu);
    EXPECT_EQ(sdp->media[2].control, "rtsp://cam/audioback");
    EXPECT_EQ(sdp->media[3].direction, Direction::kInactive);
    EXPECT_EQ(sdp->media[4].direction, Direction::kSendRecv);  // the default
}

TEST(IceCandidateTest, AddressOfBrowserCandidates) {
    EXPECT_EQ(ice_candidate_address("candidate:705124987 1 udp 2122194687 127.0.0.1 39929 typ "
                                    "host generation 0 ufrag IfE3 network-id 3"),
              "127.0.0.1");
    EXPECT_EQ(ice_candidate_address("candidate:1 1 UDP 2015364351 ::1 36488 typ host"), "::1");
    EXPECT_EQ(ice_candidate_address("candidate:2 1 udp 1 2001:db8::2 5000 typ host"),
              "2001:db8::2");
    for (const char* bad : {"", "candidate:", "candidate:1 1 udp", "1 1 udp 1 192.0.2.1 5 typ host",
                            "candidate:1 1 udp 1 4f1c-a0b2.local 5000 typ host",
                            "candidate:1 1 udp 1  5000 typ host", "candidate:1 1 udp 1 192.0.2.1"}) {
        EXPECT_EQ(ice_candidate_address(bad), "") << bad;
    }
}

}  // namespace
}  // namespace hearth::media::sdp
