#include "media/h264_fallback.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include "media/gst.h"

namespace hearth::media {

struct H264Fallback::Pipeline {
    gst::ElementPtr pipeline;
    gst::ElementPtr src;
    std::vector<TrackInfo> tracks;  // the camera's, with the video track replaced once known
    int video_track = -1;
    bool announced = false;
    LiveFeed* out = nullptr;

    ~Pipeline() {
        if (pipeline) {
            gst_element_set_state(pipeline.get(), GST_STATE_NULL);
        }
    }
};

namespace {

GstFlowReturn on_encoded(GstAppSink* sink, gpointer data) {
    auto* p = static_cast<H264Fallback::Pipeline*>(data);
    gst::SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (!sample) {
        return GST_FLOW_OK;
    }
    if (!p->announced) {
        auto track = gst::track_from_caps(gst_sample_get_caps(sample.get()));
        if (!track) {
            spdlog::warn("h264 fallback: {}", track.error().message);
            return GST_FLOW_OK;
        }
        p->tracks[static_cast<std::size_t>(p->video_track)] = *track;
        p->out->on_tracks(p->tracks);
        p->announced = true;
    }
    p->out->on_sample(gst::sample_from_gst(sample.get(), p->video_track, true));
    return GST_FLOW_OK;
}

}  // namespace

H264Fallback::H264Fallback(LiveFeed& camera, H264FallbackOptions options)
    : camera_(camera), options_(options) {
    thread_ = std::thread([this] { run(); });
}

H264Fallback::~H264Fallback() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

std::shared_ptr<LiveSubscription> H264Fallback::subscribe(SubscriptionOptions options) {
    auto s = out_.subscribe(options);
    {
        std::lock_guard lock(mu_);
        wanted_ = true;
    }
    wake_.notify_all();
    return s;
}

bool H264Fallback::running() const {
    std::lock_guard lock(mu_);
    return running_;
}

void H264Fallback::run() {
    for (;;) {
        {
            std::unique_lock lock(mu_);
            wake_.wait(lock, [&] { return wanted_ || stopping_; });
            if (stopping_) {
                return;
            }
            wanted_ = false;
            running_ = true;
        }
        transcode();
        std::lock_guard lock(mu_);
        running_ = false;
    }
}

void H264Fallback::transcode() {
    gst::ensure_init();
    out_.on_state(SourceState::kOnline, {});
    auto input = camera_.subscribe({.max_queue_bytes = 16u << 20});
    input->set_notify([this] {
        {
            std::lock_guard lock(mu_);
            input_ready_ = true;
        }
        wake_.notify_all();
    });
    std::unique_ptr<Pipeline> pipe;
    auto idle_since = std::chrono::steady_clock::now();
    spdlog::info("h264 fallback: started for browser viewers");
    for (;;) {
        {
            std::unique_lock lock(mu_);
            wake_.wait_for(lock, std::chrono::milliseconds(200),
                           [&] { return input_ready_ || stopping_; });
            input_ready_ = false;
            if (stopping_) {
                break;
            }
        }
        while (auto item = input->pop()) {
            if (const auto* t = std::get_if<LiveTracks>(&*item)) {
                pipe.reset();
                int video = -1;
                for (std::size_t i = 0; i < t->tracks.size(); ++i) {
                    if (t->tracks[i].codec == Codec::kH265 && video < 0) {
                        video = static_cast<int>(i);
                    }
                }
                if (video < 0) {
                    continue;  // nothing to transcode (the camera changed codec)
                }
                const auto& v = t->tracks[static_cast<std::size_t>(video)];
                auto p = std::make_unique<Pipeline>();
                const std::string description =
                    "appsrc name=src is-live=true format=time max-bytes=16777216 ! h265parse ! "
                    "avdec_h265 ! videoconvert ! x264enc tune=zerolatency "
                    "speed-preset=ultrafast threads=2 key-int-max=30 bitrate=" +
                    std::to_string(options_.kbps) +
                    " ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! "
                    "appsink name=sink sync=false max-buffers=64 drop=false";
                auto built = gst::parse_pipeline(description);
                if (!built) {
                    spdlog::error("h264 fallback: {}", built.error().message);
                    break;
                }
                p->pipeline = std::move(*built);
                p->src = gst::by_name(p->pipeline.get(), "src");
                p->tracks = t->tracks;
                p->video_track = video;
                p->out = &out_;
                GstBuffer* cd = gst_buffer_new_memdup(v.codec_data.data(), v.codec_data.size());
                gst::CapsPtr caps(gst_caps_new_simple(
                    "video/x-h265", "stream-format", G_TYPE_STRING, "hvc1", "alignment",
                    G_TYPE_STRING, "au", "codec_data", GST_TYPE_BUFFER, cd, nullptr));
                gst_buffer_unref(cd);
                gst_app_src_set_caps(GST_APP_SRC(p->src.get()), caps.get());
                GstAppSinkCallbacks callbacks{};
                callbacks.new_sample = on_encoded;
                gst_app_sink_set_callbacks(
                    GST_APP_SINK(gst::by_name(p->pipeline.get(), "sink").get()), &callbacks,
                    p.get(), nullptr);
                if (gst_element_set_state(p->pipeline.get(), GST_STATE_PLAYING) ==
                    GST_STATE_CHANGE_FAILURE) {
                    spdlog::error("h264 fallback: the transcoder does not start");
                    break;
                }
                pipe = std::move(p);
                continue;
            }
            const auto& s = std::get<EncodedSample>(*item);
            if (!pipe) {
                continue;
            }
            if (s.track != pipe->video_track) {
                if (pipe->announced) {
                    out_.on_sample(s);  // audio passes through as it came
                }
                continue;
            }
            GstBuffer* b = gst_buffer_new_memdup(s.data->data(), s.data->size());
            GST_BUFFER_PTS(b) = static_cast<GstClockTime>(s.pts_us) * 1000;
            GST_BUFFER_DTS(b) = static_cast<GstClockTime>(s.dts_us) * 1000;
            if (s.duration_us > 0) {
                GST_BUFFER_DURATION(b) = static_cast<GstClockTime>(s.duration_us) * 1000;
            }
            if (!s.keyframe) {
                GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
            }
            gst_app_src_push_buffer(GST_APP_SRC(pipe->src.get()), b);
        }
        if (input->ended()) {
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (out_.stats().viewers > 0) {
            idle_since = now;
        } else if (now - idle_since > options_.idle_stop) {
            break;
        }
    }
    input->set_notify(nullptr);
    pipe.reset();
    out_.on_state(SourceState::kStopped, {});
    spdlog::info("h264 fallback: stopped (no browser viewer)");
}

}  // namespace hearth::media
