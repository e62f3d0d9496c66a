// H.264 and H.265 over RTP: parameter-set parsing (SPS size and profile), avcC/hvcC, and the
// depacketizer for RFC 6184 (single NAL, STAP-A, FU-A) and RFC 7798 (single, AP, FU).
//
// Access units end on the marker bit or a timestamp change. After a sequence gap the broken unit
// and everything up to the next keyframe (IDR; IRAP 16-21 for H.265) is dropped, as is
// everything before the first keyframe. Parameter-set-only units (cameras that mark them) are
// carried into the next unit. Samples keep in-band parameter sets.
//
// Thread-safety: pure functions; a depacketizer belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/result.h"
#include "media/proto_rtp.h"

namespace hearth::media::rtp {

inline constexpr std::size_t kMaxParameterSetBytes = 4096;

// Removes H.264/H.265 emulation-prevention bytes (00 00 03 -> 00 00).
std::vector<std::uint8_t> unescape_rbsp(std::span<const std::uint8_t> nal);

struct H264Sps {
    int profile_idc = 0;
    int constraint_flags = 0;
    int level_idc = 0;
    int chroma_format_idc = 1;
    int bit_depth_luma = 8;
    int bit_depth_chroma = 8;
    int width = 0;   // after cropping
    int height = 0;  // after cropping; both fields for interlaced streams
};
// `nal` includes the one-byte NAL header. Errors: kInvalidArgument for a truncated or
// implausible SPS.
core::Result<H264Sps> parse_h264_sps(std::span<const std::uint8_t> nal);
// avcC (ISO/IEC 14496-15 5.3.3.1) with 4-byte lengths, one SPS and one PPS.
std::vector<std::uint8_t> build_avcc(std::span<const std::uint8_t> sps,
                                     std::span<const std::uint8_t> pps, const H264Sps& parsed);

struct H265Sps {
    int profile_space = 0;
    int tier_flag = 0;
    int profile_idc = 0;
    std::uint32_t compatibility_flags = 0;
    std::uint64_t constraint_flags = 0;  // 48 bits
    int level_idc = 0;
    int max_sub_layers = 1;
    bool temporal_id_nesting = false;
    int chroma_format_idc = 1;
    int bit_depth_luma = 8;
    int bit_depth_chroma = 8;
    int width = 0;  // after the conformance window
    int height = 0;
};
// `nal` includes the two-byte NAL header. Errors: kInvalidArgument as for H.264.
core::Result<H265Sps> parse_h265_sps(std::span<const std::uint8_t> nal);
// hvcC (ISO/IEC 14496-15 8.3.3.1) with 4-byte lengths and one VPS, SPS and PPS array.
std::vector<std::uint8_t> build_hvcc(std::span<const std::uint8_t> vps,
                                     std::span<const std::uint8_t> sps,
                                     std::span<const std::uint8_t> pps, const H265Sps& parsed);

// The H.264 or H.265 depacketizer (media.codec decides); parameter sets from the SDP first.
std::unique_ptr<Depacketizer> make_nal_depacketizer(const sdp::MediaDescription& media,
                                                    int track_index);

}  // namespace hearth::media::rtp
