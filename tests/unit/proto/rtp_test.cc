#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media/proto_h26x.h"
#include "media/proto_rtp.h"

namespace hearth::media::rtp {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes from_hex(const std::string& hex) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

// Real parameter sets from ffmpeg (libx264 / libx265, testsrc).
const Bytes kSps1080p = from_hex("67640028acd940780227e5c044000003000400000300c83c60c658");
const Bytes kPps1080p = from_hex("68ebe3cb22c0");
const Bytes kSps1080p444 = from_hex("67f40028919b280f0044fc4e0220000003002000000641e30632c0");
const Bytes kSps720Interlaced = from_hex("67640020acd940500bbf2e0220000003002000000643e2c5b2c0");
const Bytes kVps265 = from_hex("40010c01ffff016000000300900000030000030078959809");
const Bytes kSps265 = from_hex(
    "420101016000000300900000030000030078a003c08010e596566924caf01680800000030080000"
    "00c84");
const Bytes kPps265 = from_hex("4401c172b46240");

Bytes rtp(std::uint8_t pt, bool marker, std::uint16_t seq, std::uint32_t ts, const Bytes& payload) {
    Bytes p = {0x80,
               static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt),
               static_cast<std::uint8_t>(seq >> 8),
               static_cast<std::uint8_t>(seq),
               static_cast<std::uint8_t>(ts >> 24),
               static_cast<std::uint8_t>(ts >> 16),
               static_cast<std::uint8_t>(ts >> 8),
               static_cast<std::uint8_t>(ts),
               1,
               2,
               3,
               4};
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

Bytes length_prefixed(std::initializer_list<Bytes> nals) {
    Bytes out;
    for (const auto& n : nals) {
        const auto s = n.size();
        out.insert(out.end(),
                   {static_cast<std::uint8_t>(s >> 24), static_cast<std::uint8_t>(s >> 16),
                    static_cast<std::uint8_t>(s >> 8), static_cast<std::uint8_t>(s)});
        out.insert(out.end(), n.begin(), n.end());
    }
    return out;
}

Bytes stap_a(std::initializer_list<Bytes> nals) {
    Bytes out = {24};
    for (const auto& n : nals) {
        out.push_back(static_cast<std::uint8_t>(n.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(n.size()));
        out.insert(out.end(), n.begin(), n.end());
    }
    return out;
}

// FU-A fragments of one NAL, `pieces` of roughly equal size.
std::vector<Bytes> fu_a(const Bytes& nal, int pieces) {
    std::vector<Bytes> out;
    const std::size_t body = nal.size() - 1;
    const std::size_t step = (body + pieces - 1) / pieces;
    for (std::size_t at = 0; at < body; at += step) {
        const bool start = at == 0;
        const bool end = at + step >= body;
        Bytes f = {
            static_cast<std::uint8_t>((nal[0] & 0xe0) | 28),
            static_cast<std::uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f))};
        f.insert(f.end(), nal.begin() + 1 + at, nal.begin() + 1 + std::min(body, at + step));
        out.push_back(std::move(f));
    }
    return out;
}

sdp::MediaDescription h264_media(bool with_sprop) {
    sdp::MediaDescription m;
    m.media = "video";
    m.codec = Codec::kH264;
    m.encoding = "H264";
    m.payload_type = 96;
    m.clock_rate = 90000;
    if (with_sprop) {
        m.parameter_sets = {kSps1080p, kPps1080p};
    }
    return m;
}

Bytes nal(std::uint8_t header, std::size_t size, std::uint8_t fill) {
    Bytes n(size, fill);
    n[0] = header;
    return n;
}

// Feeds packets, collecting samples.
struct Feeder {
    std::unique_ptr<Depacketizer> d;
    std::vector<EncodedSample> out;
    void push(const Bytes& packet) {
        auto p = parse_packet(packet);
        ASSERT_TRUE(p) << p.error().message;
        d->push(*p, &out);
    }
};

