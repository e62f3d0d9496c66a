// Everything detection does for one camera, as a SourceSink beside the recorder and the
// live feed: samples are queued (bounded; when the detector falls behind it drops to the
// next keyframe, never the recording) and a thread of its own, at low priority, decodes
// what it needs, analyses about five pictures a second (motion, then people where motion
// is, tampering) and the audio level, and reports events with a start, an end, a
// confidence and a snapshot.
//
// Thread-safety: the SourceSink calls come from the camera's media thread; set_settings
// from any thread; callbacks run on the detector's own thread and must not block long.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "detect/event_tracker.h"
#include "detect/frame_decoder.h"
#include "detect/motion.h"
#include "detect/person.h"
#include "detect/settings.h"
#include "detect/sound.h"
#include "detect/tamper.h"
#include "media/source.h"

namespace hearth::detect {

struct DetectedEvent {
    std::string kind;  // "motion", "person", "sound", "camera.tampered"
    Phase phase = Phase::kInvalid;
    core::WallMicros start_us = 0;
    core::WallMicros end_us = 0;
    double confidence = 0;
    std::string detail;                  // e.g. "covered"; never personal data
    std::vector<std::uint8_t> snapshot;  // JPEG, on a start or a better sighting; may be empty
};
using EventCallback = std::function<void(const DetectedEvent&)>;

struct DetectorOptions {
    double analyse_fps = 5;         // pictures analysed per second at most
    std::size_t max_queue = 150;    // samples waiting; beyond it, drop to the next keyframe
    int snapshot_width = 640;
    bool low_priority = true;       // nice the thread, so recording and viewers come first
};

struct DetectorStats {
    std::atomic<std::uint64_t> samples{0};
    std::atomic<std::uint64_t> skipped_nonref{0};  // never decoded: nothing refers to them
    std::atomic<std::uint64_t> decoded{0};
    std::atomic<std::uint64_t> analysed{0};
    std::atomic<std::uint64_t> dropped{0};         // the queue was full
    std::atomic<std::uint64_t> errors{0};
};

class CameraDetector final : public media::SourceSink {
public:
    CameraDetector(DetectionSettings settings, const core::Clock& clock, EventCallback on_event,
                   DetectorOptions options = {});
    ~CameraDetector() override;
    CameraDetector(const CameraDetector&) = delete;
    CameraDetector& operator=(const CameraDetector&) = delete;

    void set_settings(const DetectionSettings& settings);
    const DetectorStats& stats() const { return stats_; }

    void on_tracks(const std::vector<media::TrackInfo>& tracks) noexcept override;
    void on_sample(const media::EncodedSample& sample) noexcept override;
    void on_state(media::SourceState state, const std::string& detail) noexcept override;

private:
    struct Item {
        std::optional<std::vector<media::TrackInfo>> tracks;  // a track change
        media::EncodedSample sample;
        core::WallMicros arrived_us = 0;
        bool offline = false;  // the source went away: close open events
    };
    void run();
    void handle(Item& item);
    void analyse(const Picture& picture, core::WallMicros at_us);
    void on_audio(const media::EncodedSample& sample, core::WallMicros at_us);
    void emit(const char* kind, const std::optional<Transition>& t, std::string detail,
              const Picture* picture);
    void close_all();

    const core::Clock& clock_;
    EventCallback on_event_;
    DetectorOptions options_;
    DetectorStats stats_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Item> queue_;                          // GUARDED_BY(mu_)
    bool stopping_ = false;                           // GUARDED_BY(mu_)
    bool resync_ = false;                             // GUARDED_BY(mu_): dropping to a keyframe
    std::optional<DetectionSettings> new_settings_;   // GUARDED_BY(mu_)
    int incoming_video_track_ = -1;                   // GUARDED_BY(mu_)

    // Detection thread only.
    DetectionSettings settings_;
    std::vector<media::TrackInfo> tracks_;
    int video_track_ = -1;
    int audio_track_ = -1;
    std::unique_ptr<VideoDecoder> video_;
    std::unique_ptr<AudioDecoder> audio_;
    bool need_keyframe_ = true;
    std::int64_t last_analysed_dts_us_ = 0;
    bool analysed_any_ = false;
    MotionDetector motion_;
    PersonDetector person_;
    TamperDetector tamper_;
    std::unique_ptr<SoundDetector> sound_;
    EventTracker motion_events_{{2, 3, 3'000'000}};
    EventTracker person_events_{{2, 4, 3'000'000}};
    EventTracker sound_events_{{1, 1, 1'000'000}};
    EventTracker tamper_events_{{1, 1, 5'000'000}};
    Tamper tamper_kind_ = Tamper::kNone;
    cv::Mat small_;

    std::thread thread_;
};

}  // namespace hearth::detect
