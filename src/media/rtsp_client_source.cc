#include "media/rtsp_client_source.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "media/proto_rtp.h"
#include "media/proto_rtsp.h"
#include "media/proto_sdp.h"

namespace hearth::media {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::int64_t kConnectTimeoutMs = 10'000;
constexpr std::int64_t kResponseTimeoutMs = 10'000;
constexpr std::int64_t kStallTimeoutMs = 10'000;
constexpr std::int64_t kConfigTimeoutMs = 10'000;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kBufferBytes = 256 * 1024;  // > one read + the largest message (80 KiB)
constexpr std::size_t kMaxPendingSamples = 600;   // ~20 s at 30 fps before tracks are known
constexpr std::size_t kMaxPendingBytes = 32 * 1024 * 1024;
constexpr std::size_t kMaxJunkBytes = 1024 * 1024;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

core::Error unavailable(std::string message) {
    return make_error(ErrorCode::kUnavailable, std::move(message));
}

// A stop() request, told apart from real failures by its code.
core::Error stopped() { return make_error(ErrorCode::kFailedPrecondition, "stopped"); }

bool is_stopped(const core::Error& e) { return e.code == ErrorCode::kFailedPrecondition; }

std::string errno_text(int err) {
    switch (err) {
        case ECONNREFUSED:
            return "connection refused";
        case ETIMEDOUT:
            return "connection timed out";
        case EHOSTUNREACH:
            return "host unreachable";
        case ENETUNREACH:
            return "network unreachable";
        case ECONNRESET:
            return "connection reset by the camera";
        case EPIPE:
            return "connection closed by the camera";
        default:
            break;
    }
    std::string s = std::strerror(err);
    if (!s.empty()) {
        s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    }
    return s;
}

// A file descriptor closed on destruction.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// One track of a session: what the SDP said, its depacketizer and interleaved channels.
struct Track {
    sdp::MediaDescription media;
    std::unique_ptr<rtp::Depacketizer> depacketizer;
    int rtp_channel = -1;
    int rtcp_channel = -1;
};

}  // namespace

// One RTSP session on one TCP connection, from connect to TEARDOWN. Lives on the source's thread.
class RtspClientSource::Session {
public:
    Session(RtspClientSource& source, bool* went_online)
        : source_(source),
          went_online_(went_online),
          // Not zeroed: pages are only touched as far as the stream fills them.
          buffer_(std::make_unique_for_overwrite<std::uint8_t[]>(kBufferBytes)) {
        samples_.reserve(16);
    }

    // Runs until an error (returned) or stop() (the stopped() error).
    core::Status run() {
        HEARTH_ASSIGN_OR_RETURN(const rtsp::Url url, rtsp::parse_url(source_.options_.url));
        if (url.scheme == "rtsps") {
            return make_error(ErrorCode::kInvalidArgument,
                              "rtsps:// is not supported by the built-in RTSP client");
        }
        if (source_.options_.transport == RtspTransport::kUdp) {
            spdlog::info("source={} UDP transport requested; the built-in client uses TCP",
                         source_.describe());
        }
        url_ = source_.options_.url;
        HEARTH_TRY(connect(url));

        HEARTH_ASSIGN_OR_RETURN(const rtsp::Message options, request("OPTIONS", url_, {}));
        if (options.status == 200) {
            if (const std::string* pub = options.header("Public")) {
                keepalive_method_ =
                    rtsp::public_has(*pub, "GET_PARAMETER") ? "GET_PARAMETER" : "OPTIONS";
            }
        }
        HEARTH_ASSIGN_OR_RETURN(const rtsp::Message describe,
                                request("DESCRIBE", url_, {{"Accept", "application/sdp"}}));
        HEARTH_TRY(expect_ok("DESCRIBE", describe));
        std::string base = url_;
        if (const std::string* cb = describe.header("Content-Base")) {
            base = *cb;
        } else if (const std::string* cl = describe.header("Content-Location")) {
            base = *cl;
        }
        auto sdp = sdp::parse_sdp(describe.body, base);
        if (!sdp) {
            return unavailable("camera sent a malformed stream description (" +
                               sdp.error().message + ")");
        }
        HEARTH_TRY(choose_tracks(*sdp));
        HEARTH_TRY(setup_tracks());
        aggregate_ = sdp->aggregate_control;
        playing_ = true;  // media may come before the PLAY response
        HEARTH_ASSIGN_OR_RETURN(const rtsp::Message play,
                                request("PLAY", aggregate_, {{"Range", "npt=0.000-"}}));
        HEARTH_TRY(expect_ok("PLAY", play));
        if (const auto* info = play.header("RTP-Info")) {
            for (const auto& entry : rtsp::parse_rtp_info(*info)) {
                for (auto& t : tracks_) {
                    if (entry.rtptime && rtsp::rtp_info_matches(entry.url, t.media.control)) {
                        t.depacketizer->set_rtp_origin(*entry.rtptime);
                    }
                }
            }
        }
        return stream();
    }