Feeder h264_feeder(bool with_sprop) {
    auto d = make_depacketizer(h264_media(with_sprop), 0);
    EXPECT_TRUE(d);
    return Feeder{std::move(*d), {}};
}

TEST(RtpPacketTest, HeaderFieldsCsrcExtensionPadding) {
    Bytes p = {0xb2, 0xe0, 0x12, 0x34, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 7,  // V2 P X CC=2
               0,    0,    0,    1,    0,    0,    0,    2,                 // CSRCs
               0xbe, 0xde, 0,    1,    9,    9,    9,    9,                 // 1-word extension
               0xaa, 0xbb, 0,    0,    3};                                  // payload + 3 pad
    auto r = parse_packet(p);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->marker);
    EXPECT_EQ(r->payload_type, 96);
    EXPECT_EQ(r->sequence, 0x1234);
    EXPECT_EQ(r->timestamp, 0xfffffffeu);
    EXPECT_EQ(r->ssrc, 7u);
    EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), (Bytes{0xaa, 0xbb}));

    EXPECT_FALSE(parse_packet(Bytes(11, 0x80)));
    Bytes v1(12, 0);
    v1[0] = 0x40;
    EXPECT_FALSE(parse_packet(v1));
    Bytes csrc_overrun(12, 0);
    csrc_overrun[0] = 0x8f;
    EXPECT_FALSE(parse_packet(csrc_overrun));
    Bytes ext_overrun = {0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    EXPECT_FALSE(parse_packet(ext_overrun));
    Bytes pad_overrun = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9};
    EXPECT_FALSE(parse_packet(pad_overrun));
    Bytes pad_zero = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    EXPECT_FALSE(parse_packet(pad_zero));
}

TEST(RtpTimelineTest, UnwrapsAndConverts) {
    Timeline t(90000);
    EXPECT_EQ(t.ticks(0xffffff00u), 0);
    EXPECT_EQ(t.ticks(0x00000100u), 0x200);  // wrapped forward
    EXPECT_EQ(t.ticks(0x000000f0u), 0x1f0);  // a small step back stays near
    EXPECT_EQ(t.to_us(90000), 1'000'000);
    EXPECT_EQ(t.to_us(3600), 40'000);
    EXPECT_EQ(t.to_us(std::int64_t{90000} * 86400 * 365), std::int64_t{86400} * 365 * 1'000'000);
}

TEST(H26xSpsTest, RealH264ParameterSets) {
    auto s = parse_h264_sps(kSps1080p);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->width, 1920);
    EXPECT_EQ(s->height, 1080);  // 1088 coded, 8 cropped
    EXPECT_EQ(s->profile_idc, 100);
    EXPECT_EQ(s->level_idc, 40);

    auto s444 = parse_h264_sps(kSps1080p444);
    ASSERT_TRUE(s444);
    EXPECT_EQ(s444->profile_idc, 244);
    EXPECT_EQ(s444->chroma_format_idc, 3);
    EXPECT_EQ(s444->width, 1920);
    EXPECT_EQ(s444->height, 1080);

    auto interlaced = parse_h264_sps(kSps720Interlaced);
    ASSERT_TRUE(interlaced);
    EXPECT_EQ(interlaced->width, 1280);
    EXPECT_EQ(interlaced->height, 720);

    // What simcam's x264 (constrained baseline) sends at 320x180: cropping, frame_mbs_only.
    const Bytes simcam = from_hex("6742c014da05067e7c05a830303528000003000800000300f478a155");
    auto small = parse_h264_sps(simcam);
    ASSERT_TRUE(small);
    EXPECT_EQ(small->width, 320);
    EXPECT_EQ(small->height, 180);

    const auto avcc = build_avcc(kSps1080p, kPps1080p, *s);
    ASSERT_GT(avcc.size(), 8u + kSps1080p.size() + kPps1080p.size());
    EXPECT_EQ(Bytes(avcc.begin(), avcc.begin() + 6), (Bytes{1, 100, 0, 40, 0xff, 0xe1}));
    EXPECT_EQ(avcc[6], 0);
    EXPECT_EQ(avcc[7], kSps1080p.size());
    // High profile: chroma format and bit depths follow the PPS.
    EXPECT_EQ(Bytes(avcc.end() - 4, avcc.end()), (Bytes{0xfd, 0xf8, 0xf8, 0}));
}

