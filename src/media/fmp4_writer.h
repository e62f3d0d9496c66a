// Fragmented MP4 (ISO BMFF) writer: one init segment (ftyp+moov) and then self-contained
// moof+mdat fragments, as the recorder appends them to a segment file.
//
// Thread-safety: pure functions on their arguments; call from any thread.
//
// Example:
//   auto init = build_init_segment(tracks);             // once per file
//   FragmentInfo info;
//   auto frag = build_fragment(seq++, tracks, samples, &info);  // one per keyframe interval
//   // append *frag; index (file offset, info.size, info.start_us, info.duration_us)
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "media/sample.h"

namespace hearth::media::fmp4 {

// ftyp (major "iso6", compatible iso6 iso5 mp41, avc1/hvc1 when such a track exists, "cmfc")
// and moov: mvhd, one trak per track (track_ID = index + 1, timescale = TrackInfo::timescale())
// with an empty sample table, and mvex with one trex per track.
// Sample entries: H264 -> avc1+avcC (codec_data verbatim); H265 -> hvc1+hvcC (verbatim);
// AAC -> mp4a+esds (codec_data is the AudioSpecificConfig; built from sample_rate/channels as
// AAC-LC when empty); Opus -> Opus+dOps (from the OpusHead in codec_data, else channels,
// sample_rate, pre-skip 312); PCMU/PCMA -> QuickTime 'ulaw'/'alaw' entries.
// Errors: kInvalidArgument for no tracks, an invalid codec, video without codec_data or size,
// audio without a sample rate, a malformed OpusHead.
core::Result<std::vector<std::uint8_t>> build_init_segment(const std::vector<TrackInfo>& tracks);

// What the recorder indexes for one fragment. Times are those stored in the file (rounded to
// the track's timescale and back), so scan_fragments() reports exactly the same values. When the
// last sample of the timing track has duration_us = next fragment's first dts - its dts,
// fragments tile exactly: start_us + duration_us == the next fragment's start_us.
struct FragmentInfo {
    std::uint64_t size = 0;             // moof + mdat bytes
    std::int64_t start_us = 0;          // first decode time of the timing track (see below)
    std::int64_t duration_us = 0;       // sum of the timing track's sample durations
    bool starts_with_keyframe = false;  // first video sample is a keyframe, or no video track
    std::int64_t earliest_us = 0;       // earliest decode time over all tracks in the fragment:
                                        // a shift_decode_times() shift that keeps all >= 0
};

// One fragment: moof (mfhd with `sequence`, one traf per track that has samples, in track
// order: tfhd default-base-is-moof, tfdt v1, trun with data offset and per-sample duration,
// size, flags and, for video with pts != dts, v1 signed composition offsets) and one mdat
// holding the samples track by track.
//
// `samples` are in decode order per track; tracks may be interleaved. Timestamps are
// microseconds on the recording's timeline: they must be >= 0 (tfdt is unsigned) and dts must
// not go backwards within a track. Each sample's dts is converted to track units from its
// absolute time, so durations never drift. The last sample of a track lasts duration_us if
// > 0, else as long as the previous one, else (audio) one codec frame (AAC 1024 samples,
// Opus 20 ms, G.711 one byte per sample), else 1/15 s.
// The timing track of `info` is the first video track with samples, else the first track
// with samples.
// Errors: kInvalidArgument for no samples, a bad track index, a sample without data, time
// going backwards or out of range, a fragment over 2 GiB.
core::Result<std::vector<std::uint8_t>> build_fragment(std::uint32_t sequence,
                                                       const std::vector<TrackInfo>& tracks,
                                                       const std::vector<EncodedSample>& samples,
                                                       FragmentInfo* info = nullptr);

// Microseconds to `timescale` units and back, rounding to the nearest unit (floor for
// negative values' remainder, so the mapping is monotonic). For timescales up to 1 MHz,
// to_track_units(to_microseconds(u)) == u. Errors: kInvalidArgument on a zero timescale or
// overflow.
core::Result<std::int64_t> to_track_units(std::int64_t us, std::uint32_t timescale);
core::Result<std::int64_t> to_microseconds(std::int64_t units, std::uint32_t timescale);

}  // namespace hearth::media::fmp4
