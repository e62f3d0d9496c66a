// Encoded media as it came from the camera: the unit that flows from a source
// to the recorder and to live viewers. Nothing here is ever transcoded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hearth::media {

enum class Codec : std::uint8_t {
    kInvalid = 0,
    kH264,   // samples: AVC length-prefixed NAL units (4-byte lengths); codec_data: avcC
    kH265,   // samples: HVC length-prefixed NAL units (4-byte lengths); codec_data: hvcC
    kAac,    // samples: raw AAC frames; codec_data: AudioSpecificConfig
    kOpus,   // samples: raw Opus packets; codec_data: OpusHead (may be empty)
    kPcmu,   // G.711 mu-law, 8 kHz; no codec_data
    kPcma,   // G.711 A-law, 8 kHz; no codec_data
};

const char* to_string(Codec codec);
bool is_video(Codec codec);

// Describes one elementary stream. Immutable once published by a source.
struct TrackInfo {
    Codec codec = Codec::kInvalid;
    std::vector<std::uint8_t> codec_data;  // see Codec for the format
    // Video only.
    int width = 0;
    int height = 0;
    // Audio only.
    int sample_rate = 0;
    int channels = 0;

    std::uint32_t timescale() const { return is_video(codec) ? 90000u : std::uint32_t(sample_rate); }
    bool operator==(const TrackInfo&) const = default;
};

// One access unit (video frame or audio packet).
struct EncodedSample {
    int track = 0;  // index into the source's track list
    std::shared_ptr<const std::vector<std::uint8_t>> data;
    std::int64_t pts_us = 0;       // presentation time, source running time
    std::int64_t dts_us = 0;       // decode time, source running time (== pts for audio)
    std::int64_t duration_us = 0;  // 0 when unknown
    bool keyframe = false;         // video: IDR / IRAP; audio: always true
};

}  // namespace hearth::media
