// Live view as fragmented MP4 for a browser's Media Source Extensions (the fallback when
// WebRTC cannot connect): an init segment when the tracks are (re)announced, then one small
// fragment per video frame carrying the audio that came since the previous frame. The
// camera's samples go in as they came; nothing is decoded or re-encoded.
//
// Time starts at 0 at the viewer's first video keyframe (MSE wants small, non-negative
// decode times); audio from before it is dropped.
//
// Thread: one muxer per viewer, used from one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/live_feed.h"

namespace hearth::media {

struct LiveMessage {
    enum class Kind : std::uint8_t { kInvalid = 0, kInit, kFragment };
    Kind kind = Kind::kInvalid;
    std::vector<std::uint8_t> bytes;
};

class LiveFmp4Muxer {
public:
    // Zero or more messages for this item. Errors: kInvalidArgument for tracks the MP4
    // writer refuses (the viewer cannot be served) or samples it cannot place.
    core::Result<std::vector<LiveMessage>> push(const LiveItem& item);
    // The MSE type for the current tracks, e.g. `video/mp4; codecs="avc1.64001f,mp4a.40.2"`;
    // empty before any tracks.
    const std::string& mime_type() const { return mime_; }

private:
    std::vector<TrackInfo> tracks_;
    std::string mime_;
    std::optional<std::int64_t> base_us_;
    std::vector<EncodedSample> pending_audio_;
    std::uint32_t sequence_ = 1;
    int video_track_ = -1;
};

// RFC 6381 codec string for one track ("avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2",
// "opus", "ulaw"...), or empty when unknown.
std::string rfc6381_codec(const TrackInfo& track);

}  // namespace hearth::media
