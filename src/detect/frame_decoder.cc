#include "detect/frame_decoder.h"

#include <cstring>
#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
}

namespace hearth::detect {
namespace {

AVCodecID codec_id(media::Codec codec) {
    switch (codec) {
        case media::Codec::kH264: return AV_CODEC_ID_H264;
        case media::Codec::kH265: return AV_CODEC_ID_HEVC;
        case media::Codec::kAac: return AV_CODEC_ID_AAC;
        case media::Codec::kOpus: return AV_CODEC_ID_OPUS;
        case media::Codec::kPcmu: return AV_CODEC_ID_PCM_MULAW;
        case media::Codec::kPcma: return AV_CODEC_ID_PCM_ALAW;
        default: return AV_CODEC_ID_NONE;
    }
}

// Shared by both decoders: context with the track's codec data, frame and packet.
core::Status open_context(const media::TrackInfo& track, bool video, AVCodecContext** ctx,
                          AVFrame** frame, AVPacket** packet) {
    const AVCodec* codec = avcodec_find_decoder(codec_id(track.codec));
    if (!codec) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                std::string("detection cannot decode ") + media::to_string(track.codec));
    }
    *ctx = avcodec_alloc_context3(codec);
    *frame = av_frame_alloc();
    *packet = av_packet_alloc();
    if (!*ctx || !*frame || !*packet) {
        return core::make_error(core::ErrorCode::kResourceExhausted, "out of memory for a decoder");
    }
    AVCodecContext* c = *ctx;
    if (!track.codec_data.empty()) {
        c->extradata = static_cast<std::uint8_t*>(
            av_mallocz(track.codec_data.size() + AV_INPUT_BUFFER_PADDING_SIZE));
        if (!c->extradata) {
            return core::make_error(core::ErrorCode::kResourceExhausted, "out of memory for a decoder");
        }
        std::memcpy(c->extradata, track.codec_data.data(), track.codec_data.size());
        c->extradata_size = static_cast<int>(track.codec_data.size());
    }
    c->thread_count = 1;  // one camera, one detection thread: no frame-thread latency
    if (video) {
        // A detector needs edges and areas, not a pretty picture: deblocking is skipped.
        c->skip_loop_filter = AVDISCARD_ALL;
        c->flags2 |= AV_CODEC_FLAG2_FAST;
    } else {
        c->sample_rate = track.sample_rate > 0 ? track.sample_rate : 8000;
        av_channel_layout_default(&c->ch_layout, track.channels > 0 ? track.channels : 1);
    }
    if (avcodec_open2(c, codec, nullptr) < 0) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                std::string("the ") + media::to_string(track.codec) +
                                    " decoder refused this camera's stream description");
    }
    return {};
}

void close_context(AVCodecContext** ctx, AVFrame** frame, AVPacket** packet) {
    avcodec_free_context(ctx);
    av_frame_free(frame);
    av_packet_free(packet);
}

core::Status send(AVCodecContext* ctx, AVPacket* packet, const media::EncodedSample& sample) {
    if (!sample.data || sample.data->empty()) {
        return {};
    }
    av_packet_unref(packet);
    if (av_new_packet(packet, static_cast<int>(sample.data->size())) < 0) {
        return core::make_error(core::ErrorCode::kResourceExhausted, "out of memory for a packet");
    }
    std::memcpy(packet->data, sample.data->data(), sample.data->size());
    packet->pts = sample.pts_us;
    packet->dts = sample.dts_us;
    if (sample.keyframe) {
        packet->flags |= AV_PKT_FLAG_KEY;
    }
    const int rc = avcodec_send_packet(ctx, packet);
    if (rc < 0 && rc != AVERROR(EAGAIN)) {
        return core::make_error(core::ErrorCode::kDataLoss, "the decoder rejected a frame");
    }
    return {};
}

}  // namespace

bool is_droppable(const media::EncodedSample& sample, media::Codec codec) {
    if (!sample.data || sample.keyframe) {
        return false;
    }
    const auto& d = *sample.data;
    bool saw_slice = false;
    // Samples are 4-byte length-prefixed NAL units (media/sample.h).
    for (std::size_t i = 0; i + 5 <= d.size();) {
        const std::size_t len = (std::size_t{d[i]} << 24) | (std::size_t{d[i + 1]} << 16) |
                                (std::size_t{d[i + 2]} << 8) | d[i + 3];
        if (len == 0 || len > d.size() - i - 4) {
            return false;
        }
        const std::uint8_t h = d[i + 4];
        if (codec == media::Codec::kH264) {
            const int type = h & 0x1f;
            if (type == 1 || type == 5) {
                if ((h >> 5) & 3) {
                    return false;  // nal_ref_idc != 0: later frames may refer to it
                }
                saw_slice = true;
            }
        } else if (codec == media::Codec::kH265) {
            const int type = (h >> 1) & 0x3f;
            if (type < 32) {
                if (len < 2) {
                    return false;
                }
                // Sub-layer non-reference types are even below 16 (TRAIL_N, TSA_N, ...); only
                // trusted in the lowest temporal layer, where nothing above can use them.
                const int tid = (d[i + 5] & 7) - 1;
                if (type >= 16 || type % 2 != 0 || tid != 0) {
                    return false;
                }
                saw_slice = true;
            }
        } else {
            return false;
        }
        i += 4 + len;
    }
    return saw_slice;
}

