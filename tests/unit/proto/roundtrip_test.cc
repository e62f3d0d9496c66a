// Real H.264/H.265 from ffmpeg, packetized the way cameras do (STAP-A/AP for small NAL units,
// FU-A/FU for large ones, timestamps about to wrap), depacketized, written as fMP4 and read back
// by ffprobe. Skipped when ffmpeg is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "media/fmp4_writer.h"
#include "media/proto_rtp.h"

namespace hearth::media::rtp {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string run(const std::string& command) {
    std::string out;
    FILE* f = ::popen(command.c_str(), "r");
    if (f == nullptr) {
        return out;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
    }
    ::pclose(f);
    return out;
}

bool have_ffmpeg() {
    return std::system("ffmpeg -version >/dev/null 2>&1 && ffprobe -version >/dev/null 2>&1") == 0;
}

Bytes read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// NAL units of an Annex B stream (start codes removed).
std::vector<Bytes> split_annex_b(const Bytes& s) {
    std::vector<Bytes> out;
    std::size_t i = 0;
    std::size_t start = std::string::npos;
    while (i + 3 <= s.size()) {
        if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1) {
            if (start != std::string::npos) {
                std::size_t end = i;
                while (end > start && s[end - 1] == 0) {
                    --end;
                }
                out.emplace_back(s.begin() + start, s.begin() + end);
            }
            i += 3;
            start = i;
        } else {
            ++i;
        }
    }
    if (start != std::string::npos && start < s.size()) {
        out.emplace_back(s.begin() + start, s.end());
    }
    return out;
}

struct Packetizer {
    bool hevc = false;
    std::uint8_t pt = 96;
    std::uint16_t seq = 65500;
    std::vector<Bytes> packets;

    std::size_t header() const { return hevc ? 2 : 1; }

    void emit(const Bytes& payload, std::uint32_t ts, bool marker) {
        Bytes p = {0x80,
                   static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt),
                   static_cast<std::uint8_t>(seq >> 8),
                   static_cast<std::uint8_t>(seq),
                   static_cast<std::uint8_t>(ts >> 24),
                   static_cast<std::uint8_t>(ts >> 16),
                   static_cast<std::uint8_t>(ts >> 8),
                   static_cast<std::uint8_t>(ts),
                   0,
                   0,
                   0,
                   1};
        ++seq;
        p.insert(p.end(), payload.begin(), payload.end());
        packets.push_back(std::move(p));
    }

    void access_unit(const std::vector<Bytes>& nals, std::uint32_t ts) {
        constexpr std::size_t kMtu = 1200;
        std::vector<const Bytes*> group;
        std::size_t group_size = 0;
        auto flush = [&](bool last) {
            if (group.empty()) {
                return;
            }
            if (group.size() == 1) {
                emit(*group[0], ts, last);
            } else {
                Bytes agg = hevc ? Bytes{48 << 1, 1} : Bytes{24};
                for (const Bytes* n : group) {
                    agg.push_back(static_cast<std::uint8_t>(n->size() >> 8));
                    agg.push_back(static_cast<std::uint8_t>(n->size()));
                    agg.insert(agg.end(), n->begin(), n->end());
                }
                emit(agg, ts, last);
            }
            group.clear();
            group_size = 0;
        };
        for (std::size_t i = 0; i < nals.size(); ++i) {
            const Bytes& n = nals[i];
            const bool last = i + 1 == nals.size();
            if (n.size() + 2 + group_size < kMtu) {
                group.push_back(&n);
                group_size += n.size() + 2;
                if (last) {
                    flush(true);
                }
                continue;
            }
            flush(false);
            if (n.size() < kMtu) {
                group.push_back(&n);
                group_size = n.size() + 2;
                if (last) {
                    flush(true);
                }
                continue;
            }
            // Fragment.
            const int type = hevc ? (n[0] >> 1) & 0x3f : n[0] & 0x1f;
            for (std::size_t at = header(); at < n.size(); at += kMtu) {
                const bool start = at == header();
                const bool end = at + kMtu >= n.size();
                const auto flags = static_cast<std::uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0));
                Bytes fu = hevc ? Bytes{static_cast<std::uint8_t>((n[0] & 0x81) | (49 << 1)), n[1],
                                        static_cast<std::uint8_t>(flags | type)}
                                : Bytes{static_cast<std::uint8_t>((n[0] & 0xe0) | 28),
                                        static_cast<std::uint8_t>(flags | type)};
                fu.insert(fu.end(), n.begin() + at, n.begin() + std::min(n.size(), at + kMtu));
                emit(fu, ts, end && last);
            }
        }
    }
};

