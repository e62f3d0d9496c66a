// SDP (RFC 4566) as RTSP cameras describe their streams: the media sections, their RTP
// encodings and the codec parameters a recorder needs (RFC 6184 H.264, RFC 7798 H.265, RFC 3640
// AAC, RFC 7587 Opus, G.711). Pure, bounded and fuzzed (tests/fuzz/proto_sdp_fuzz.cc).
//
// Thread-safety: pure functions; call from any thread.
//
// Example:
//   auto sdp = sdp::parse_sdp(describe_response.body, content_base);
//   for (const auto& m : sdp->media) { setup(m.control); }
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "media/sample.h"

namespace hearth::media::sdp {

inline constexpr std::size_t kMaxSdpBytes = 64 * 1024;
inline constexpr std::size_t kMaxMediaSections = 16;

// A section's a=sendonly / a=recvonly / a=sendrecv / a=inactive, as the camera wrote it. ONVIF
// cameras mark the audio backchannel sendonly (the client sends) and their own streams recvonly.
enum class Direction : std::uint8_t { kInvalid = 0, kSendRecv, kSendOnly, kRecvOnly, kInactive };

struct MediaDescription {
    std::string media;                           // "video" or "audio"
    Direction direction = Direction::kSendRecv;  // the RFC 4566 default when none is given
    Codec codec = Codec::kInvalid;
    int payload_type = -1;
    std::string encoding;  // rtpmap encoding name, upper case ("H264")
    int clock_rate = 0;    // Hz
    int channels = 0;      // audio; 0 when not given (1 assumed)
    std::string control;   // absolute URL for SETUP

    // H.264: SPS/PPS from sprop-parameter-sets; H.265: VPS, SPS, PPS from sprop-vps/sps/pps.
    // NAL units without start codes or length prefixes.
    std::vector<std::vector<std::uint8_t>> parameter_sets;
    // AAC (MPEG4-GENERIC): AudioSpecificConfig and the AU-header layout.
    std::vector<std::uint8_t> aac_config;
    int size_length = 0;
    int index_length = 0;
    int index_delta_length = 0;
    int constant_duration = 0;  // samples per AU when given, else 0 (1024 assumed)
    std::string mode;           // "AAC-hbr", "AAC-lbr"
    // Opus: sprop-stereo=1.
    bool stereo = true;
};

struct SessionDescription {
    std::string aggregate_control;        // session-level control resolved (PLAY, TEARDOWN)
    std::vector<MediaDescription> media;  // supported sections only, in SDP order
    std::vector<std::string> skipped;     // a human note per unsupported section
};

// Parses `text` (a DESCRIBE body). `base_url` is the Content-Base (or Content-Location, else the
// request URL): relative controls resolve against it. Errors: kInvalidArgument for SDP over
// kMaxSdpBytes, no "v=" line, or more than kMaxMediaSections sections.
core::Result<SessionDescription> parse_sdp(std::string_view text, std::string_view base_url);

// Resolves an a=control value: "*" or empty is the base itself, an absolute rtsp(s):// URL is
// used as is, anything else is appended with one '/' (what cameras and ffmpeg expect).
std::string resolve_control(std::string_view base_url, std::string_view control);

// Lenient base64 (standard or URL alphabet, padding optional). Errors: kInvalidArgument.
core::Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// AudioSpecificConfig fields (ISO/IEC 14496-3 1.6.2.1), enough to fill a TrackInfo.
struct AacConfig {
    int object_type = 0;
    int sample_rate = 0;
    int channels = 0;
};
// Errors: kInvalidArgument for a config shorter than its fields or a reserved rate index.
core::Result<AacConfig> parse_aac_config(std::span<const std::uint8_t> asc);

// The connection address of an ICE candidate line from a browser ("candidate:1 1 UDP
// 2015363327 10.0.0.5 5000 typ host", RFC 8839), or empty when the line is malformed.
// Only IP literals pass: a host name (an mDNS ".local" name, say) is never looked up.
std::string_view ice_candidate_address(std::string_view candidate);

}  // namespace hearth::media::sdp