TEST(H26xSpsTest, TruncatedSpsNeverReadsPastTheEnd) {
    // The size and crop fields end within 11 bytes; the VUI after them is not read.
    for (std::size_t n = 0; n < kSps1080p.size(); ++n) {
        const Bytes cut(kSps1080p.begin(), kSps1080p.begin() + n);
        auto s = parse_h264_sps(cut);
        EXPECT_EQ(s.has_value(), n >= 11) << n;
        if (s) {
            EXPECT_EQ(s->height, 1080);
        }
    }
    for (std::size_t n = 0; n < 20; ++n) {
        EXPECT_FALSE(parse_h265_sps(Bytes(kSps265.begin(), kSps265.begin() + n))) << n;
    }
    EXPECT_FALSE(parse_h264_sps(Bytes{0x67, 0x42, 0, 0x1e, 0, 0, 0, 0}));  // 32+ leading zeros
    EXPECT_EQ(unescape_rbsp(Bytes{0, 0, 3, 1, 0, 0, 3}), (Bytes{0, 0, 1, 0, 0}));
}

TEST(H26xSpsTest, RealH265ParameterSets) {
    auto s = parse_h265_sps(kSps265);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->width, 1920);
    EXPECT_EQ(s->height, 1080);
    EXPECT_EQ(s->profile_idc, 1);  // Main
    EXPECT_EQ(s->level_idc, 120);
    EXPECT_EQ(s->compatibility_flags, 0x60000000u);
    const auto hvcc = build_hvcc(kVps265, kSps265, kPps265, *s);
    EXPECT_EQ(Bytes(hvcc.begin(), hvcc.begin() + 23),
              (Bytes{1,   0x01, 0x60, 0,    0,    0,    0x90, 0, 0, 0,    0, 0,
                     120, 0xf0, 0,    0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 3}));
    EXPECT_EQ(hvcc.size(), 23 + 3 * 5 + kVps265.size() + kSps265.size() + kPps265.size());
}