void round_trip(bool hevc) {
    if (!have_ffmpeg()) {
        GTEST_SKIP() << "ffmpeg/ffprobe not installed";
    }
    const auto dir = std::filesystem::temp_directory_path() /
                     ("hearth_proto_rt_" + std::to_string(::getpid()) + (hevc ? "_h265" : "_h264"));
    std::filesystem::create_directories(dir);
    const auto es = dir / "in.es";
    const std::string encoder =
        hevc ? "-c:v libx265 -x265-params log-level=error:keyint=25:bframes=0 "
               "-bsf:v hevc_metadata=aud=insert -f hevc"
             : "-c:v libx264 -g 25 -bf 0 -bsf:v h264_metadata=aud=insert -f h264";
    run("ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -t 2 -pix_fmt yuv420p " +
        encoder + " " + es.string() + " 2>&1");
    const auto nals = split_annex_b(read_file(es));
    ASSERT_FALSE(nals.empty());

    // Access units start at each AUD.
    const int aud = hevc ? 35 : 9;
    std::vector<std::vector<Bytes>> units;
    for (const auto& n : nals) {
        const int type = hevc ? (n[0] >> 1) & 0x3f : n[0] & 0x1f;
        if (type == aud || units.empty()) {
            units.emplace_back();
        }
        units.back().push_back(n);
    }
    ASSERT_EQ(units.size(), 50u);

    Packetizer pk;
    pk.hevc = hevc;
    const std::uint32_t base = 0xffffffffu - 20000;
    for (std::size_t i = 0; i < units.size(); ++i) {
        pk.access_unit(units[i], base + static_cast<std::uint32_t>(i * 3600));
    }

    sdp::MediaDescription m;
    m.media = "video";
    m.codec = hevc ? Codec::kH265 : Codec::kH264;
    m.payload_type = 96;
    m.clock_rate = 90000;
    auto d = make_depacketizer(m, 0);
    ASSERT_TRUE(d);
    std::vector<EncodedSample> samples;
    for (const auto& bytes : pk.packets) {
        auto p = parse_packet(bytes);
        ASSERT_TRUE(p);
        (*d)->push(*p, &samples);
    }
    ASSERT_TRUE((*d)->ready());
    const TrackInfo track = (*d)->track();
    EXPECT_EQ(track.width, 320);
    EXPECT_EQ(track.height, 240);
    ASSERT_EQ(samples.size(), 50u);
    EXPECT_EQ((*d)->stats().lost_packets, 0u);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        EXPECT_EQ(samples[i].dts_us, static_cast<std::int64_t>(i) * 40'000);
        EXPECT_EQ(samples[i].keyframe, i % 25 == 0) << i;
    }

    auto init = fmp4::build_init_segment({track});
    ASSERT_TRUE(init) << init.error().message;
    auto frag = fmp4::build_fragment(1, {track}, samples);
    ASSERT_TRUE(frag) << frag.error().message;
    const auto mp4 = dir / "out.mp4";
    {
        std::ofstream out(mp4, std::ios::binary);
        out.write(reinterpret_cast<const char*>(init->data()),
                  static_cast<std::streamsize>(init->size()));
        out.write(reinterpret_cast<const char*>(frag->data()),
                  static_cast<std::streamsize>(frag->size()));
    }
    const auto probe =
        run("ffprobe -v error -count_frames -select_streams v -show_entries "
            "stream=codec_name,width,height,nb_read_frames -of csv=p=0 " +
            mp4.string() + " 2>&1");
    EXPECT_EQ(probe, std::string(hevc ? "hevc" : "h264") + ",320,240,50\n");
    const auto errors = run("ffmpeg -v error -i " + mp4.string() + " -f null - 2>&1");
    EXPECT_EQ(errors, "");
    std::filesystem::remove_all(dir);
}

TEST(RtpRoundTripTest, H264ThroughFfprobe) { round_trip(false); }
TEST(RtpRoundTripTest, H265ThroughFfprobe) { round_trip(true); }

}  // namespace
}  // namespace hearth::media::rtp