    // Best effort: tell the camera we are leaving so it frees the session at once.
    void teardown() {
        if (fd_.get() < 0 || session_id_.empty()) {
            return;
        }
        std::vector<rtsp::Header> headers{{"Session", session_id_}};
        if (auth_.active()) {
            headers.push_back({"Authorization", auth_.answer("TEARDOWN", aggregate_)});
        }
        const auto text = rtsp::build_request("TEARDOWN", aggregate_, cseq_++, headers);
        (void)::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }

private:
    core::Status connect(const rtsp::Url& url) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        const std::string port = std::to_string(url.port);
        const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
        if (rc != 0) {
            return unavailable("cannot resolve camera host '" + url.host.substr(0, 255) +
                               "': " + ::gai_strerror(rc));
        }
        std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
        const std::int64_t deadline = steady_ms() + kConnectTimeoutMs;
        int last_error = ETIMEDOUT;
        for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
            Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           ai->ai_protocol));
            if (fd.get() < 0) {
                last_error = errno;
                continue;
            }
            if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
                if (errno != EINPROGRESS) {
                    last_error = errno;
                    continue;
                }
                HEARTH_ASSIGN_OR_RETURN(const bool ready, wait_for(fd.get(), POLLOUT, deadline));
                if (!ready) {
                    last_error = ETIMEDOUT;
                    break;
                }
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    last_error = err;
                    continue;
                }
            }
            const int one = 1;
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            fd_ = std::move(fd);
            return {};
        }
        return unavailable(errno_text(last_error));
    }

    // Polls `fd` for `events` and the stop eventfd. false on timeout.
    core::Result<bool> wait_for(int fd, short events, std::int64_t deadline) {
        while (true) {
            if (source_.stopping_) {
                return stopped();
            }
            const std::int64_t left = deadline - steady_ms();
            if (left <= 0) {
                return false;
            }
            std::array<pollfd, 2> fds{{{fd, events, 0}, {source_.wake_fd_, POLLIN, 0}}};
            const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left));
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return unavailable("poll failed: " + errno_text(errno));
            }
            if (fds[1].revents != 0 || source_.stopping_) {
                return stopped();
            }
            if (fds[0].revents != 0) {
                return true;
            }
        }
    }

    core::Status send_all(std::string_view text) {
        const std::int64_t deadline = steady_ms() + kResponseTimeoutMs;
        while (!text.empty()) {
            const ssize_t n = ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL);
            if (n > 0) {
                text.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                HEARTH_ASSIGN_OR_RETURN(const bool ready, wait_for(fd_.get(), POLLOUT, deadline));
                if (!ready) {
                    return unavailable("camera stopped reading (send timed out)");
                }
                continue;
            }
            return unavailable(errno_text(errno));
        }
        return {};
    }

    // Reads what the socket has into the buffer. false when nothing came before `deadline`.
    core::Result<bool> read_some(std::int64_t deadline) {
        if (kBufferBytes - end_ < kReadChunk) {
            std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
            end_ -= start_;
            start_ = 0;
        }
        HEARTH_ASSIGN_OR_RETURN(const bool ready, wait_for(fd_.get(), POLLIN, deadline));
        if (!ready) {
            return false;
        }
        while (true) {
            const ssize_t n = ::recv(fd_.get(), buffer_.get() + end_, kBufferBytes - end_, 0);
            if (n > 0) {
                end_ += static_cast<std::size_t>(n);
                return true;
            }
            if (n == 0) {
                return unavailable("camera closed the connection");
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;  // spurious wake-up
            }
            return unavailable(errno_text(errno));
        }
    }

    // Handles every complete chunk in the buffer. A response to `want_cseq` is returned in
    // `response` (when not null) and stops the loop.
    core::Status drain(int want_cseq, std::optional<rtsp::Message>* response) {
        while (start_ < end_) {
            const std::span<const std::uint8_t> view(buffer_.get() + start_, end_ - start_);
            auto chunk = rtsp::next_chunk(view);
            if (!chunk) {
                return unavailable("camera sent a malformed RTSP response (" +
                                   chunk.error().message + ")");
            }
            switch (chunk->kind) {
                case rtsp::ChunkKind::kNeedMore:
                    return {};
                case rtsp::ChunkKind::kData:
                    on_frame(chunk->channel, chunk->payload);
                    break;
                case rtsp::ChunkKind::kJunk:
                    junk_bytes_ += chunk->consumed;
                    // Before PLAY nothing but responses may come: not an RTSP server at all.
                    if (!playing_ || junk_bytes_ > kMaxJunkBytes) {
                        return unavailable("camera sent a malformed RTSP response (not RTSP)");
                    }
                    break;
                case rtsp::ChunkKind::kMessage: {
                    start_ += chunk->consumed;
                    auto& m = chunk->message;
                    if (!m.is_response) {
                        HEARTH_TRY(answer_server_request(m));
                        continue;
                    }
                    if (response != nullptr && (m.cseq() == want_cseq || m.cseq() < 0)) {
                        *response = std::move(m);
                        return {};
                    }
                    if (m.status >= 300) {
                        spdlog::debug("source={} keep-alive answered {}", source_.describe(),
                                      m.status);
                    }
                    continue;
                }
                case rtsp::ChunkKind::kInvalid:
                    break;
            }
            start_ += chunk->consumed;
        }
        start_ = end_ = 0;
        return {};
    }

    core::Status answer_server_request(const rtsp::Message& m) {
        std::string text = "RTSP/1.0 200 OK\r\nCSeq: " + std::to_string(std::max(m.cseq(), 0)) +
                           "\r\nUser-Agent: hearth\r\n\r\n";
        return send_all(text);
    }

    // Sends a request and waits for its response, answering one 401 with credentials.
    core::Result<rtsp::Message> request(std::string_view method, const std::string& uri,
                                        std::vector<rtsp::Header> headers) {
        const auto& o = source_.options_;
        for (int attempt = 0;; ++attempt) {
            auto h = headers;
            if (!session_id_.empty()) {
                h.push_back({"Session", session_id_});
            }
            if (auth_.active()) {
                h.push_back({"Authorization", auth_.answer(method, uri)});
            }
            const int cseq = cseq_++;
            HEARTH_TRY(send_all(rtsp::build_request(method, uri, cseq, h)));
            HEARTH_ASSIGN_OR_RETURN(rtsp::Message response, await_response(method, cseq));
            if (response.status != 401) {
                return response;
            }
            if (o.username.empty()) {
                return make_error(ErrorCode::kUnauthenticated, "camera requires credentials (401)");
            }
            auto challenge = rtsp::choose_challenge(response);
            if (!challenge) {
                return make_error(
                    ErrorCode::kUnauthenticated,
                    "camera rejected the credentials (401): " + challenge.error().message);
            }
            // Retry once; again only when the camera says our nonce merely went stale.
            if (attempt > 0 && !(attempt == 1 && challenge->stale)) {
                return make_error(ErrorCode::kUnauthenticated,
                                  "camera rejected the credentials (401)");
            }
            auth_ = rtsp::Authenticator(o.username, o.password, std::move(*challenge));
        }
    }

    core::Result<rtsp::Message> await_response(std::string_view method, int cseq) {
        const std::int64_t deadline = steady_ms() + kResponseTimeoutMs;
        std::optional<rtsp::Message> response;
        HEARTH_TRY(drain(cseq, &response));
        while (!response) {
            HEARTH_ASSIGN_OR_RETURN(const bool got, read_some(deadline));
            if (!got) {
                return unavailable("camera did not answer " + std::string(method) + " within " +
                                   std::to_string(kResponseTimeoutMs / 1000) + " s");
            }
            HEARTH_TRY(drain(cseq, &response));
        }
        return std::move(*response);
    }

    static core::Status expect_ok(std::string_view method, const rtsp::Message& m) {
        if (m.status >= 200 && m.status < 300) {
            return {};
        }
        if (m.status == 404) {
            return make_error(ErrorCode::kNotFound,
                              "camera has no such stream (404 on " + std::string(method) + ")");
        }
        return unavailable("camera answered " + std::string(method) + " with " +
                           std::to_string(m.status) + " " + m.reason.substr(0, 64));
    }

    core::Status choose_tracks(const sdp::SessionDescription& sdp) {
        for (const auto& note : sdp.skipped) {
            spdlog::info("source={} ignores a stream: {}", source_.describe(), note);
        }
        const sdp::MediaDescription* video = nullptr;
        const sdp::MediaDescription* audio = nullptr;
        for (const auto& m : sdp.media) {
            if (is_video(m.codec) && video == nullptr) {
                video = &m;
            } else if (!is_video(m.codec) && audio == nullptr) {
                audio = &m;
            }
        }
        if (video == nullptr) {
            std::string why = "no supported video track";
            if (!sdp.skipped.empty()) {
                why += " (" + sdp.skipped.front() + ")";
            }
            return unavailable(why);
        }
        for (const auto* m : {video, audio}) {
            if (m == nullptr) {
                continue;
            }
            auto d = rtp::make_depacketizer(*m, static_cast<int>(tracks_.size()));
            if (!d) {
                continue;
            }
            Track t;
            t.media = *m;
            t.depacketizer = std::move(*d);
            tracks_.push_back(std::move(t));
        }
        return {};
    }

    core::Status setup_tracks() {
        channel_track_.fill(-1);
        for (std::size_t i = 0; i < tracks_.size(); ++i) {
            auto& t = tracks_[i];
            const int rtp = static_cast<int>(2 * i);
            const std::string transport = "RTP/AVP/TCP;unicast;interleaved=" + std::to_string(rtp) +
                                          "-" + std::to_string(rtp + 1);
            HEARTH_ASSIGN_OR_RETURN(const rtsp::Message r,
                                    request("SETUP", t.media.control, {{"Transport", transport}}));
            if (r.status < 200 || r.status >= 300) {
                if (i == 0) {
                    return expect_ok("SETUP", r);
                }
                spdlog::warn("source={} camera refused the audio stream ({}); video only",
                             source_.describe(), r.status);
                tracks_.resize(i);
                break;
            }
            if (session_id_.empty()) {
                const std::string* s = r.header("Session");
                if (s == nullptr) {
                    return unavailable("camera sent a malformed RTSP response (no Session)");
                }
                auto session = rtsp::parse_session(*s);
                if (!session) {
                    return unavailable("camera sent a malformed RTSP response (" +
                                       session.error().message + ")");
                }
                session_id_ = session->id;
                keepalive_ms_ = std::int64_t{session->timeout_s} * 1000 / 2;
            }
            rtsp::Transport tr;
            if (const std::string* th = r.header("Transport")) {
                tr = rtsp::parse_transport(*th);
            }
            t.rtp_channel = tr.interleaved_rtp >= 0 ? tr.interleaved_rtp : rtp;
            t.rtcp_channel = tr.interleaved_rtp >= 0 ? tr.interleaved_rtcp : rtp + 1;
            channel_track_[static_cast<std::size_t>(t.rtp_channel)] = static_cast<int>(i);
        }
        return {};
    }

    // Receives media until an error, a stall or stop().
    core::Status stream() {
        const std::int64_t play_ms = steady_ms();
        last_media_ms_ = 0;
        std::int64_t next_keepalive = play_ms + keepalive_ms_;
        // Media that came with the PLAY response is already buffered.
        HEARTH_TRY(drain(-1, nullptr));
        while (true) {
            const std::int64_t now = steady_ms();
            if (now >= next_keepalive) {
                std::vector<rtsp::Header> h{{"Session", session_id_}};
                if (auth_.active()) {
                    h.push_back({"Authorization", auth_.answer(keepalive_method_, aggregate_)});
                }
                HEARTH_TRY(
                    send_all(rtsp::build_request(keepalive_method_, aggregate_, cseq_++, h)));
                next_keepalive = now + keepalive_ms_;
            }
            const std::int64_t stall_at =
                (last_media_ms_ == 0 ? play_ms : last_media_ms_) + kStallTimeoutMs;
            if (now >= stall_at) {
                return unavailable(last_media_ms_ == 0 ? "no media within 10 s of PLAY"
                                                       : "no media for 10 s");
            }
            if (!published_ && now >= play_ms + kConfigTimeoutMs) {
                if (!all_ready()) {
                    return unavailable(missing_config());
                }
                publish();  // no keyframe yet (a long GOP): go online with what we know
            }
            std::int64_t deadline = std::min(stall_at, next_keepalive);
            if (!published_) {
                deadline = std::min(deadline, play_ms + kConfigTimeoutMs);
            }
            HEARTH_ASSIGN_OR_RETURN(const bool got, read_some(deadline));
            if (got) {
                HEARTH_TRY(drain(-1, nullptr));
            }
        }
    }

    std::string missing_config() const {
        for (const auto& t : tracks_) {
            if (!t.depacketizer->ready()) {
                return t.media.codec == Codec::kH265
                           ? "no H.265 parameter sets (VPS/SPS/PPS) within 10 s"
                           : "no H.264 parameter sets (SPS/PPS) within 10 s";
            }
        }
        return "tracks incomplete within 10 s";
    }

    void on_frame(std::uint8_t channel, std::span<const std::uint8_t> payload) {
        const int index = channel_track_[channel];
        if (index < 0 || !playing_) {
            return;  // RTCP, or a channel we did not set up
        }
        auto packet = rtp::parse_packet(payload);
        if (!packet) {
            return;
        }
        last_media_ms_ = steady_ms();
        auto& d = *tracks_[static_cast<std::size_t>(index)].depacketizer;
        samples_.clear();
        d.push(*packet, &samples_);
        if (published_) {
            if (d.track_version() != published_versions_[static_cast<std::size_t>(index)]) {
                publish();  // new parameters, e.g. another resolution
            }
        } else if (all_ready() && (video_started_ || has_video_sample())) {
            // After the first keyframe: its in-band parameter sets beat the SDP's.
            video_started_ = true;
            publish();
        }
        for (auto& s : samples_) {
            auto& stats = source_.stats_;
            stats.bytes += s.data->size();
            if (is_video(tracks_[static_cast<std::size_t>(s.track)].media.codec)) {
                stats.frames++;
            }
            if (published_) {
                source_.sink_->on_sample(s);
            } else {
                pending_bytes_ += s.data->size();
                pending_.push_back(std::move(s));
                while (pending_.size() > kMaxPendingSamples || pending_bytes_ > kMaxPendingBytes) {
                    pending_bytes_ -= pending_.front().data->size();
                    pending_.pop_front();
                }
            }
        }
    }

    bool has_video_sample() const {
        for (const auto& s : samples_) {
            if (is_video(tracks_[static_cast<std::size_t>(s.track)].media.codec)) {
                return true;
            }
        }
        return false;
    }

    bool all_ready() const {
        for (const auto& t : tracks_) {
            if (!t.depacketizer->ready()) {
                return false;
            }
        }
        return true;
    }

    void publish() {
        std::vector<TrackInfo> infos;
        published_versions_.clear();
        for (const auto& t : tracks_) {
            infos.push_back(t.depacketizer->track());
            published_versions_.push_back(t.depacketizer->track_version());
        }
        source_.sink_->on_tracks(infos);
        if (!published_) {
            published_ = true;
            *went_online_ = true;
            source_.sink_->on_state(SourceState::kOnline, source_.describe());
            for (const auto& s : pending_) {
                source_.sink_->on_sample(s);
            }
            pending_.clear();
            pending_bytes_ = 0;
        }
    }

    RtspClientSource& source_;
    bool* went_online_;
    Fd fd_;
    std::string url_;
    std::string aggregate_;
    std::unique_ptr<std::uint8_t[]> buffer_;  // kBufferBytes
    std::size_t start_ = 0;                   // unread bytes are [start_, end_)
    std::size_t end_ = 0;
    std::size_t junk_bytes_ = 0;
    int cseq_ = 1;
    rtsp::Authenticator auth_;
    std::string session_id_;
    std::string keepalive_method_ = "OPTIONS";
    std::int64_t keepalive_ms_ = 30'000;
    std::vector<Track> tracks_;
    std::array<int, 256> channel_track_{};
    bool playing_ = false;
    std::int64_t last_media_ms_ = 0;
    std::vector<EncodedSample> samples_;  // reused for every packet
    bool published_ = false;
    bool video_started_ = false;
    std::vector<std::uint32_t> published_versions_;
    std::deque<EncodedSample> pending_;  // until every track is known
    std::size_t pending_bytes_ = 0;
};

