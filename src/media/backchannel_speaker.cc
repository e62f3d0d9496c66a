#include "media/backchannel_speaker.h"

#include <gst/app/gstappsrc.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <functional>

#include "media/gst.h"
#include "media/rtsp_connection.h"

namespace hearth::media {
namespace {

using core::ErrorCode;
using core::make_error;
using rtsp::steady_ms;

constexpr const char* kRequire = "www.onvif.org/ver20/backchannel";
constexpr std::size_t kQueueSamples = 48000;  // 1 s at 48 kHz
constexpr std::int64_t kConnectTimeoutMs = 10'000;
constexpr std::int64_t kFirstRetryMs = 1'000;
constexpr std::int64_t kMaxRetryMs = 10'000;
constexpr std::int64_t kMaxProbeRetryMs = 10 * 60'000;
constexpr int kInputRate = 48000;

// As the SDP names it, which is what people see in the camera's settings.
const char* encoding_name(Codec codec) { return codec == Codec::kPcma ? "PCMA" : "PCMU"; }

core::Error unavailable(std::string message) {
    return make_error(ErrorCode::kUnavailable, std::move(message));
}

// Failures that another try during the same talk would only repeat.
bool permanent(const core::Error& e) {
    return e.code == ErrorCode::kNotFound || e.code == ErrorCode::kUnauthenticated ||
           e.code == ErrorCode::kPermissionDenied || e.code == ErrorCode::kInvalidArgument ||
           e.code == ErrorCode::kInternal;
}

void notify(int fd) {
    if (fd >= 0) {
        (void)::eventfd_write(fd, 1);
    }
}

std::string status_text(const rtsp::Message& m) {
    return std::to_string(m.status) + (m.reason.empty() ? "" : " " + m.reason.substr(0, 64));
}

core::Result<rtsp::Url> checked_url(const std::string& url) {
    HEARTH_ASSIGN_OR_RETURN(rtsp::Url u, rtsp::parse_url(url));
    if (u.scheme == "rtsps") {
        return make_error(ErrorCode::kInvalidArgument,
                          "rtsps:// is not supported for the audio backchannel yet");
    }
    return u;
}

// What a DESCRIBE with the Require header told.
struct Description {
    BackchannelOffer offer;
    std::string aggregate;  // for PLAY, keep-alives and TEARDOWN
    std::string keepalive_method = "OPTIONS";
};

core::Result<Description> describe(rtsp::Connection& conn, const std::string& url) {
    Description d;
    HEARTH_ASSIGN_OR_RETURN(const rtsp::Message options, conn.request("OPTIONS", url, {}));
    d.keepalive_method = rtsp::keepalive_method(options);
    HEARTH_ASSIGN_OR_RETURN(
        const rtsp::Message r,
        conn.request("DESCRIBE", url, {{"Accept", "application/sdp"}, {"Require", kRequire}}));
    if (r.status == 551) {
        // RFC 2326 12.32: the camera does not know the backchannel tag.
        return make_error(
            ErrorCode::kNotFound,
            "camera offers no audio backchannel (DESCRIBE answered " + status_text(r) + ")");
    }
    if (r.status == 404) {
        return make_error(ErrorCode::kInvalidArgument,
                          "camera has no such stream (404 on DESCRIBE): check the camera's URL");
    }
    if (r.status < 200 || r.status >= 300) {
        return unavailable("camera answered DESCRIBE with " + status_text(r));
    }
    HEARTH_ASSIGN_OR_RETURN(const auto sdp, rtsp::parse_description(r, url));
    HEARTH_ASSIGN_OR_RETURN(d.offer, choose_backchannel(sdp));
    d.aggregate = sdp.aggregate_control;
    return d;
}

core::Result<Description> probe_with(const RtspOptions& camera, rtsp::StopSignal stop) {
    HEARTH_ASSIGN_OR_RETURN(const rtsp::Url url, checked_url(camera.url));
    rtsp::Connection conn(camera.username, camera.password, stop);
    HEARTH_TRY(conn.connect(url, kConnectTimeoutMs));
    return describe(conn, camera.url);
}

// 48 kHz mono S16 in, RTP packets in the camera's codec out: GStreamer resamples to 8 kHz,
// encodes G.711 and payloads. Packets are made on GStreamer's threads; each one writes
// `wake_fd`, and pull() takes them on the worker.
class Encoder {
public:
    static core::Result<std::unique_ptr<Encoder>> start(const BackchannelOffer& offer,
                                                        int wake_fd) {
        const bool mulaw = offer.codec == Codec::kPcmu;
        const std::string description =
            std::string(
                "appsrc name=src is-live=true format=time max-bytes=262144 "
                "caps=audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=1 ! "
                "audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! ") +
            (mulaw ? "mulawenc ! rtppcmupay" : "alawenc ! rtppcmapay") +
            // 20 ms a packet: what G.711 cameras expect.
            " name=pay max-ptime=20000000 ! appsink name=sink sync=false max-buffers=500 drop=true";
        auto pipeline = gst::parse_pipeline(description);
        if (!pipeline) {
            return make_error(ErrorCode::kInternal,
                              "cannot build the G.711 encoder: " + pipeline.error().message);
        }
        std::unique_ptr<Encoder> e(new Encoder(wake_fd));
        e->pipeline_ = std::move(*pipeline);
        e->src_ = gst::by_name(e->pipeline_.get(), "src");
        e->sink_ = gst::by_name(e->pipeline_.get(), "sink");
        g_object_set(gst::by_name(e->pipeline_.get(), "pay").get(), "pt",
                     static_cast<guint>(offer.payload_type), nullptr);
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = &Encoder::on_new_sample;
        gst_app_sink_set_callbacks(GST_APP_SINK(e->sink_.get()), &callbacks, e.get(), nullptr);
        if (gst_element_set_state(e->pipeline_.get(), GST_STATE_PLAYING) ==
            GST_STATE_CHANGE_FAILURE) {
            return make_error(ErrorCode::kInternal, "the G.711 encoder does not start");
        }
        return e;
    }