TEST(H264DepacketizerTest, StapAAndFuAIntoOneAccessUnit) {
    auto f = h264_feeder(false);
    EXPECT_FALSE(f.d->ready());
    const Bytes idr = nal(0x65, 3000, 0x11);
    const auto fragments = fu_a(idr, 3);
    ASSERT_EQ(fragments.size(), 3u);
    f.push(rtp(96, false, 10, 1000, stap_a({kSps1080p, kPps1080p})));
    f.push(rtp(96, false, 11, 1000, fragments[0]));
    f.push(rtp(96, false, 12, 1000, fragments[1]));
    EXPECT_TRUE(f.out.empty());
    f.push(rtp(96, true, 13, 1000, fragments[2]));
    ASSERT_EQ(f.out.size(), 1u);
    const auto& s = f.out[0];
    EXPECT_TRUE(s.keyframe);
    EXPECT_EQ(*s.data, length_prefixed({kSps1080p, kPps1080p, idr}));
    EXPECT_EQ(s.dts_us, 0);
    EXPECT_EQ(s.pts_us, 0);
    ASSERT_TRUE(f.d->ready());
    EXPECT_EQ(f.d->track().codec, Codec::kH264);
    EXPECT_EQ(f.d->track().width, 1920);
    EXPECT_EQ(f.d->track().height, 1080);
    EXPECT_EQ(f.d->track().codec_data[0], 1);
    EXPECT_EQ(f.d->stats().lost_packets, 0u);

    // A P frame as a single NAL, 40 ms later; then another packet type is ignored.
    const Bytes p = nal(0x41, 500, 0x22);
    f.push(rtp(96, true, 14, 1000 + 3600, p));
    ASSERT_EQ(f.out.size(), 2u);
    EXPECT_FALSE(f.out[1].keyframe);
    EXPECT_EQ(f.out[1].dts_us, 40'000);
    EXPECT_EQ(*f.out[1].data, length_prefixed({p}));
    f.push(rtp(0, true, 15, 1000 + 7200, p));
    EXPECT_EQ(f.out.size(), 2u);
}

TEST(H264DepacketizerTest, SpropMakesTheTrackReadyAtOnce) {
    auto f = h264_feeder(true);
    ASSERT_TRUE(f.d->ready());
    EXPECT_EQ(f.d->track().width, 1920);
    const auto version = f.d->track_version();
    // The same SPS in-band changes nothing; another one (720p) changes the track.
    f.push(rtp(96, false, 1, 0, kSps1080p));
    EXPECT_EQ(f.d->track_version(), version);
    f.push(rtp(96, false, 2, 0, kSps720Interlaced));
    f.push(rtp(96, true, 3, 0, nal(0x65, 50, 1)));
    EXPECT_NE(f.d->track_version(), version);
    EXPECT_EQ(f.d->track().width, 1280);
    ASSERT_EQ(f.out.size(), 1u);
}

TEST(H264DepacketizerTest, LossDropsUntilTheNextIdr) {
    auto f = h264_feeder(true);
    std::uint16_t seq = 100;
    std::uint32_t ts = 0;
    // Everything before the first IDR is dropped.
    f.push(rtp(96, true, seq++, ts += 3600, nal(0x41, 100, 1)));
    EXPECT_TRUE(f.out.empty());
    f.push(rtp(96, true, seq++, ts += 3600, nal(0x65, 100, 2)));
    ASSERT_EQ(f.out.size(), 1u);
    // A P frame in three fragments loses its middle one.
    const auto frags = fu_a(nal(0x41, 3000, 3), 3);
    f.push(rtp(96, false, seq++, ts += 3600, frags[0]));
    seq++;
    f.push(rtp(96, true, seq++, ts, frags[2]));
    f.push(rtp(96, true, seq++, ts += 3600, nal(0x41, 100, 4)));  // refers to the lost frame
    EXPECT_EQ(f.out.size(), 1u);
    EXPECT_EQ(f.d->stats().lost_packets, 1u);
    EXPECT_GE(f.d->stats().dropped_units, 3u);
    // The next IDR resumes output, with its real time.
    f.push(rtp(96, false, seq++, ts += 3600, nal(0x06, 10, 5)));  // SEI, same unit
    f.push(rtp(96, true, seq++, ts, nal(0x65, 100, 6)));
    ASSERT_EQ(f.out.size(), 2u);
    EXPECT_TRUE(f.out[1].keyframe);
    EXPECT_EQ(f.out[1].dts_us, 4 * 40'000);
    f.push(rtp(96, true, seq++, ts += 3600, nal(0x41, 100, 7)));
    EXPECT_EQ(f.out.size(), 3u);
}

TEST(H264DepacketizerTest, LostFirstPacketOfAnIdrDropsIt) {
    auto f = h264_feeder(true);
    const auto frags = fu_a(nal(0x65, 3000, 3), 3);
    f.push(rtp(96, true, 1, 0, nal(0x65, 100, 1)));
    ASSERT_EQ(f.out.size(), 1u);
    f.push(rtp(96, false, 3, 3600, frags[1]));  // 2 (the FU start) was lost
    f.push(rtp(96, true, 4, 3600, frags[2]));
    EXPECT_EQ(f.out.size(), 1u);
}

TEST(H264DepacketizerTest, TimestampChangeEndsAUnitWithoutMarker) {
    auto f = h264_feeder(true);
    f.push(rtp(96, false, 1, 0, nal(0x65, 100, 1)));
    EXPECT_TRUE(f.out.empty());
    f.push(rtp(96, false, 2, 3000, nal(0x41, 100, 2)));
    ASSERT_EQ(f.out.size(), 1u);
    EXPECT_TRUE(f.out[0].keyframe);
    f.push(rtp(96, false, 3, 6000, nal(0x41, 100, 3)));
    ASSERT_EQ(f.out.size(), 2u);
    EXPECT_EQ(f.out[1].dts_us, 33'333);
}

TEST(H264DepacketizerTest, ParameterSetsMarkedAloneJoinTheNextUnit) {
    auto f = h264_feeder(false);
    f.push(rtp(96, true, 1, 0, kSps1080p));
    f.push(rtp(96, true, 2, 0, kPps1080p));
    EXPECT_TRUE(f.out.empty());
    const Bytes idr = nal(0x65, 100, 1);
    f.push(rtp(96, true, 3, 0, idr));
    ASSERT_EQ(f.out.size(), 1u);
    EXPECT_EQ(*f.out[0].data, length_prefixed({kSps1080p, kPps1080p, idr}));
}

TEST(H264DepacketizerTest, TimestampWrapKeepsTimeGrowing) {
    auto f = h264_feeder(true);
    std::uint32_t ts = 0xffffffffu - 3600;
    for (std::uint16_t i = 0; i < 4; ++i) {
        f.push(rtp(96, true, static_cast<std::uint16_t>(65534 + i), ts,
                   nal(i == 0 ? 0x65 : 0x41, 50, 1)));
        ts += 3600;
    }
    ASSERT_EQ(f.out.size(), 4u);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(f.out[i].dts_us, i * 40'000);
    }
    EXPECT_EQ(f.d->stats().lost_packets, 0u);  // sequence wrapped too
}

TEST(H264DepacketizerTest, ReorderedTimestampsKeepDecodeTimeGrowing) {
    auto f = h264_feeder(true);
    f.push(rtp(96, true, 1, 0, nal(0x65, 50, 1)));
    f.push(rtp(96, true, 2, 7200, nal(0x41, 50, 1)));
    f.push(rtp(96, true, 3, 3600, nal(0x01, 50, 1)));  // a B frame
    ASSERT_EQ(f.out.size(), 3u);
    EXPECT_EQ(f.out[1].dts_us, 80'000);
    EXPECT_EQ(f.out[2].dts_us, 80'001);
    EXPECT_EQ(f.out[2].pts_us, 80'001);
}

TEST(H264DepacketizerTest, MalformedPayloadsAreHarmless) {
    auto f = h264_feeder(true);
    f.push(rtp(96, true, 1, 0, Bytes{}));
    f.push(rtp(96, true, 2, 0, Bytes{24, 0, 9, 0x65}));  // STAP-A size beyond the packet
    f.push(rtp(96, true, 3, 0, Bytes{28}));              // FU-A without a header
    f.push(rtp(96, true, 4, 0, Bytes{28, 0x45}));        // FU-A end without a start
    f.push(rtp(96, true, 5, 0, Bytes{29, 0x85, 1}));     // FU-B
    EXPECT_TRUE(f.out.empty());
    f.push(rtp(96, true, 6, 3600, nal(0x65, 50, 1)));
    EXPECT_EQ(f.out.size(), 1u);
}

sdp::MediaDescription h265_media() {
    sdp::MediaDescription m;
    m.media = "video";
    m.codec = Codec::kH265;
    m.encoding = "H265";
    m.payload_type = 98;
    m.clock_rate = 90000;
    return m;
}

TEST(H265DepacketizerTest, AggregationAndFragmentation) {
    auto d = make_depacketizer(h265_media(), 0);
    ASSERT_TRUE(d);
    Feeder f{std::move(*d), {}};
    // AP (type 48) with VPS, SPS, PPS.
    Bytes ap = {48 << 1, 1};
    for (const auto* ps : {&kVps265, &kSps265, &kPps265}) {
        ap.push_back(static_cast<std::uint8_t>(ps->size() >> 8));
        ap.push_back(static_cast<std::uint8_t>(ps->size()));
        ap.insert(ap.end(), ps->begin(), ps->end());
    }
    f.push(rtp(98, false, 1, 500, ap));
    // An IDR_W_RADL (19) slice in two FUs.
    Bytes idr(2000, 0x33);
    idr[0] = 19 << 1;
    idr[1] = 1;
    const Bytes fu1 = concat({{49 << 1, 1, 0x80 | 19}, Bytes(idr.begin() + 2, idr.begin() + 1000)});
    const Bytes fu2 = concat({{49 << 1, 1, 0x40 | 19}, Bytes(idr.begin() + 1000, idr.end())});
    f.push(rtp(98, false, 2, 500, fu1));
    f.push(rtp(98, true, 3, 500, fu2));
    ASSERT_EQ(f.out.size(), 1u);
    EXPECT_TRUE(f.out[0].keyframe);
    EXPECT_EQ(*f.out[0].data, length_prefixed({kVps265, kSps265, kPps265, idr}));
    ASSERT_TRUE(f.d->ready());
    EXPECT_EQ(f.d->track().codec, Codec::kH265);
    EXPECT_EQ(f.d->track().width, 1920);
    EXPECT_EQ(f.d->track().height, 1080);
    // A TRAIL_R (1) slice is not a keyframe; a CRA (21) is.
    f.push(rtp(98, true, 4, 500 + 3600, Bytes{1 << 1, 1, 9, 9}));
    f.push(rtp(98, true, 5, 500 + 7200, Bytes{21 << 1, 1, 9, 9}));
    ASSERT_EQ(f.out.size(), 3u);
    EXPECT_FALSE(f.out[1].keyframe);
    EXPECT_TRUE(f.out[2].keyframe);
}

sdp::MediaDescription aac_media() {
    sdp::MediaDescription m;
    m.media = "audio";
    m.codec = Codec::kAac;
    m.encoding = "MPEG4-GENERIC";
    m.payload_type = 97;
    m.clock_rate = 48000;
    m.channels = 1;
    m.aac_config = {0x11, 0x88};
    m.size_length = 13;
    m.index_length = 3;
    m.index_delta_length = 3;
    m.mode = "AAC-hbr";
    return m;
}

// An AU header for sizelength 13 + index(delta)length 3: size << 3.
Bytes au_header(std::size_t size) {
    return {static_cast<std::uint8_t>(size >> 5), static_cast<std::uint8_t>((size & 31) << 3)};
}

TEST(AacDepacketizerTest, SeveralUnitsPerPacketAndFragments) {
    auto d = make_depacketizer(aac_media(), 1);
    ASSERT_TRUE(d);
    Feeder f{std::move(*d), {}};
    ASSERT_TRUE(f.d->ready());
    EXPECT_EQ(f.d->track().codec, Codec::kAac);
    EXPECT_EQ(f.d->track().sample_rate, 48000);
    EXPECT_EQ(f.d->track().channels, 1);
    EXPECT_EQ(f.d->track().codec_data, (Bytes{0x11, 0x88}));

    const Bytes a(100, 1), b(200, 2), c(50, 3);
    f.push(rtp(97, true, 1, 48000,
               concat({{0, 48}, au_header(100), au_header(200), au_header(50), a, b, c})));
    ASSERT_EQ(f.out.size(), 3u);
    EXPECT_EQ(*f.out[0].data, a);
    EXPECT_EQ(*f.out[1].data, b);
    EXPECT_EQ(*f.out[2].data, c);
    EXPECT_EQ(f.out[0].dts_us, 0);
    EXPECT_EQ(f.out[1].dts_us, 21'333);
    EXPECT_EQ(f.out[2].dts_us, 42'666);
    EXPECT_EQ(f.out[0].duration_us, 21'333);
    EXPECT_TRUE(f.out[0].keyframe);
    EXPECT_EQ(f.out[0].track, 1);

    // One 3000-byte AU over two packets.
    const Bytes big(3000, 7);
    f.push(rtp(97, false, 2, 48000 + 3072,
               concat({{0, 16}, au_header(3000), Bytes(big.begin(), big.begin() + 1400)})));
    EXPECT_EQ(f.out.size(), 3u);
    f.push(rtp(97, true, 3, 48000 + 3072,
               concat({{0, 16}, au_header(3000), Bytes(big.begin() + 1400, big.end())})));
    ASSERT_EQ(f.out.size(), 4u);
    EXPECT_EQ(*f.out[3].data, big);
    EXPECT_EQ(f.out[3].dts_us, 64'000);

    // A lost continuation drops the fragment.
    f.push(rtp(97, false, 4, 48000 + 4096,
               concat({{0, 16}, au_header(3000), Bytes(big.begin(), big.begin() + 1400)})));
    f.push(rtp(97, true, 6, 48000 + 4096,
               concat({{0, 16}, au_header(3000), Bytes(big.begin() + 1400, big.end())})));
    EXPECT_EQ(f.out.size(), 4u);
    // Truncated headers are ignored.
    f.push(rtp(97, true, 7, 48000 + 5120, Bytes{0, 64, 1}));
    f.push(rtp(97, true, 8, 48000 + 5120, Bytes{0}));
    EXPECT_EQ(f.out.size(), 4u);
}

TEST(FrameDepacketizerTest, PcmuAndOpus) {
    sdp::MediaDescription pcmu;
    pcmu.media = "audio";
    pcmu.codec = Codec::kPcmu;
    pcmu.payload_type = 0;
    pcmu.clock_rate = 8000;
    auto d = make_depacketizer(pcmu, 1);
    ASSERT_TRUE(d);
    Feeder f{std::move(*d), {}};
    f.push(rtp(0, false, 1, 0, Bytes(160, 0xff)));
    f.push(rtp(0, false, 2, 160, Bytes(160, 0xff)));
    ASSERT_EQ(f.out.size(), 2u);
    EXPECT_EQ(f.out[1].dts_us, 20'000);
    EXPECT_EQ(f.out[1].duration_us, 20'000);
    EXPECT_EQ(f.d->track().sample_rate, 8000);

    sdp::MediaDescription opus;
    opus.media = "audio";
    opus.codec = Codec::kOpus;
    opus.payload_type = 111;
    opus.clock_rate = 48000;
    auto o = make_depacketizer(opus, 1);
    ASSERT_TRUE(o);
    Feeder g{std::move(*o), {}};
    g.push(rtp(111, false, 1, 0, Bytes{0xf8, 1, 2, 3}));    // CELT FB 20 ms, one frame
    g.push(rtp(111, false, 2, 960, Bytes{0xf9, 1, 2, 3}));  // two frames
    ASSERT_EQ(g.out.size(), 2u);
    EXPECT_EQ(g.out[0].duration_us, 20'000);
    EXPECT_EQ(g.out[1].duration_us, 40'000);
    EXPECT_EQ(g.out[1].dts_us, 20'000);
    EXPECT_EQ(g.d->track().channels, 2);
    EXPECT_EQ(g.d->track().sample_rate, 48000);

    sdp::MediaDescription none;
    none.codec = Codec::kInvalid;
    EXPECT_FALSE(make_depacketizer(none, 0));
}

}  // namespace
}  // namespace hearth::media::rtp
