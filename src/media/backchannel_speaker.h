// An IP camera's loudspeaker, reached through the ONVIF RTSP audio backchannel (ONVIF
// Streaming Specification 5.3): DESCRIBE, SETUP and PLAY carry
// "Require: www.onvif.org/ver20/backchannel", the camera lists its loudspeaker as a sendonly
// audio section of the SDP, and the household's voice goes to it as RTP interleaved on the RTSP
// TCP connection, encoded to what that section offers (G.711 mu-law or A-law, 8 kHz).
//
// Session: opened when a talker begins, kept for `linger` after they end so that the presses
// of push-to-talk in one conversation do not each pay DESCRIBE/SETUP/PLAY (several round trips
// with digest auth: long enough on real cameras to cut the first word), then torn down:
// cameras commonly accept one backchannel at a time, so it is not held longer.
//
// Capability: the worker asks the camera once at start (a DESCRIBE with the Require header),
// again with backoff while it cannot be asked, and every talk session's DESCRIBE refreshes the
// answer. status().remote says what is known; offers_talk() is false once the camera is known
// to have no backchannel the hub can use.
//
// Threads: the Speaker methods, from any thread, never block: audio goes into a bounded queue
// (1 s; the oldest audio is dropped when it is full, e.g. while a slow camera sets up) and one
// worker thread per speaker does all network and GStreamer work.
//
// Errors go to status().remote (link kFailed and a human error) and the log, once per change:
// "camera offers no audio backchannel", "camera rejected the credentials (401)", "camera
// refused the backchannel (SETUP answered 453 Not Enough Bandwidth)", network failures. They
// never hold credentials. A camera that has no backchannel or refuses the credentials is not
// asked again until the next talk; network failures are retried (1 s doubling to 10 s) while
// someone talks.
//
// Example:
//   auto speaker = std::make_shared<BackchannelSpeaker>(&clock, "porch", rtsp_options);
//   speaker->begin(id, "ana");   // the worker connects
//   speaker->write(id, pcm);     // 48 kHz mono, from the WebRTC peer's thread
//   speaker->end(id);            // TEARDOWN after the linger
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "media/proto_sdp.h"
#include "media/rtsp_source.h"
#include "media/speaker.h"

namespace hearth::media {

// The backchannel section the hub sends to.
struct BackchannelOffer {
    Codec codec = Codec::kInvalid;  // kPcmu or kPcma
    int payload_type = -1;
    int clock_rate = 0;
    std::string control;  // absolute URL to SETUP
};

// Picks the section to send to from a DESCRIBE answer: the first sendonly audio section in
// PCMU, else the first in PCMA. Errors: kNotFound when there is none, saying what was offered.
core::Result<BackchannelOffer> choose_backchannel(const sdp::SessionDescription& sdp);

// Asks the camera whether it has an audio backchannel the hub can send to (OPTIONS, then
// DESCRIBE with the Require header; nothing is set up). Blocks up to `timeout`: call it from
// a worker, not from a network or control thread. Uncached: BackchannelSpeaker keeps the answer
// for its camera. Errors: kNotFound (no backchannel, or only in codecs the hub cannot send),
// kUnauthenticated (credentials missing or refused), kUnavailable (unreachable, timeout, not
// RTSP), kInvalidArgument (rtsps:// or a malformed URL: the built-in client speaks rtsp://).
core::Result<BackchannelOffer> probe_backchannel(const RtspOptions& camera,
                                                 std::chrono::milliseconds timeout);

struct BackchannelOptions {
    std::chrono::milliseconds linger{10'000};       // session kept after a talker ends
    std::chrono::milliseconds probe_retry{30'000};  // first re-ask; doubles up to 10 minutes
};

class BackchannelSpeaker final : public Speaker {
public:
    // `camera` as for RtspClientSource (rtsp:// URL without credentials); `name` for logs.
    BackchannelSpeaker(const core::Clock* clock, std::string name, RtspOptions camera,
                       BackchannelOptions options = {});
    // Tears the session down (best effort) and joins the worker: at most ~100 ms.
    ~BackchannelSpeaker() override;

    bool offers_talk() const override;

private:
    void open() override;
    void play(std::span<const std::int16_t> pcm) override;
    void close() override;
    void add_status(SpeakerStatus& status) const override;

    struct Chunk {
        std::vector<std::int16_t> pcm;
        bool discont = false;  // first audio of a talk: a gap in time before it
    };
    class Session;

    void run();  // thread: the worker
    void probe();
    void wake() const;
    // Keeps what a DESCRIBE said of the backchannel (an offer, or kNotFound: none).
    void learned(const core::Result<BackchannelOffer>& offer);
    void fail(const core::Error& error);
    void drop_queue();  // with link_mu_ held
    // Waits for a wake-up or `deadline_ms` (steady); false when stopping.
    bool idle_wait(std::int64_t deadline_ms);

    const std::string name_;
    const RtspOptions camera_;
    const BackchannelOptions options_;
    std::thread worker_;
    std::atomic<bool> stopping_{false};
    int stop_fd_ = -1;  // eventfd: ends every wait of the worker
    int wake_fd_ = -1;  // eventfd: talk began or ended, audio queued, encoded packets ready

    mutable std::mutex link_mu_;      // after Speaker's own lock, never before it
    bool talking_ = false;            // GUARDED_BY(link_mu_)
    std::uint64_t talks_ = 0;         // GUARDED_BY(link_mu_) open() calls
    std::deque<Chunk> queue_;         // GUARDED_BY(link_mu_)
    std::size_t queued_samples_ = 0;  // GUARDED_BY(link_mu_)
    bool next_discont_ = true;        // GUARDED_BY(link_mu_)
    RemoteSpeakerStatus remote_;      // GUARDED_BY(link_mu_)
};

}  // namespace hearth::media
