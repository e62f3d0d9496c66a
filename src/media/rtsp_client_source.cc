#include "media/rtsp_client_source.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "media/proto_rtp.h"
#include "media/proto_rtsp.h"
#include "media/proto_sdp.h"
#include "media/rtsp_connection.h"

namespace hearth::media {
namespace {

using core::ErrorCode;
using core::make_error;
using rtsp::is_stopped;
using rtsp::steady_ms;

constexpr std::int64_t kConnectTimeoutMs = 10'000;
constexpr std::int64_t kStallTimeoutMs = 10'000;
constexpr std::int64_t kConfigTimeoutMs = 10'000;
constexpr std::size_t kMaxPendingSamples = 600;  // ~20 s at 30 fps before tracks are known
constexpr std::size_t kMaxPendingBytes = 32 * 1024 * 1024;

core::Error unavailable(std::string message) {
    return make_error(ErrorCode::kUnavailable, std::move(message));
}

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
          conn_(source.options_.username, source.options_.password,
                {&source.stopping_, source.wake_fd_}) {
        samples_.reserve(16);
        conn_.set_frame_handler([this](std::uint8_t channel, std::span<const std::uint8_t> p) {
            on_frame(channel, p);
        });
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
        HEARTH_TRY(conn_.connect(url, kConnectTimeoutMs));

        HEARTH_ASSIGN_OR_RETURN(const rtsp::Message options, request("OPTIONS", url_, {}));
        keepalive_method_ = rtsp::keepalive_method(options);
        HEARTH_ASSIGN_OR_RETURN(const rtsp::Message describe,
                                request("DESCRIBE", url_, {{"Accept", "application/sdp"}}));
        HEARTH_TRY(expect_ok("DESCRIBE", describe));
        HEARTH_ASSIGN_OR_RETURN(const auto sdp, rtsp::parse_description(describe, url_));
        HEARTH_TRY(choose_tracks(sdp));
        HEARTH_TRY(setup_tracks());
        aggregate_ = sdp.aggregate_control;
        playing_ = true;  // media may come before the PLAY response
        conn_.expect_media(true);
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
    void teardown() { conn_.teardown(aggregate_); }

private:
    core::Result<rtsp::Message> request(std::string_view method, const std::string& uri,
                                        std::vector<rtsp::Header> headers) {
        return conn_.request(method, uri, std::move(headers));
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
            if (m.direction == sdp::Direction::kSendOnly) {
                continue;  // an ONVIF audio backchannel: media we would send, not receive
            }
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
            if (conn_.session().empty()) {
                const std::string* s = r.header("Session");
                if (s == nullptr) {
                    return unavailable("camera sent a malformed RTSP response (no Session)");
                }
                auto session = rtsp::parse_session(*s);
                if (!session) {
                    return unavailable("camera sent a malformed RTSP response (" +
                                       session.error().message + ")");
                }
                conn_.set_session(session->id);
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
        HEARTH_TRY(conn_.drain());
        while (true) {
            const std::int64_t now = steady_ms();
            if (now >= next_keepalive) {
                HEARTH_TRY(conn_.send_request(keepalive_method_, aggregate_, {}));
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
            HEARTH_ASSIGN_OR_RETURN(const bool got, conn_.read_some(deadline));
            if (got) {
                HEARTH_TRY(conn_.drain());
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
    rtsp::Connection conn_;
    std::string url_;
    std::string aggregate_;
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
