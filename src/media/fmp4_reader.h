// Fragmented MP4 reader for files written by fmp4_writer.h: finds fragments after a crash and
// rebases decode times for playback. Input is untrusted bytes from disk: every read is bounded,
// nesting is limited, and malformed input gives a kInvalidArgument error naming the box and its
// offset, never a crash.
//
// Thread-safety: pure functions on their arguments; call from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"

namespace hearth::media::fmp4 {

enum class TrackKind : std::uint8_t { kInvalid = 0, kVideo, kAudio, kOther };

struct InitInfo {
    std::vector<std::uint32_t> timescales;  // per track_ID - 1; 0 where no such track
    std::vector<TrackKind> kinds;           // per track_ID - 1, from the hdlr box
    std::uint64_t size = 0;                 // bytes of ftyp + moov (and anything between)
};

// Parses the init segment at the start of `bytes` (ftyp first, then moov); trailing bytes such
// as fragments are ignored. Errors: kInvalidArgument when it is not one, or is truncated.
core::Result<InitInfo> parse_init_segment(std::span<const std::uint8_t> bytes);

struct FragmentLocation {
    std::uint64_t offset = 0;  // where the moof starts in the file
    std::uint64_t size = 0;    // moof + mdat bytes
    std::uint32_t sequence = 0;
    std::int64_t start_us = 0;     // first decode time of the first video track, else first traf
    std::int64_t duration_us = 0;  // sum of that track's sample durations
    bool starts_with_keyframe = false;
    std::int64_t earliest_us = 0;  // earliest decode time over all trafs
};

// Walks a whole file (init + fragments) and returns every complete moof+mdat pair in order.
// A torn last fragment (a box running past the end, a moof without its mdat, or an all-zero
// tail) is not returned, and `*valid_bytes` (if given) is set to the end of the last complete
// fragment, or of the init segment, so a caller can truncate the file after a crash. Other
// top-level boxes (free, styp, sidx...) between fragments are skipped.
// Errors: kInvalidArgument for a bad init segment or a complete but malformed fragment.
core::Result<std::vector<FragmentLocation>> scan_fragments(std::span<const std::uint8_t> file,
                                                           std::uint64_t* valid_bytes = nullptr);

// Rewrites in place the tfdt of every traf in one moof+mdat so decode times move by -shift_us
// (converted to each track's timescale, timescales[track_ID - 1]); used to start a played-back
// range at zero. Shifting by a FragmentLocation's start_us gives that track exactly zero, and by
// its earliest_us keeps every track >= 0; a decode time that would go negative is refused.
// Errors: kInvalidArgument on malformed boxes, an unknown track id or a negative or overflowing
// result; the bytes are then untouched.
core::Status shift_decode_times(std::span<std::uint8_t> fragment,
                                const std::vector<std::uint32_t>& timescales,
                                std::int64_t shift_us);

}  // namespace hearth::media::fmp4
