// Hand-written because no Debian library offers a lean RTSP client.
//
// An IP camera over RTSP with our own lean client instead of GStreamer's rtspsrc: RTP
// interleaved over the RTSP TCP connection, depacketized straight into EncodedSamples (see
// proto_rtsp.h, proto_sdp.h, proto_rtp.h). One thread and one socket per camera, no jitter
// buffer, one allocation per access unit: a fraction of rtspsrc's CPU and memory.
//
// Supports rtsp:// over TCP with Basic or Digest authentication, H.264/H.265 video and
// AAC/Opus/G.711 audio (the first video and the first audio section of the SDP). rtsps:// and
// UDP transport are not supported: start() reports a clear error and callers keep RtspSource
// for those.
//
// States, as GstSource reports them: kConnecting once at start, kOnline when the tracks are
// published (every session), kOffline with a human detail after each failure (then it
// reconnects with backoff), kStopped at the end. Details never hold credentials.
//
// Thread-safety: start()/stop() from the control thread; SourceSink callbacks come from the
// source's own thread, serialised. stats() may be read from any thread.
//
// Example:
//   auto options = parse_rtsp_url("rtsp://user:pw@cam.local/stream1");
//   RtspClientSource source("front door", *options);
//   source.start(&recorder_sink);
//   ...
//   source.stop();  // sends TEARDOWN (best effort) and joins within ~100 ms
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "media/gst_source.h"
#include "media/rtsp_source.h"
#include "media/source.h"

namespace hearth::media {

class RtspClientSource final : public Source {
public:
    RtspClientSource(std::string name, RtspOptions options, BackoffPolicy backoff = {});
    ~RtspClientSource() override;
    RtspClientSource(const RtspClientSource&) = delete;
    RtspClientSource& operator=(const RtspClientSource&) = delete;

    void start(SourceSink* sink) override;
    void stop() override;
    std::string describe() const override { return "rtsp:" + name_ + " " + options_.url; }
    const SourceStats& stats() const override { return stats_; }

private:
    class Session;

    void run();  // thread: the source's own
    // Waits up to `ms` unless stop() is called; false when stopping.
    bool wait_ms(std::int64_t ms);

    std::string name_;
    RtspOptions options_;
    BackoffPolicy backoff_;
    SourceStats stats_;
    SourceSink* sink_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    int wake_fd_ = -1;  // eventfd: stop() wakes every poll of the thread
};

}  // namespace hearth::media
