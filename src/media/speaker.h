// A camera's loudspeaker for talk: the household's voice, one talker at a time.
//
// The simulated camera's speaker writes what it hears to a WAV file (replaced at each
// talk session) and reports its level, so tests and the app can tell that sound arrived.
// The level is the loudest 100 ms heard in about the last second, in dBFS (-100: silence).
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "core/clock.h"

namespace hearth::media {

// Whether an IP camera offers an audio backchannel the hub can send to.
enum class BackchannelCapability : std::uint8_t {
    kInvalid = 0,
    kUnknown,     // not asked yet, or the camera could not be asked (see error)
    kOffered,     // in a codec the hub sends (see codec)
    kNotOffered,  // none, or only in codecs the hub cannot send
};
const char* to_string(BackchannelCapability capability);

// The RTSP session that carries the household's voice to an IP camera.
enum class BackchannelLink : std::uint8_t {
    kInvalid = 0,
    kIdle,        // no session: nobody talks
    kConnecting,  // DESCRIBE, SETUP, PLAY under way (audio waits in a queue)
    kOpen,        // audio flows, or the session lingers between presses of push-to-talk
    kFailed,      // the last attempt failed (see error); the next talk tries again
};
const char* to_string(BackchannelLink link);

// What a speaker reached over the network (an IP camera's ONVIF audio backchannel) adds.
struct RemoteSpeakerStatus {
    BackchannelCapability capability = BackchannelCapability::kUnknown;
    BackchannelLink link = BackchannelLink::kIdle;
    std::string codec;                  // "PCMU" or "PCMA" once known
    std::string error;                  // the last failure, human, never with credentials
    std::uint64_t sent_packets = 0;     // RTP packets sent since start
    std::uint64_t dropped_samples = 0;  // 48 kHz samples the camera never got
};

struct SpeakerStatus {
    std::string talker;          // empty when nobody talks
    double level_dbfs = -100.0;  // -100: silence
    bool above_threshold = false;
    std::uint64_t sessions = 0;                 // talk sessions since start
    std::uint64_t samples = 0;                  // samples heard in the current or last session
    std::optional<RemoteSpeakerStatus> remote;  // IP cameras only
};

class Speaker {
public:
    // What counts as "someone is talking" for the level report.
    static constexpr double kThresholdDbfs = -45.0;

    explicit Speaker(const core::Clock* clock) : clock_(clock) {}
    virtual ~Speaker() = default;

    // Takes the speaker for talk session `id` of `who`. Returns the current talker's name
    // when someone else holds it (nothing changes), nullopt when taken.
    std::optional<std::string> begin(std::uint64_t id, const std::string& who);
    // 48 kHz mono PCM from session `id`; ignored unless it holds the speaker.
    void write(std::uint64_t id, std::span<const std::int16_t> pcm);
    void end(std::uint64_t id);
    SpeakerStatus status() const;
    // False when talk cannot reach this speaker at all (an IP camera that offers no audio
    // backchannel), so the app offers no talk button; true while that is unknown.
    virtual bool offers_talk() const { return true; }

protected:
    // Called with mu_ held: they must not block (no I/O that can wait on a peer).
    virtual void open() {}
    virtual void play(std::span<const std::int16_t> /*pcm*/) {}
    virtual void close() {}
    virtual void add_status(SpeakerStatus& /*status*/) const {}

private:
    const core::Clock* clock_;
    mutable std::mutex mu_;
    std::uint64_t holder_ = 0;          // GUARDED_BY(mu_)
    std::string talker_;                // GUARDED_BY(mu_)
    std::uint64_t sessions_ = 0;        // GUARDED_BY(mu_)
    std::uint64_t samples_ = 0;         // GUARDED_BY(mu_)
    double sum_squares_ = 0;            // GUARDED_BY(mu_) current 100 ms window
    std::size_t window_samples_ = 0;    // GUARDED_BY(mu_)
    double level_dbfs_ = -100.0;        // GUARDED_BY(mu_) the last full window
    core::WallMicros level_at_us_ = 0;  // GUARDED_BY(mu_)
};

// The simulated camera's speaker: a 48 kHz mono 16-bit WAV file at `path`.
class WavSpeaker final : public Speaker {
public:
    WavSpeaker(const core::Clock* clock, std::filesystem::path path)
        : Speaker(clock), path_(std::move(path)) {}
    ~WavSpeaker() override;

private:
    void open() override;
    void play(std::span<const std::int16_t> pcm) override;
    void close() override;

    const std::filesystem::path path_;
    std::FILE* file_ = nullptr;
    std::uint32_t data_bytes_ = 0;
};

// A local camera's loudspeaker: ALSA output through GStreamer (alsasink), opened for each
// talk session and closed after it so the device is free between sessions.
class AlsaSpeaker final : public Speaker {
public:
    AlsaSpeaker(const core::Clock* clock, std::string device)
        : Speaker(clock), device_(std::move(device)) {}
    ~AlsaSpeaker() override;

private:
    void open() override;
    void play(std::span<const std::int16_t> pcm) override;
    void close() override;

    const std::string device_;
    void* pipeline_ = nullptr;  // GstElement*, kept out of this header
    void* src_ = nullptr;       // GstElement* (appsrc)
    std::uint64_t samples_ = 0;
};

}  // namespace hearth::media
