// Does this camera stream play? Connects to an RTSP URL as the recorder would, and waits
// for the tracks and the first video keyframe. Used before a camera is saved, so a typo
// in the URL or a wrong password is a clear error at once, not an offline camera later.
//
// Thread: any; blocks up to `timeout`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/rtsp_source.h"
#include "media/sample.h"

namespace hearth::media {

struct StreamProbe {
    std::vector<TrackInfo> tracks;
    std::chrono::milliseconds first_keyframe{0};  // after connecting
    // "H.264 1920x1080, AAC 16000 Hz": for people.
    std::string summary() const;
};

// Errors: kUnavailable with the camera's or network's reason ("401 Unauthorized",
// "connection refused", "no keyframe within 10 s").
core::Result<StreamProbe> probe_stream(const RtspOptions& options,
                                       std::chrono::milliseconds timeout);

}  // namespace hearth::media
