// Decoding for detection only. libavcodec is used straight on the camera's samples rather
// than through a GStreamer graph: one call per frame, no element threads, no colour
// conversion (the luma plane is all detection needs), the loop filter skipped, and frames
// nothing refers to never decoded. The recorded and live video are never touched.
//
// Thread-safety: one decoder per thread (the camera's detection thread).
// Errors: kInvalidArgument (a codec this build cannot decode), kDataLoss (a sample the
// decoder rejects; the next keyframe recovers).
//
// Example:
//     auto dec = VideoDecoder::open(track);
//     if (!is_droppable(sample, track.codec)) {
//         auto luma = (*dec)->decode(sample, /*want_picture=*/true);
//     }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "core/result.h"
#include "media/sample.h"

struct AVCodecContext;
struct AVFrame;
struct AVPacket;

namespace hearth::detect {

// True when no other frame refers to this one (an H.264 slice with nal_ref_idc 0, an H.265
// sub-layer non-reference picture), so detection may skip it without breaking the decode.
bool is_droppable(const media::EncodedSample& sample, media::Codec codec);

// A decoded picture, borrowed from the decoder until its next call.
struct Picture {
    cv::Mat luma;  // CV_8UC1 over the decoder's Y plane (not a copy)
    cv::Mat u;     // 4:2:0 chroma planes, empty for other layouts
    cv::Mat v;
    // The picture in colour (BGR), for a snapshot; grey when the layout is not 4:2:0.
    cv::Mat to_bgr() const;
};

// Owns a libavcodec context and its frame and packet.
class VideoDecoder {
public:
    static core::Result<std::unique_ptr<VideoDecoder>> open(const media::TrackInfo& track);
    ~VideoDecoder();
    VideoDecoder(const VideoDecoder&) = delete;
    VideoDecoder& operator=(const VideoDecoder&) = delete;

    // Feeds one sample. Returns the picture it completes when `want_picture`, else nothing
    // (reference frames must still be decoded for the ones after them).
    core::Result<std::optional<Picture>> decode(const media::EncodedSample& sample,
                                                bool want_picture);

private:
    VideoDecoder() = default;
    AVCodecContext* ctx_ = nullptr;
    AVFrame* frame_ = nullptr;
    AVPacket* packet_ = nullptr;
};

// Audio to mono float samples in [-1, 1] for the sound level (AAC, Opus, G.711).
class AudioDecoder {
public:
    static core::Result<std::unique_ptr<AudioDecoder>> open(const media::TrackInfo& track);
    ~AudioDecoder();
    AudioDecoder(const AudioDecoder&) = delete;
    AudioDecoder& operator=(const AudioDecoder&) = delete;

    core::Result<std::vector<float>> decode(const media::EncodedSample& sample);
    int sample_rate() const;

private:
    AudioDecoder() = default;
    AVCodecContext* ctx_ = nullptr;
    AVFrame* frame_ = nullptr;
    AVPacket* packet_ = nullptr;
};

}  // namespace hearth::detect
