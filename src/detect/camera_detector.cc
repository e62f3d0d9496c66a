#include "detect/camera_detector.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace hearth::detect {

CameraDetector::CameraDetector(DetectionSettings settings, const core::Clock& clock,
                               EventCallback on_event, DetectorOptions options)
    : clock_(clock),
      on_event_(std::move(on_event)),
      options_(options),
      settings_(std::move(settings)),
      motion_(settings_) {
    thread_ = std::thread([this] { run(); });
}

CameraDetector::~CameraDetector() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void CameraDetector::set_settings(const DetectionSettings& settings) {
    std::lock_guard lock(mu_);
    new_settings_ = settings;
}

void CameraDetector::on_tracks(const std::vector<media::TrackInfo>& tracks) noexcept {
    try {
        Item item;
        item.tracks = tracks;
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(item));
        resync_ = false;
        incoming_video_track_ = -1;
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            if (media::is_video(tracks[i].codec)) {
                incoming_video_track_ = static_cast<int>(i);
                break;
            }
        }
    } catch (...) {
        stats_.errors++;
    }
    cv_.notify_one();
}

void CameraDetector::on_sample(const media::EncodedSample& sample) noexcept {
    stats_.samples++;
    try {
        std::lock_guard lock(mu_);
        if (resync_ && !(sample.keyframe && sample.track == incoming_video_track_)) {
            stats_.dropped++;
            return;
        }
        resync_ = false;
        if (queue_.size() >= options_.max_queue) {
            // Behind: keep what is queued, skip to the next keyframe.
            resync_ = true;
            stats_.dropped++;
            return;
        }
        Item item;
        item.sample = sample;
        item.arrived_us = clock_.now_us();
        queue_.push_back(std::move(item));
    } catch (...) {
        stats_.errors++;
        return;
    }
    cv_.notify_one();
}

void CameraDetector::on_state(media::SourceState state, const std::string&) noexcept {
    if (state != media::SourceState::kOffline && state != media::SourceState::kStopped) {
        return;
    }
    try {
        Item item;
        item.offline = true;
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(item));
    } catch (...) {
        stats_.errors++;
    }
    cv_.notify_one();
}

void CameraDetector::run() {
    if (options_.low_priority) {
        // Linux nices threads one by one: detection yields to recording and viewers.
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    }
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || new_settings_; });
            if (stopping_) {
                break;
            }
            if (new_settings_) {
                settings_ = std::move(*new_settings_);
                new_settings_.reset();
                motion_.set_settings(settings_);
                if (sound_) {
                    sound_->set_threshold(settings_.sound_threshold_db);
                }
                lock.unlock();
                if (!settings_.motion) {
                    close_all();
                }
                continue;
            }
            item = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            handle(item);
        } catch (const std::exception& e) {
            stats_.errors++;
            spdlog::warn("detection: {}", e.what());  // OpenCV throws on bad input
        }
    }
    close_all();
}

void CameraDetector::handle(Item& item) {
    if (item.offline) {
        close_all();
        need_keyframe_ = true;
        return;
    }
    if (item.tracks) {
        close_all();
        tracks_ = std::move(*item.tracks);
        video_track_ = audio_track_ = -1;
        video_.reset();
        audio_.reset();
        sound_.reset();
        motion_.reset();
        tamper_.reset();
        analysed_any_ = false;
        need_keyframe_ = true;
        for (std::size_t i = 0; i < tracks_.size(); ++i) {
            const auto& t = tracks_[i];
            if (media::is_video(t.codec) && video_track_ < 0) {
                auto dec = VideoDecoder::open(t);
                if (dec) {
                    video_ = std::move(*dec);
                    video_track_ = static_cast<int>(i);
                } else {
                    spdlog::warn("detection: {}", dec.error().message);
                }
            } else if (!media::is_video(t.codec) && audio_track_ < 0) {
                auto dec = AudioDecoder::open(t);
                if (dec) {
                    audio_ = std::move(*dec);
                    audio_track_ = static_cast<int>(i);
                    sound_ = std::make_unique<SoundDetector>(audio_->sample_rate(), settings_.sound_threshold_db);
                }
            }
        }
        return;
    }
    const auto& s = item.sample;
    if (!settings_.motion && !settings_.sound) {
        return;
    }
    if (s.track == audio_track_ && audio_) {
        on_audio(s, item.arrived_us);
        return;
    }
    if (s.track != video_track_ || !video_ || !settings_.motion) {
        return;
    }
    if (need_keyframe_ && !s.keyframe) {
        return;
    }
    need_keyframe_ = false;
    const std::int64_t interval_us = static_cast<std::int64_t>(1'000'000 / options_.analyse_fps);
    // Scheduled on decode times, which only grow (presentation times jump back at B-frames).
    const bool due = !analysed_any_ || s.dts_us - last_analysed_dts_us_ >= interval_us * 9 / 10 ||
                     s.dts_us < last_analysed_dts_us_ - 1'000'000;
    // A frame nothing refers to is never decoded, even when an analysis is due: behind the
    // decoder's reordering it would yield no picture of its own; the next reference does.
    if (is_droppable(s, tracks_[static_cast<std::size_t>(video_track_)].codec)) {
        stats_.skipped_nonref++;
        return;
    }
    auto picture = video_->decode(s, due);
    stats_.decoded++;
    if (!picture) {
        stats_.errors++;
        need_keyframe_ = true;
        return;
    }
    if (*picture) {
        analysed_any_ = true;
        last_analysed_dts_us_ = s.dts_us;
        analyse(**picture, item.arrived_us);
    }
}

