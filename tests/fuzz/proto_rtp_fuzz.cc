// libFuzzer target for RTP packets and every depacketizer. The input is a sequence of packets,
// each prefixed by a 2-byte length, fed to the depacketizer chosen by the first byte.
// Seed corpus: tests/fuzz/corpus/proto_rtp/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "media/proto_h26x.h"
#include "media/proto_rtp.h"

using namespace hearth::media;

namespace {

sdp::MediaDescription media_for(std::uint8_t selector) {
    sdp::MediaDescription m;
    m.payload_type = 96;
    m.clock_rate = 90000;
    m.media = "video";
    switch (selector % 6) {
        case 0:
            m.codec = Codec::kH264;
            break;
        case 1:
            m.codec = Codec::kH265;
            break;
        case 2:
            m.media = "audio";
            m.codec = Codec::kAac;
            m.clock_rate = 48000;
            m.aac_config = {0x11, 0x88};
            m.size_length = 13;
            m.index_length = 3;
            m.index_delta_length = 3;
            break;
        case 3:
            m.media = "audio";
            m.codec = Codec::kAac;
            m.clock_rate = 8000;
            m.aac_config = {0x15, 0x88};
            m.size_length = 6;  // AAC-lbr
            m.index_length = 2;
            m.index_delta_length = 2;
            break;
        case 4:
            m.media = "audio";
            m.codec = Codec::kOpus;
            m.clock_rate = 48000;
            break;
        default:
            m.media = "audio";
            m.codec = Codec::kPcmu;
            m.clock_rate = 8000;
            break;
    }
    return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    auto m = media_for(data[0]);
    auto d = rtp::make_depacketizer(m, 0);
    if (!d) {
        std::abort();
    }
    std::vector<EncodedSample> out;
    std::span<const std::uint8_t> rest(data + 1, size - 1);
    std::int64_t last_video_dts = -1;
    while (rest.size() >= 2) {
        const std::size_t n = std::size_t{rest[0]} << 8 | rest[1];
        rest = rest.subspan(2);
        const auto packet_bytes = rest.first(std::min(n, rest.size()));
        rest = rest.subspan(packet_bytes.size());
        auto packet = rtp::parse_packet(packet_bytes);
        if (!packet) {
            continue;
        }
        if (packet->payload.data() < packet_bytes.data() ||
            packet->payload.data() + packet->payload.size() >
                packet_bytes.data() + packet_bytes.size()) {
            std::abort();
        }
        packet->payload_type = 96;  // let every packet through to the depacketizer
        out.clear();
        (*d)->push(*packet, &out);
        for (const auto& s : out) {
            if (!s.data || s.data->empty()) {
                std::abort();
            }
            if (is_video(m.codec)) {
                // Decode time grows; samples are whole length-prefixed NAL units.
                if (s.dts_us <= last_video_dts) {
                    std::abort();
                }
                last_video_dts = s.dts_us;
                std::size_t at = 0;
                const auto& b = *s.data;
                while (at + 4 <= b.size()) {
                    at += 4 + (std::size_t{b[at]} << 24 | std::size_t{b[at + 1]} << 16 |
                               std::size_t{b[at + 2]} << 8 | b[at + 3]);
                }
                if (at != b.size()) {
                    std::abort();
                }
            }
        }
        if ((*d)->ready() && is_video(m.codec) &&
            ((*d)->track().width <= 0 || (*d)->track().codec_data.empty())) {
            std::abort();
        }
    }
    // The whole input as one parameter set of each kind.
    std::span<const std::uint8_t> all(data, size);
    if (auto s = rtp::parse_h264_sps(all); s && (s->width <= 0 || s->height <= 0)) {
        std::abort();
    }
    if (auto s = rtp::parse_h265_sps(all); s && (s->width <= 0 || s->height <= 0)) {
        std::abort();
    }
    (void)sdp::parse_aac_config(all);
    return 0;
}
