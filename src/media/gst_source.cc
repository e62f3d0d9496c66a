#include "media/gst_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace hearth::media {
namespace {

constexpr std::size_t kMaxPendingSamples = 600;  // ~20 s at 30 fps before tracks are known
constexpr std::chrono::seconds kConnectTimeout{20};

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

const char* to_string(SourceState state) {
    switch (state) {
        case SourceState::kConnecting: return "connecting";
        case SourceState::kOnline: return "online";
        case SourceState::kOffline: return "offline";
        case SourceState::kStopped: return "stopped";
        case SourceState::kInvalid: break;
    }
    return "invalid";
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt,
                                        double unit_random) {
    const double base = static_cast<double>(policy.initial.count()) *
                        std::pow(2.0, std::clamp(attempt, 0, 30));
    const double capped = std::min(base, static_cast<double>(policy.max.count()));
    const double factor = 1.0 + policy.jitter * (2.0 * unit_random - 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(capped * factor));
}

GstSource::GstSource(BackoffPolicy backoff) : backoff_(backoff) { gst::ensure_init(); }

GstSource::~GstSource() {
    // Subclasses must call stop() in their destructor (virtual calls end here).
}

void GstSource::start(SourceSink* sink) {
    HEARTH_ASSERT(!supervisor_.joinable(), "start() called twice");
    sink_ = sink;
    stopping_ = false;
    supervisor_ = std::thread([this] { supervise(); });
}

void GstSource::stop() {
    stopping_ = true;
    wake_.notify_all();
    if (supervisor_.joinable()) {
        supervisor_.join();
    }
}

void GstSource::attach_appsink(GstElement* appsink, int track) {
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = &GstSource::on_new_sample;
    g_object_set_data(G_OBJECT(appsink), "hearth-track", GINT_TO_POINTER(track + 1));
    g_object_set(appsink, "sync", FALSE, "max-buffers", 200u, "drop", FALSE, nullptr);
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, this, nullptr);
}

void GstSource::set_expected_tracks(int count) {
    std::lock_guard lock(mu_);
    expected_tracks_ = count;
    if (static_cast<int>(infos_.size()) < count) {
        infos_.resize(count);
    }
}

GstFlowReturn GstSource::on_new_sample(GstAppSink* sink, gpointer self) noexcept {
    gst::SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (!sample) {
        return GST_FLOW_EOS;
    }
    const int track = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(sink), "hearth-track")) - 1;
    static_cast<GstSource*>(self)->handle_sample(track, std::move(sample));
    return GST_FLOW_OK;
}

void GstSource::handle_sample(int track, gst::SamplePtr sample) {
    GstBuffer* buffer = gst_sample_get_buffer(sample.get());
    if (buffer == nullptr || track < 0) {
        return;
    }
    last_sample_steady_ms_ = steady_ms();
    std::lock_guard lock(mu_);
    if (static_cast<int>(infos_.size()) <= track) {
        infos_.resize(track + 1);
    }
    auto info = gst::track_from_caps(gst_sample_get_caps(sample.get()));
    if (!info) {
        if (!infos_[track]) {
            spdlog::warn("source={} track={} ignored: {}", describe(), track,
                         info.error().message);
            infos_[track] = TrackInfo{};  // an ignored track: codec kInvalid
        }
        return;
    }
    const bool changed = infos_[track] && *infos_[track] != *info;
    infos_[track] = *info;
    const bool video = is_video(info->codec);
    EncodedSample s = gst::sample_from_gst(sample.get(), track, video);
    stats_.bytes += s.data->size();
    if (video) {
        stats_.frames++;
    }

    const bool all_known =
        expected_tracks_ >= 0 && static_cast<int>(infos_.size()) >= expected_tracks_ &&
        std::all_of(infos_.begin(), infos_.end(), [](const auto& i) { return i.has_value(); });
    if (!all_known) {
        pending_.push_back(std::move(s));
        if (pending_.size() > kMaxPendingSamples) {
            pending_.pop_front();
        }
        return;
    }
    // A track that shows up after publication (a late pad) also starts a new file.
    if (published_.empty() || changed || published_.size() != infos_.size()) {
        published_.clear();
        for (const auto& i : infos_) {
            published_.push_back(*i);
        }
        sink_->on_tracks(published_);
        if (!online_) {
            online_ = true;
            sink_->on_state(SourceState::kOnline, describe());
        }
        for (auto& p : pending_) {
            deliver_locked(p);
        }
        pending_.clear();
    }
    deliver_locked(s);
}

void GstSource::deliver_locked(const EncodedSample& sample) {
    if (sample.track >= static_cast<int>(published_.size()) ||
        published_[sample.track].codec == Codec::kInvalid) {
        return;  // a track we cannot record (reported once above)
    }
    sink_->on_sample(sample);
}

void GstSource::supervise() {
    std::mt19937 rng(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    int attempt = 0;
    sink_->on_state(SourceState::kConnecting, describe());
    while (!stopping_) {
        std::string failure;
        const bool stopping = run_once(&failure);
        bool was_online = false;
        {
            std::lock_guard lock(mu_);
            was_online = online_;
        }
        if (stopping || stopping_) {
            break;
        }
        if (was_online) {
            attempt = 0;
        }
        const auto delay = backoff_delay(backoff_, attempt++, unit(rng));
        stats_.reconnects++;
        spdlog::warn("source={} offline: {}; retrying in {} ms", describe(), failure,
                     delay.count());
        sink_->on_state(SourceState::kOffline, failure);
        std::unique_lock lock(wake_mu_);
        wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
    }
    sink_->on_state(SourceState::kStopped, describe());
}

bool GstSource::run_once(std::string* failure) {
    {
        std::lock_guard lock(mu_);
        expected_tracks_ = -1;
        infos_.clear();
        published_.clear();
        pending_.clear();
        online_ = false;
    }
    auto built = build_pipeline();
    if (!built) {
        *failure = built.error().message;
        return false;
    }
    gst::ElementPtr pipeline = std::move(*built);
    gst::BusPtr bus(gst_element_get_bus(pipeline.get()));
    const auto started_ms = steady_ms();
    last_sample_steady_ms_ = 0;
    bool ok = true;
    if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        *failure = "pipeline failed to start";
        ok = false;
    } else {
        on_playing(pipeline.get());
    }
    while (ok && !stopping_) {
        GstMessage* msg = gst_bus_timed_pop_filtered(
            bus.get(), 200 * GST_MSECOND,
            static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
        if (msg != nullptr) {
            *failure = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS ? "stream ended"
                                                                : gst::describe_error_message(msg);
            gst_message_unref(msg);
            ok = false;
            break;
        }
        const auto last = last_sample_steady_ms_.load();
        const auto now = steady_ms();
        if (last == 0 && now - started_ms > kConnectTimeout.count() * 1000) {
            *failure = "no media within " + std::to_string(kConnectTimeout.count()) + " s";
            ok = false;
        } else if (last != 0 && now - last > stall_timeout().count() * 1000) {
            *failure = "no media for " + std::to_string(stall_timeout().count()) + " s";
            ok = false;
        }
    }
    // A pipeline that failed to start may have posted the reason on the bus.
    if (!ok && failure->empty()) {
        *failure = "pipeline error";
    }
    if (GstMessage* msg = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR)) {
        if (*failure == "pipeline failed to start") {
            *failure = gst::describe_error_message(msg);
        }
        gst_message_unref(msg);
    }
    on_teardown();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);  // joins the streaming threads
    return stopping_;
}

}  // namespace hearth::media