    ~Encoder() {
        if (pipeline_) {
            // Joins GStreamer's threads: no callback runs after this.
            gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
        }
    }
    Encoder(const Encoder&) = delete;
    Encoder& operator=(const Encoder&) = delete;

    void push(const std::vector<std::int16_t>& pcm, bool discont) {
        if (pcm.empty()) {
            return;
        }
        if (discont) {
            // After a silence between talks, time restarts at now rather than where the last
            // talk ended: the camera plays audio by its timestamps.
            next_pts_ = std::max(next_pts_, running_time());
        }
        GstBuffer* b = gst_buffer_new_memdup(pcm.data(), pcm.size() * sizeof(std::int16_t));
        GST_BUFFER_PTS(b) = next_pts_;
        GST_BUFFER_DURATION(b) = gst_util_uint64_scale(pcm.size(), GST_SECOND, kInputRate);
        if (discont) {
            GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
        }
        next_pts_ += GST_BUFFER_DURATION(b);
        gst_app_src_push_buffer(GST_APP_SRC(src_.get()), b);
    }

    // Hands every packet made so far to `send`; stops at its first error. Returns the count.
    core::Result<int> pull(const std::function<core::Status(std::span<const std::uint8_t>)>& send) {
        int sent = 0;
        while (GstSample* raw = gst_app_sink_try_pull_sample(GST_APP_SINK(sink_.get()), 0)) {
            gst::SamplePtr sample(raw);
            GstBuffer* buffer = gst_sample_get_buffer(sample.get());
            GstMapInfo map;
            if (buffer == nullptr || !gst_buffer_map(buffer, &map, GST_MAP_READ)) {
                continue;
            }
            auto status = send({map.data, map.size});
            gst_buffer_unmap(buffer, &map);
            HEARTH_TRY(status);
            ++sent;
        }
        return sent;
    }