RtspClientSource::RtspClientSource(std::string name, RtspOptions options, BackoffPolicy backoff)
    : name_(std::move(name)), options_(std::move(options)), backoff_(backoff) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

RtspClientSource::~RtspClientSource() {
    stop();
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
    }
}

void RtspClientSource::start(SourceSink* sink) {
    HEARTH_ASSERT(!thread_.joinable(), "start() called twice");
    sink_ = sink;
    stopping_ = false;
    std::uint64_t pending = 0;
    (void)::read(wake_fd_, &pending, sizeof pending);  // forget an earlier stop()
    thread_ = std::thread([this] { run(); });
}

void RtspClientSource::stop() {
    stopping_ = true;
    if (wake_fd_ >= 0) {
        const std::uint64_t one = 1;
        (void)::write(wake_fd_, &one, sizeof one);
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool RtspClientSource::wait_ms(std::int64_t ms) {
    const std::int64_t deadline = steady_ms() + ms;
    while (!stopping_) {
        const std::int64_t left = deadline - steady_ms();
        if (left <= 0) {
            return true;
        }
        pollfd p{wake_fd_, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(left));
    }
    return false;
}

void RtspClientSource::run() {
    std::mt19937 rng(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    int attempt = 0;
    sink_->on_state(SourceState::kConnecting, describe());
    while (!stopping_) {
        bool went_online = false;
        core::Status status;
        {
            Session session(*this, &went_online);
            status = session.run();
            session.teardown();
        }
        if (stopping_ || (!status && is_stopped(status.error()))) {
            break;
        }
        if (went_online) {
            attempt = 0;
        }
        const std::string failure = status ? std::string("session ended") : status.error().message;
        const auto delay = backoff_delay(backoff_, attempt++, unit(rng));
        stats_.reconnects++;
        spdlog::warn("source={} offline: {}; retrying in {} ms", describe(), failure,
                     delay.count());
        sink_->on_state(SourceState::kOffline, failure);
        if (!wait_ms(delay.count())) {
            break;
        }
    }
    sink_->on_state(SourceState::kStopped, describe());
}

}  // namespace hearth::media