void CameraDetector::analyse(const Picture& picture, core::WallMicros at_us) {
    stats_.analysed++;
    cv::resize(picture.luma, small_, cv::Size(MotionDetector::kWidth, MotionDetector::kHeight), 0, 0,
               cv::INTER_AREA);
    const MotionResult motion = motion_.analyse(small_);

    const Tamper tamper = tamper_.analyse(small_, motion, at_us);
    if (tamper != Tamper::kNone) {
        tamper_kind_ = tamper;
    }
    emit("camera.tampered", tamper_events_.observe(tamper != Tamper::kNone, 1.0, at_us),
         to_string(tamper_kind_), &picture);

    // While the picture is covered or moved, motion and people mean nothing.
    const bool usable = tamper == Tamper::kNone;
    emit("motion", motion_events_.observe(usable && motion.motion, std::min(1.0, 0.5 + motion.score * 5), at_us),
         "", &picture);
    PersonResult person;
    if (usable && motion.motion && settings_.person) {
        person = person_.detect(picture.luma, motion.boxes);
    }
    if (settings_.person || person_events_.active()) {
        emit("person", person_events_.observe(person.found, person.confidence, at_us), "", &picture);
    }
}

void CameraDetector::on_audio(const media::EncodedSample& sample, core::WallMicros at_us) {
    auto mono = audio_->decode(sample);
    if (!mono) {
        stats_.errors++;
        return;
    }
    if (!settings_.sound) {
        emit("sound", sound_events_.close(), "", nullptr);
        return;
    }
    sound_->push(*mono, at_us, [&](const SoundLevel& level, core::WallMicros block_us) {
        const double confidence = std::clamp((level.level_db - level.background_db) / 40.0, 0.0, 1.0);
        emit("sound", sound_events_.observe(level.loud, confidence, block_us), "", nullptr);
    });
}

void CameraDetector::emit(const char* kind, const std::optional<Transition>& t, std::string detail,
                          const Picture* picture) {
    if (!t || !on_event_) {
        return;
    }
    DetectedEvent e;
    e.kind = kind;
    e.phase = t->phase;
    e.start_us = t->start_us;
    e.end_us = t->end_us;
    e.confidence = t->confidence;
    e.detail = std::move(detail);
    if (picture && t->better && !picture->luma.empty()) {
        cv::Mat bgr = picture->to_bgr();
        if (bgr.cols > options_.snapshot_width) {
            const double f = static_cast<double>(options_.snapshot_width) / bgr.cols;
            cv::resize(bgr, bgr, cv::Size(), f, f, cv::INTER_AREA);
        }
        cv::imencode(".jpg", bgr, e.snapshot, {cv::IMWRITE_JPEG_QUALITY, 80});
    }
    on_event_(e);
}

void CameraDetector::close_all() {
    emit("motion", motion_events_.close(), "", nullptr);
    emit("person", person_events_.close(), "", nullptr);
    emit("sound", sound_events_.close(), "", nullptr);
    emit("camera.tampered", tamper_events_.close(), to_string(tamper_kind_), nullptr);
}

}  // namespace hearth::detect
