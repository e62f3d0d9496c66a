// The machinery shared by every GStreamer-backed source: a supervisor thread
// that builds the pipeline, watches its bus, and rebuilds it after errors with
// exponential backoff and jitter; appsinks whose samples are assembled into
// tracks and delivered in order to the SourceSink.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "media/gst.h"
#include "media/source.h"

namespace hearth::media {

struct BackoffPolicy {
    std::chrono::milliseconds initial{500};
    std::chrono::milliseconds max{30'000};
    double jitter = 0.25;  // +-25% so many cameras do not retry in lockstep
};

// Delay before reconnect attempt `attempt` (0-based), jitter drawn from `unit_random` in [0, 1).
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt,
                                        double unit_random);

class GstSource : public Source {
public:
    explicit GstSource(BackoffPolicy backoff = {});
    ~GstSource() override;

    void start(SourceSink* sink) override;
    void stop() override;
    const SourceStats& stats() const override { return stats_; }

protected:
    // Thread: the supervisor. Builds a fresh pipeline (not yet playing). Calls
    // attach_appsink for each static sink; dynamic ones may attach later.
    virtual core::Result<gst::ElementPtr> build_pipeline() = 0;
    // Thread: the supervisor, after the pipeline reached PLAYING / before teardown.
    virtual void on_playing(GstElement* /*pipeline*/) {}
    virtual void on_teardown() {}
    // How long without a sample counts as a stalled camera.
    virtual std::chrono::seconds stall_timeout() const { return std::chrono::seconds(10); }

    // Registers an appsink as track number `track` (0 video, then audio).
    void attach_appsink(GstElement* appsink, int track);
    // The number of tracks this run will have; samples are held until all have caps.
    void set_expected_tracks(int count);

private:
    void supervise();
    bool run_once(std::string* failure);  // false on error (reconnect), true when stopping
    static GstFlowReturn on_new_sample(GstAppSink* sink, gpointer self) noexcept;
    void handle_sample(int track, gst::SamplePtr sample);
    void deliver_locked(const EncodedSample& sample);

    BackoffPolicy backoff_;
    SourceStats stats_;
    SourceSink* sink_ = nullptr;
    std::thread supervisor_;
    std::atomic<bool> stopping_{false};
    std::mutex wake_mu_;
    std::condition_variable wake_;

    // Track assembly, shared by the appsink threads.
    std::mutex mu_;
    int expected_tracks_ = -1;                     // GUARDED_BY(mu_)
    std::vector<std::optional<TrackInfo>> infos_;  // GUARDED_BY(mu_)
    std::vector<TrackInfo> published_;             // GUARDED_BY(mu_)
    std::deque<EncodedSample> pending_;            // GUARDED_BY(mu_), until tracks are known
    bool online_ = false;                          // GUARDED_BY(mu_)
    std::atomic<std::int64_t> last_sample_steady_ms_{0};
};

}  // namespace hearth::media