    // An error the pipeline posted, if any. Other messages are dropped: nobody else reads
    // this bus, and it would keep them all.
    core::Status check() {
        gst::BusPtr bus(gst_element_get_bus(pipeline_.get()));
        while (GstMessage* m = gst_bus_pop(bus.get())) {
            if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
                const std::string why = gst::describe_error_message(m);
                gst_message_unref(m);
                return make_error(ErrorCode::kInternal, "the G.711 encoder failed: " + why);
            }
            gst_message_unref(m);
        }
        return {};
    }

private:
    explicit Encoder(int wake_fd) : wake_fd_(wake_fd) {}

    static GstFlowReturn on_new_sample(GstAppSink* /*sink*/, gpointer self) noexcept {
        notify(static_cast<Encoder*>(self)->wake_fd_);
        return GST_FLOW_OK;
    }

    GstClockTime running_time() const {
        GstClock* clock = gst_element_get_clock(pipeline_.get());
        if (clock == nullptr) {
            return 0;
        }
        const GstClockTime now = gst_clock_get_time(clock);
        gst_object_unref(clock);
        const GstClockTime base = gst_element_get_base_time(pipeline_.get());
        return now > base ? now - base : 0;
    }

    const int wake_fd_;
    gst::ElementPtr pipeline_;
    gst::ElementPtr src_;
    gst::ElementPtr sink_;
    GstClockTime next_pts_ = 0;
};

}  // namespace

core::Result<BackchannelOffer> choose_backchannel(const sdp::SessionDescription& sdp) {
    const sdp::MediaDescription* best = nullptr;
    std::string others;
    for (const auto& m : sdp.media) {
        if (m.direction != sdp::Direction::kSendOnly || m.media != "audio") {
            continue;
        }
        if (m.codec == Codec::kPcmu) {
            best = &m;
            break;
        }
        if (m.codec == Codec::kPcma && best == nullptr) {
            best = &m;
        } else if (m.codec != Codec::kPcma) {
            others += (others.empty() ? "" : ", ") + m.encoding;
        }
    }
    if (best == nullptr) {
        return make_error(ErrorCode::kNotFound,
                          others.empty() ? "camera offers no audio backchannel"
                                         : "camera offers its audio backchannel only in " +
                                               others.substr(0, 64) +
                                               ", which the hub does not send (G.711 only)");
    }
    BackchannelOffer offer;
    offer.codec = best->codec;
    offer.payload_type = best->payload_type;
    offer.clock_rate = best->clock_rate;
    offer.control = best->control;
    return offer;
}

core::Result<BackchannelOffer> probe_backchannel(const RtspOptions& camera,
                                                 std::chrono::milliseconds timeout) {
    gst::ensure_init();
    // The whole exchange is bounded by a timer that ends every wait as a stop would.
    const int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timer < 0) {
        return unavailable("cannot create a timer: " + rtsp::errno_text(errno));
    }
    itimerspec spec{};
    const auto ms = std::max<std::int64_t>(1, timeout.count());
    spec.it_value.tv_sec = ms / 1000;
    spec.it_value.tv_nsec = (ms % 1000) * 1'000'000;
    ::timerfd_settime(timer, 0, &spec, nullptr);
    auto d = probe_with(camera, {nullptr, timer});
    ::close(timer);
    if (!d) {
        if (rtsp::is_stopped(d.error())) {
            return unavailable("camera did not answer within " + std::to_string(ms) + " ms");
        }
        return d.error();
    }
    return d->offer;
}

// One backchannel session on one TCP connection, from connect to TEARDOWN. Lives on the worker.
class BackchannelSpeaker::Session {
public:
    explicit Session(BackchannelSpeaker& speaker)
        : s_(speaker),
          conn_(speaker.camera_.username, speaker.camera_.password,
                {&speaker.stopping_, speaker.stop_fd_}) {}

