// One RTSP control connection to a camera over TCP: connect, requests answered with Basic or
// Digest credentials, and interleaved RTP/RTCP frames both ways (RFC 2326 10.12). Shared by the
// recording client (RtspClientSource) and the audio backchannel (BackchannelSpeaker), which
// differ only in what they set up and which way the media flows. Protocol text is in
// proto_rtsp.h; this file adds the socket.
//
// Every wait is bounded and ends early when the owner's stop signal fires (its flag is set and
// its eventfd written): the call then fails with the stopped() error, which callers tell apart
// from failures with is_stopped().
//
// Errors: kUnavailable for network failures, timeouts and malformed answers, kUnauthenticated
// for missing or rejected credentials, kNotFound for a 404; messages never hold credentials.
//
// Thread-safety: a Connection belongs to one thread. The stop signal may be fired from any.
//
// Example:
//   rtsp::Connection c(user, password, {&stopping_, wake_fd_});
//   HEARTH_TRY(c.connect(*rtsp::parse_url(url), 10'000));
//   HEARTH_ASSIGN_OR_RETURN(auto r, c.request("DESCRIBE", url, {{"Accept", "application/sdp"}}));
//   ... SETUP, PLAY ...
//   while (c.read_some(deadline)) c.drain();  // frames go to the frame handler
//   c.teardown(aggregate_url);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "media/proto_rtsp.h"
#include "media/proto_sdp.h"

namespace hearth::media::rtsp {

inline constexpr std::int64_t kResponseTimeoutMs = 10'000;

// Milliseconds of a monotonic clock.
std::int64_t steady_ms();

// The error every wait returns once the stop signal fired; told apart by its code.
core::Error stopped();
bool is_stopped(const core::Error& e);

// Lower-case words for a socket errno ("connection refused").
std::string errno_text(int err);

// What ends every wait of a connection early: `*stopping` true, or `wake_fd` (an eventfd)
// readable. Both belong to the owner and outlive the connection.
// The keep-alive a camera's OPTIONS answer allows: GET_PARAMETER when listed, else OPTIONS.
std::string keepalive_method(const Message& options);

// The stream description of a 2xx DESCRIBE answer, controls resolved against its
// Content-Base (else Content-Location, else `url`). Errors: kUnavailable for a malformed SDP.
core::Result<sdp::SessionDescription> parse_description(const Message& describe,
                                                        const std::string& url);

struct StopSignal {
    const std::atomic<bool>* stopping = nullptr;
    int wake_fd = -1;
};

class Connection {
public:
    // An interleaved frame as it arrives: RTP or RTCP on `channel`, valid during the call.
    using FrameHandler =
        std::function<void(std::uint8_t channel, std::span<const std::uint8_t> payload)>;

    Connection(std::string username, std::string password, StopSignal stop);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void set_frame_handler(FrameHandler handler) { on_frame_ = std::move(handler); }
    // Before media is expected, bytes that are neither RTSP nor a frame mean the peer is not
    // an RTSP server at all; after it, up to 1 MiB of them are skipped.
    void expect_media(bool on) { media_expected_ = on; }

    // Connects to the first address of `url` that answers within `timeout_ms`.
    core::Status connect(const Url& url, std::int64_t timeout_ms);

    // Sends a request, with the Session (once known) and Authorization headers, and waits up
    // to kResponseTimeoutMs for its response. A 401 is answered once with the credentials, and
    // again only when the camera says our nonce went stale. Frames that arrive meanwhile go to
    // the frame handler; requests from the server are answered 200.
    core::Result<Message> request(std::string_view method, const std::string& uri,
                                  std::vector<Header> headers);
    // Sends a request without waiting: its response is skipped by a later drain() (a
    // keep-alive). Authorization is added when the camera asked for it before.
    core::Status send_request(std::string_view method, const std::string& uri,
                              std::vector<Header> headers);
    // Sends one interleaved frame ('$', channel, length, payload).
    core::Status send_frame(std::uint8_t channel, std::span<const std::uint8_t> payload);

    // Waits until `deadline` (steady_ms) for bytes and reads them. false when none came.
    core::Result<bool> read_some(std::int64_t deadline);
    // What ended wait(): bytes on the socket (read them with read_some), `other_fd` readable
    // (the owner's own wake-ups, e.g. audio to send), or the deadline.
    enum class Ready : std::uint8_t { kInvalid = 0, kTimeout, kSocket, kOther };
    core::Result<Ready> wait(std::int64_t deadline, int other_fd);
    // Handles every complete chunk read so far: frames to the handler, server requests answered,
    // stray responses skipped.
    core::Status drain() { return drain(-1, nullptr); }

    // Best effort, never waits: tells the camera we leave so it frees the session at once.
    void teardown(const std::string& uri);

    // The session the camera gave in its first SETUP response; set by the caller from it.
    void set_session(std::string id) { session_id_ = std::move(id); }
    const std::string& session() const { return session_id_; }

    // Waits until `fd` is ready for `events` (or the stop signal). false on timeout.
    core::Result<bool> wait_for(int fd, short events, std::int64_t deadline);

private:
    core::Status send_all(std::string_view text);
    core::Status drain(int want_cseq, std::optional<Message>* response);
    core::Result<Message> await_response(std::string_view method, int cseq);
    std::vector<Header> with_session_and_auth(std::string_view method, std::string_view uri,
                                              std::vector<Header> headers);

    const std::string username_;
    const std::string password_;
    const StopSignal stop_;
    FrameHandler on_frame_;
    bool media_expected_ = false;
    int fd_ = -1;
    std::unique_ptr<std::uint8_t[]> buffer_;  // kBufferBytes
    std::size_t start_ = 0;                   // unread bytes are [start_, end_)
    std::size_t end_ = 0;
    std::size_t junk_bytes_ = 0;
    int cseq_ = 1;
    Authenticator auth_;
    std::string session_id_;
};

}  // namespace hearth::media::rtsp
