// A camera source: anything that produces encoded video (and maybe audio).
//
// Every source is a GStreamer graph behind this interface: the simulated
// camera, an RTSP camera, a local V4L2 camera. Tests use the simulated one.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/sample.h"

namespace hearth::media {

enum class SourceState : std::uint8_t { kInvalid = 0, kConnecting, kOnline, kOffline, kStopped };
const char* to_string(SourceState state);

// Receives what a source produces, in order (calls are serialised per source).
// Thread: media (GStreamer streaming threads or the source's own thread). Must
// not block: copy or queue, then return. Must not throw.
class SourceSink {
public:
    virtual ~SourceSink() = default;
    // All tracks, before the first sample and again whenever they change
    // (reconnect, new resolution): a consumer starts a new segment then.
    virtual void on_tracks(const std::vector<TrackInfo>& tracks) noexcept = 0;
    virtual void on_sample(const EncodedSample& sample) noexcept = 0;
    // `detail` is for people and logs; it never holds credentials.
    virtual void on_state(SourceState state, const std::string& detail) noexcept = 0;
};

struct SourceStats {
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> reconnects{0};
};

class Source {
public:
    virtual ~Source() = default;
    // Thread: control. Returns at once; the source connects, reports its state,
    // and reconnects by itself until stop().
    virtual void start(SourceSink* sink) = 0;
    // Thread: control. Blocks until no callback runs any more; idempotent.
    virtual void stop() = 0;
    // For logs: kind and address, never credentials.
    virtual std::string describe() const = 0;
    virtual const SourceStats& stats() const = 0;
};

}  // namespace hearth::media
