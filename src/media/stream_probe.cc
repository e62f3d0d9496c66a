#include "media/stream_probe.h"

#include <condition_variable>
#include <mutex>
#include <optional>

#include "media/rtsp_client_source.h"

namespace hearth::media {

namespace {

// Collects what the source says until a keyframe arrives or it fails.
class ProbeSink final : public SourceSink {
public:
    void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override {
        std::lock_guard lock(mu_);
        tracks_ = tracks;
    }
    void on_sample(const EncodedSample& sample) noexcept override {
        std::lock_guard lock(mu_);
        if (!keyframe_at_ && sample.keyframe && sample.track >= 0 &&
            static_cast<std::size_t>(sample.track) < tracks_.size() &&
            is_video(tracks_[static_cast<std::size_t>(sample.track)].codec)) {
            keyframe_at_ = std::chrono::steady_clock::now();
            cv_.notify_all();
        }
    }
    void on_state(SourceState state, const std::string& detail) noexcept override {
        std::lock_guard lock(mu_);
        if (state == SourceState::kOffline && !failure_) {
            failure_ = detail;
            cv_.notify_all();
        }
    }

    core::Result<StreamProbe> wait(std::chrono::steady_clock::time_point started,
                                   std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        cv_.wait_until(lock, started + timeout, [&] { return keyframe_at_ || failure_; });
        if (keyframe_at_) {
            return StreamProbe{tracks_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            *keyframe_at_ - started)};
        }
        if (failure_) {
            return core::make_error(core::ErrorCode::kUnavailable, *failure_);
        }
        return core::make_error(core::ErrorCode::kUnavailable,
                                tracks_.empty() ? "the camera sent no stream within " +
                                                      std::to_string(timeout.count() / 1000) + " s"
                                                : "no video keyframe within " +
                                                      std::to_string(timeout.count() / 1000) +
                                                      " s");
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<TrackInfo> tracks_;                                 // GUARDED_BY(mu_)
    std::optional<std::chrono::steady_clock::time_point> keyframe_at_;  // GUARDED_BY(mu_)
    std::optional<std::string> failure_;                            // GUARDED_BY(mu_)
};

}  // namespace

std::string StreamProbe::summary() const {
    std::string out;
    for (const auto& t : tracks) {
        if (!out.empty()) {
            out += ", ";
        }
        out += to_string(t.codec);
        if (is_video(t.codec) && t.width > 0) {
            out += " " + std::to_string(t.width) + "x" + std::to_string(t.height);
        } else if (!is_video(t.codec) && t.sample_rate > 0) {
            out += " " + std::to_string(t.sample_rate) + " Hz";
        }
    }
    return out;
}

core::Result<StreamProbe> probe_stream(const RtspOptions& options,
                                       std::chrono::milliseconds timeout) {
    ProbeSink sink;
    // One attempt: a retry would only hide the first failure's reason.
    BackoffPolicy no_retry{timeout * 2, timeout * 2, 0};
    std::unique_ptr<Source> source;
    if (options.transport == RtspTransport::kTcp && options.url.rfind("rtsp://", 0) == 0) {
        source = std::make_unique<RtspClientSource>("probe", options, no_retry);
    } else {
        source = std::make_unique<RtspSource>("probe", options, no_retry);
    }
    const auto started = std::chrono::steady_clock::now();
    source->start(&sink);
    auto result = sink.wait(started, timeout);
    source->stop();
    return result;
}

}  // namespace hearth::media