    // Runs until the talk ended `linger` ago (ok), an error, or stop (the stopped() error).
    core::Status run() {
        const std::int64_t started_ms = steady_ms();
        HEARTH_ASSIGN_OR_RETURN(const rtsp::Url url, checked_url(s_.camera_.url));
        HEARTH_TRY(conn_.connect(url, kConnectTimeoutMs));
        auto d = describe(conn_, s_.camera_.url);
        s_.learned(d ? core::Result<BackchannelOffer>(d->offer)
                     : core::Result<BackchannelOffer>(d.error()));
        if (!d) {
            return d.error();
        }
        aggregate_ = d->aggregate;
        keepalive_method_ = d->keepalive_method;
        HEARTH_TRY(setup(d->offer));
        HEARTH_ASSIGN_OR_RETURN(
            const rtsp::Message play,
            conn_.request("PLAY", aggregate_, {{"Range", "npt=0.000-"}, {"Require", kRequire}}));
        if (play.status < 200 || play.status >= 300) {
            return refused("PLAY", play);
        }
        HEARTH_ASSIGN_OR_RETURN(encoder_, Encoder::start(d->offer, s_.wake_fd_));
        {
            std::lock_guard lock(s_.link_mu_);
            s_.remote_.link = BackchannelLink::kOpen;
            s_.remote_.error.clear();
        }
        spdlog::info("camera={} talk: audio backchannel open ({}, {} ms to set up)", s_.name_,
                     encoding_name(d->offer.codec), steady_ms() - started_ms);
        return stream();
    }

    void teardown() { conn_.teardown(aggregate_); }

private:
    // 403: this account may not talk (worth no retry); 453 and the like: busy, e.g. with
    // another client's talk (tried again while the talker holds on).
    static core::Error refused(const char* method, const rtsp::Message& m) {
        return make_error(m.status == 403 ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
                          std::string("camera refused the backchannel (") + method + " answered " +
                              status_text(m) + ")");
    }