cv::Mat Picture::to_bgr() const {
    cv::Mat bgr;
    if (u.empty() || v.empty()) {
        cv::cvtColor(luma, bgr, cv::COLOR_GRAY2BGR);
        return bgr;
    }
    // One contiguous I420 buffer for cvtColor: Y rows, then U, then V.
    const int w = luma.cols & ~1, h = luma.rows & ~1;
    cv::Mat i420(h * 3 / 2, w, CV_8UC1);
    luma(cv::Rect(0, 0, w, h)).copyTo(i420(cv::Rect(0, 0, w, h)));
    std::uint8_t* dst = i420.ptr(h);
    for (const cv::Mat* plane : {&u, &v}) {
        for (int r = 0; r < h / 2; ++r) {
            std::memcpy(dst, plane->ptr(r), w / 2);
            dst += w / 2;
        }
    }
    cv::cvtColor(i420, bgr, cv::COLOR_YUV2BGR_I420);
    return bgr;
}

core::Result<std::unique_ptr<VideoDecoder>> VideoDecoder::open(const media::TrackInfo& track) {
    std::unique_ptr<VideoDecoder> d(new VideoDecoder());
    HEARTH_TRY(open_context(track, true, &d->ctx_, &d->frame_, &d->packet_));
    return d;
}

VideoDecoder::~VideoDecoder() { close_context(&ctx_, &frame_, &packet_); }

core::Result<std::optional<Picture>> VideoDecoder::decode(const media::EncodedSample& sample,
                                                          bool want_picture) {
    HEARTH_TRY(send(ctx_, packet_, sample));
    std::optional<Picture> out;
    for (;;) {
        const int rc = avcodec_receive_frame(ctx_, frame_);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            break;
        }
        if (rc < 0) {
            return core::make_error(core::ErrorCode::kDataLoss, "the decoder could not finish a frame");
        }
        if (!want_picture) {
            continue;
        }
        Picture p;
        p.luma = cv::Mat(frame_->height, frame_->width, CV_8UC1, frame_->data[0],
                         static_cast<std::size_t>(frame_->linesize[0]));
        const auto fmt = static_cast<AVPixelFormat>(frame_->format);
        if (fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P) {
            p.u = cv::Mat((frame_->height + 1) / 2, (frame_->width + 1) / 2, CV_8UC1,
                          frame_->data[1], static_cast<std::size_t>(frame_->linesize[1]));
            p.v = cv::Mat((frame_->height + 1) / 2, (frame_->width + 1) / 2, CV_8UC1,
                          frame_->data[2], static_cast<std::size_t>(frame_->linesize[2]));
        }
        out = std::move(p);  // with one thread, at most one picture per packet
    }
    return out;
}

core::Result<std::unique_ptr<AudioDecoder>> AudioDecoder::open(const media::TrackInfo& track) {
    std::unique_ptr<AudioDecoder> d(new AudioDecoder());
    HEARTH_TRY(open_context(track, false, &d->ctx_, &d->frame_, &d->packet_));
    return d;
}

AudioDecoder::~AudioDecoder() { close_context(&ctx_, &frame_, &packet_); }

int AudioDecoder::sample_rate() const { return ctx_->sample_rate; }

core::Result<std::vector<float>> AudioDecoder::decode(const media::EncodedSample& sample) {
    HEARTH_TRY(send(ctx_, packet_, sample));
    std::vector<float> mono;
    for (;;) {
        const int rc = avcodec_receive_frame(ctx_, frame_);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            break;
        }
        if (rc < 0) {
            return core::make_error(core::ErrorCode::kDataLoss, "the audio decoder failed");
        }
        const int n = frame_->nb_samples;
        const int ch = std::max(1, frame_->ch_layout.nb_channels);
        const auto fmt = static_cast<AVSampleFormat>(frame_->format);
        const std::size_t base = mono.size();
        mono.resize(base + static_cast<std::size_t>(n), 0.0f);
        for (int c = 0; c < ch; ++c) {
            for (int i = 0; i < n; ++i) {
                float s = 0;
                switch (fmt) {
                    case AV_SAMPLE_FMT_FLTP: s = reinterpret_cast<const float*>(frame_->extended_data[c])[i]; break;
                    case AV_SAMPLE_FMT_FLT: s = reinterpret_cast<const float*>(frame_->data[0])[i * ch + c]; break;
                    case AV_SAMPLE_FMT_S16P: s = reinterpret_cast<const std::int16_t*>(frame_->extended_data[c])[i] / 32768.0f; break;
                    case AV_SAMPLE_FMT_S16: s = reinterpret_cast<const std::int16_t*>(frame_->data[0])[i * ch + c] / 32768.0f; break;
                    case AV_SAMPLE_FMT_S32P: s = static_cast<float>(reinterpret_cast<const std::int32_t*>(frame_->extended_data[c])[i] / 2147483648.0); break;
                    case AV_SAMPLE_FMT_S32: s = static_cast<float>(reinterpret_cast<const std::int32_t*>(frame_->data[0])[i * ch + c] / 2147483648.0); break;
                    default:
                        return core::make_error(core::ErrorCode::kInvalidArgument,
                                                "the audio decoder gave a sample format detection does not read");
                }
                mono[base + static_cast<std::size_t>(i)] += s / static_cast<float>(ch);
            }
        }
    }
    return mono;
}

}  // namespace hearth::detect
