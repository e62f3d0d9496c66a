#include "media/speaker.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cmath>
#include <cstring>

#include "media/gst.h"

namespace hearth::media {
namespace {

constexpr std::size_t kWindowSamples = 4800;  // 100 ms at 48 kHz
constexpr core::WallMicros kSilenceAfterUs = 1'000'000;
constexpr std::uint32_t kRate = 48000;

// The 44-byte header of a PCM WAV file: one mono 16-bit stream needs no library.
std::array<std::uint8_t, 44> wav_header(std::uint32_t data_bytes) {
    std::array<std::uint8_t, 44> h{};
    auto put = [&](std::size_t at, std::uint32_t v, int n) {
        for (int i = 0; i < n; ++i) h[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    std::memcpy(&h[0], "RIFF", 4);
    put(4, 36 + data_bytes, 4);
    std::memcpy(&h[8], "WAVEfmt ", 8);
    put(16, 16, 4);  // fmt chunk size
    put(20, 1, 2);   // PCM
    put(22, 1, 2);   // mono
    put(24, kRate, 4);
    put(28, kRate * 2, 4);  // bytes per second
    put(32, 2, 2);          // block align
    put(34, 16, 2);         // bits per sample
    std::memcpy(&h[36], "data", 4);
    put(40, data_bytes, 4);
    return h;
}

}  // namespace

std::optional<std::string> Speaker::begin(std::uint64_t id, const std::string& who) {
    std::lock_guard lock(mu_);
    if (holder_ == id) {
        return std::nullopt;
    }
    if (holder_ != 0) {
        return talker_;
    }
    holder_ = id;
    talker_ = who;
    ++sessions_;
    samples_ = 0;
    sum_squares_ = 0;
    window_samples_ = 0;
    open();
    return std::nullopt;
}

void Speaker::write(std::uint64_t id, std::span<const std::int16_t> pcm) {
    std::lock_guard lock(mu_);
    if (holder_ != id || id == 0) {
        return;
    }
    play(pcm);
    samples_ += pcm.size();
    for (const std::int16_t s : pcm) {
        sum_squares_ += static_cast<double>(s) * s;
        if (++window_samples_ == kWindowSamples) {
            const double rms = std::sqrt(sum_squares_ / kWindowSamples) / 32768.0;
            const double level = rms > 1e-5 ? std::max(-100.0, 20.0 * std::log10(rms)) : -100.0;
            const auto now = clock_->now_us();
            // Peak hold for a second: speech (and a test beep) has gaps between sounds.
            if (level >= level_dbfs_ || now - level_at_us_ > kSilenceAfterUs) {
                level_dbfs_ = level;
                level_at_us_ = now;
            }
            sum_squares_ = 0;
            window_samples_ = 0;
        }
    }
}

void Speaker::end(std::uint64_t id) {
    std::lock_guard lock(mu_);
    if (holder_ != id || id == 0) {
        return;
    }
    close();
    holder_ = 0;
    talker_.clear();
}

SpeakerStatus Speaker::status() const {
    std::lock_guard lock(mu_);
    SpeakerStatus s;
    s.talker = talker_;
    s.sessions = sessions_;
    s.samples = samples_;
    if (clock_->now_us() - level_at_us_ <= kSilenceAfterUs) {
        s.level_dbfs = level_dbfs_;
    }
    s.above_threshold = s.level_dbfs > kThresholdDbfs;
    add_status(s);
    return s;
}

const char* to_string(BackchannelCapability capability) {
    switch (capability) {
        case BackchannelCapability::kUnknown:
            return "unknown";
        case BackchannelCapability::kOffered:
            return "offered";
        case BackchannelCapability::kNotOffered:
            return "not offered";
        case BackchannelCapability::kInvalid:
            break;
    }
    return "invalid";
}

const char* to_string(BackchannelLink link) {
    switch (link) {
        case BackchannelLink::kIdle:
            return "idle";
        case BackchannelLink::kConnecting:
            return "connecting";
        case BackchannelLink::kOpen:
            return "open";
        case BackchannelLink::kFailed:
            return "failed";
        case BackchannelLink::kInvalid:
            break;
    }
    return "invalid";
}

WavSpeaker::~WavSpeaker() { close(); }

void WavSpeaker::open() {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) {
        spdlog::warn("sim speaker: cannot write {}", path_.string());
        return;
    }
    data_bytes_ = 0;
    const auto h = wav_header(0);
    std::fwrite(h.data(), 1, h.size(), file_);
}

void WavSpeaker::play(std::span<const std::int16_t> pcm) {
    if (file_ == nullptr || data_bytes_ > (1u << 30)) {
        return;  // a talk session over ~3 hours stops growing the file
    }
    // WAV is little-endian, as is every machine Hearth builds for.
    data_bytes_ += static_cast<std::uint32_t>(std::fwrite(pcm.data(), 1, pcm.size_bytes(), file_));
}

void WavSpeaker::close() {
    if (file_ == nullptr) {
        return;
    }
    const auto h = wav_header(data_bytes_);
    std::fseek(file_, 0, SEEK_SET);
    std::fwrite(h.data(), 1, h.size(), file_);
    std::fclose(file_);
    file_ = nullptr;
}

AlsaSpeaker::~AlsaSpeaker() { close(); }

void AlsaSpeaker::open() {
    auto pipeline = gst::parse_pipeline(
        "appsrc name=src is-live=true format=time max-bytes=262144 "
        "caps=audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=1 ! "
        "audioconvert ! audioresample ! alsasink name=out sync=false");
    if (!pipeline) {
        spdlog::warn("speaker {}: {}", device_, pipeline.error().message);
        return;
    }
    g_object_set(gst::by_name(pipeline->get(), "out").get(), "device", device_.c_str(), nullptr);
    if (gst_element_set_state(pipeline->get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        spdlog::warn("speaker {}: the ALSA device does not open", device_);
        gst_element_set_state(pipeline->get(), GST_STATE_NULL);
        return;
    }
    src_ = gst::by_name(pipeline->get(), "src").release();
    pipeline_ = pipeline->release();
    samples_ = 0;
}

void AlsaSpeaker::play(std::span<const std::int16_t> pcm) {
    if (src_ == nullptr || pcm.empty()) {
        return;
    }
    GstBuffer* b = gst_buffer_new_memdup(pcm.data(), pcm.size_bytes());
    GST_BUFFER_PTS(b) = gst_util_uint64_scale(samples_, GST_SECOND, 48000);
    GST_BUFFER_DURATION(b) = gst_util_uint64_scale(pcm.size(), GST_SECOND, 48000);
    samples_ += pcm.size();
    gst_app_src_push_buffer(GST_APP_SRC(static_cast<GstElement*>(src_)), b);
}

void AlsaSpeaker::close() {
    if (pipeline_ == nullptr) {
        return;
    }
    auto* pipeline = static_cast<GstElement*>(pipeline_);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(src_);
    gst_object_unref(pipeline);
    pipeline_ = nullptr;
    src_ = nullptr;
}

}  // namespace hearth::media