    core::Status setup(const BackchannelOffer& offer) {
        HEARTH_ASSIGN_OR_RETURN(const rtsp::Message r,
                                conn_.request("SETUP", offer.control,
                                              {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"},
                                               {"Require", kRequire}}));
        if (r.status < 200 || r.status >= 300) {
            return refused("SETUP", r);
        }
        const std::string* s = r.header("Session");
        if (s == nullptr) {
            return unavailable("camera sent a malformed RTSP response (no Session)");
        }
        auto session = rtsp::parse_session(*s);
        if (!session) {
            return unavailable("camera sent a malformed RTSP response (" + session.error().message +
                               ")");
        }
        conn_.set_session(session->id);
        keepalive_ms_ = std::max<std::int64_t>(1'000, std::int64_t{session->timeout_s} * 500);
        if (const std::string* th = r.header("Transport")) {
            const auto tr = rtsp::parse_transport(*th);
            if (tr.interleaved_rtp >= 0 && tr.interleaved_rtp <= 255) {
                channel_ = static_cast<std::uint8_t>(tr.interleaved_rtp);
            }
        }
        return {};
    }

    // Sends the talk's audio until it ended `linger` ago.
    core::Status stream() {
        std::int64_t next_keepalive = steady_ms() + keepalive_ms_;
        std::int64_t idle_since = -1;
        std::deque<Chunk> chunks;
        auto send = [this](std::span<const std::uint8_t> packet) {
            return conn_.send_frame(channel_, packet);
        };
        while (true) {
            bool talking = false;
            {
                std::lock_guard lock(s_.link_mu_);
                talking = s_.talking_;
                chunks.swap(s_.queue_);
                s_.queued_samples_ = 0;
            }
            for (auto& c : chunks) {
                encoder_->push(c.pcm, c.discont);
            }
            chunks.clear();
            HEARTH_TRY(encoder_->check());
            HEARTH_ASSIGN_OR_RETURN(const int sent, encoder_->pull(send));
            if (sent > 0) {
                std::lock_guard lock(s_.link_mu_);
                s_.remote_.sent_packets += static_cast<std::uint64_t>(sent);
            }
            const std::int64_t now = steady_ms();
            if (talking) {
                idle_since = -1;
            } else if (idle_since < 0) {
                idle_since = now;
            }
            if (idle_since >= 0 && now - idle_since >= s_.options_.linger.count()) {
                return {};
            }
            if (now >= next_keepalive) {
                HEARTH_TRY(
                    conn_.send_request(keepalive_method_, aggregate_, {{"Require", kRequire}}));
                next_keepalive = now + keepalive_ms_;
            }
            std::int64_t deadline = next_keepalive;
            if (idle_since >= 0) {
                deadline = std::min(deadline, idle_since + s_.options_.linger.count());
            }
            HEARTH_ASSIGN_OR_RETURN(const auto ready, conn_.wait(deadline, s_.wake_fd_));
            if (ready == rtsp::Connection::Ready::kSocket) {
                // Readable now, so this does not wait; RTCP from the camera is ignored.
                HEARTH_ASSIGN_OR_RETURN(const bool got, conn_.read_some(steady_ms() + 1'000));
                if (got) {
                    HEARTH_TRY(conn_.drain());
                }
            } else if (ready == rtsp::Connection::Ready::kOther) {
                eventfd_t count = 0;
                (void)::eventfd_read(s_.wake_fd_, &count);
            }
        }
    }

    BackchannelSpeaker& s_;
    rtsp::Connection conn_;
    std::string aggregate_;
    std::string keepalive_method_ = "OPTIONS";
    std::int64_t keepalive_ms_ = 30'000;
    std::uint8_t channel_ = 0;
    std::unique_ptr<Encoder> encoder_;
};

BackchannelSpeaker::BackchannelSpeaker(const core::Clock* clock, std::string name,
                                       RtspOptions camera, BackchannelOptions options)
    : Speaker(clock), name_(std::move(name)), camera_(std::move(camera)), options_(options) {
    gst::ensure_init();
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    worker_ = std::thread([this] { run(); });
}

BackchannelSpeaker::~BackchannelSpeaker() {
    stopping_ = true;
    notify(stop_fd_);
    if (worker_.joinable()) {
        worker_.join();
    }
    for (int fd : {stop_fd_, wake_fd_}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

bool BackchannelSpeaker::offers_talk() const {
    std::lock_guard lock(link_mu_);
    return remote_.capability != BackchannelCapability::kNotOffered;
}

void BackchannelSpeaker::open() {
    {
        std::lock_guard lock(link_mu_);
        talking_ = true;
        ++talks_;
        next_discont_ = true;
        drop_queue();
    }
    wake();
}

void BackchannelSpeaker::play(std::span<const std::int16_t> pcm) {
    if (pcm.empty()) {
        return;
    }
    {
        std::lock_guard lock(link_mu_);
        // Live speech: when the camera cannot keep up, the oldest audio goes first.
        while (!queue_.empty() && queued_samples_ + pcm.size() > kQueueSamples) {
            queued_samples_ -= queue_.front().pcm.size();
            remote_.dropped_samples += queue_.front().pcm.size();
            queue_.pop_front();
        }
        if (pcm.size() > kQueueSamples) {
            remote_.dropped_samples += pcm.size();
            return;
        }
        queue_.push_back({std::vector<std::int16_t>(pcm.begin(), pcm.end()), next_discont_});
        queued_samples_ += pcm.size();
        next_discont_ = false;
    }
    wake();
}

void BackchannelSpeaker::close() {
    {
        std::lock_guard lock(link_mu_);
        talking_ = false;
    }
    wake();
}

void BackchannelSpeaker::add_status(SpeakerStatus& status) const {
    std::lock_guard lock(link_mu_);
    status.remote = remote_;
}

void BackchannelSpeaker::wake() const { notify(wake_fd_); }

void BackchannelSpeaker::drop_queue() {
    remote_.dropped_samples += queued_samples_;
    queue_.clear();
    queued_samples_ = 0;
}

void BackchannelSpeaker::learned(const core::Result<BackchannelOffer>& offer) {
    std::lock_guard lock(link_mu_);
    if (offer) {
        if (remote_.capability != BackchannelCapability::kOffered) {
            spdlog::info("camera={} offers an audio backchannel ({})", name_,
                         encoding_name(offer->codec));
        }
        remote_.capability = BackchannelCapability::kOffered;
        remote_.codec = encoding_name(offer->codec);
    } else if (offer.error().code == ErrorCode::kNotFound) {
        remote_.capability = BackchannelCapability::kNotOffered;
        remote_.codec.clear();
    }
}

void BackchannelSpeaker::fail(const core::Error& error) {
    std::lock_guard lock(link_mu_);
    if (remote_.error != error.message) {
        spdlog::warn("camera={} talk: {}", name_, error.message);
    }
    remote_.link = BackchannelLink::kFailed;
    remote_.error = error.message;
}

bool BackchannelSpeaker::idle_wait(std::int64_t deadline_ms) {
    std::array<pollfd, 2> fds{{{stop_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}}};
    const std::int64_t left = deadline_ms - steady_ms();
    const int timeout = left <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(left, 3'600'000));
    (void)::poll(fds.data(), fds.size(), timeout);
    if (fds[1].revents != 0) {
        eventfd_t count = 0;
        (void)::eventfd_read(wake_fd_, &count);
    }
    return !stopping_;
}

void BackchannelSpeaker::probe() {
    auto d = probe_with(camera_, {&stopping_, stop_fd_});
    if (!d && rtsp::is_stopped(d.error())) {
        return;
    }
    learned(d ? core::Result<BackchannelOffer>(d->offer)
              : core::Result<BackchannelOffer>(d.error()));
    std::lock_guard lock(link_mu_);
    if (d || d.error().code == ErrorCode::kNotFound) {
        remote_.error.clear();
    } else if (remote_.error != d.error().message) {
        spdlog::warn("camera={} cannot tell whether it has an audio backchannel: {}", name_,
                     d.error().message);
        remote_.error = d.error().message;
    }
}

void BackchannelSpeaker::run() {
    std::int64_t next_probe_ms = steady_ms();
    std::int64_t probe_retry_ms = std::max<std::int64_t>(1, options_.probe_retry.count());
    std::uint64_t talk_seen = 0;
    bool gave_up = false;  // for the current talk
    int failures = 0;
    std::int64_t retry_at_ms = 0;
    while (!stopping_) {
        bool talking = false;
        std::uint64_t talks = 0;
        BackchannelCapability capability = BackchannelCapability::kUnknown;
        {
            std::lock_guard lock(link_mu_);
            talking = talking_;
            talks = talks_;
            capability = remote_.capability;
        }
        if (talks != talk_seen) {
            talk_seen = talks;  // a new talk tries again, whatever failed before
            gave_up = false;
            failures = 0;
            retry_at_ms = 0;
        }
        const std::int64_t now = steady_ms();
        if (talking && !gave_up && now >= retry_at_ms) {
            {
                std::lock_guard lock(link_mu_);
                remote_.link = BackchannelLink::kConnecting;
            }
            core::Status status;
            {
                Session session(*this);
                status = session.run();
                session.teardown();
            }
            if (!status && rtsp::is_stopped(status.error())) {
                break;
            }
            if (status) {
                std::lock_guard lock(link_mu_);
                remote_.link = BackchannelLink::kIdle;
                failures = 0;
                spdlog::info("camera={} talk: audio backchannel closed", name_);
                continue;
            }
            fail(status.error());
            if (permanent(status.error())) {
                gave_up = true;
            } else {
                retry_at_ms =
                    steady_ms() + std::min(kMaxRetryMs, kFirstRetryMs << std::min(failures, 4));
                ++failures;
            }
            std::lock_guard lock(link_mu_);
            drop_queue();  // stale by the time a session could carry it
            continue;
        }
        if (talking) {
            std::lock_guard lock(link_mu_);
            drop_queue();  // no link for it now
        }
        if (!talking && capability == BackchannelCapability::kUnknown && now >= next_probe_ms) {
            probe();
            next_probe_ms = steady_ms() + probe_retry_ms;
            probe_retry_ms = std::min(kMaxProbeRetryMs, probe_retry_ms * 2);
            continue;
        }
        std::int64_t deadline = now + 3'600'000;
        if (capability == BackchannelCapability::kUnknown) {
            deadline = std::min(deadline, next_probe_ms);
        }
        if (talking && !gave_up) {
            deadline = std::min(deadline, retry_at_ms);
        }
        if (!idle_wait(deadline)) {
            break;
        }
    }
}

}  // namespace hearth::media
