#include "media/browser_feed.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/gst.h"

namespace hearth::media {
namespace {

bool converts(Codec c) { return c == Codec::kH265 || c == Codec::kAac; }

GstFlowReturn on_converted(GstAppSink* sink, gpointer data);

}  // namespace

bool needs_browser_feed(const std::vector<TrackInfo>& tracks) {
    return std::any_of(tracks.begin(), tracks.end(),
                       [](const TrackInfo& t) { return converts(t.codec); });
}

std::string browser_video_note(const std::vector<TrackInfo>& tracks) {
    if (tracks.empty()) {
        return "H.264";  // the camera has not said yet what it sends
    }
    const bool h265 = std::any_of(tracks.begin(), tracks.end(),
                                  [](const TrackInfo& t) { return t.codec == Codec::kH265; });
    return h265 ? "H.264 made from the camera's H.265 (browsers do not play H.265); "
                  "recordings keep the H.265"
                : "H.264 as the camera sent it";
}

// One active period: the camera's tracks as browsers get them, and a converter pipeline for
// each track that needs one. Converters deliver from their own streaming threads.
struct BrowserFeed::Conversion {
    struct Converter {
        gst::ElementPtr pipeline;
        gst::ElementPtr src;
        int track = -1;
        Conversion* owner = nullptr;
    };

    std::mutex mu;
    std::vector<TrackInfo> tracks;  // GUARDED_BY(mu) what browsers get
    std::vector<bool> known;        // GUARDED_BY(mu) per track: its output is described
    bool announced = false;         // GUARDED_BY(mu)
    LiveFeed* out = nullptr;
    std::vector<std::unique_ptr<Converter>> converters;  // by track; null: passes through

    ~Conversion() {
        for (auto& c : converters) {
            if (c) {
                gst_element_set_state(c->pipeline.get(), GST_STATE_NULL);
            }
        }
    }

    // Announces the tracks once every one is described. Caller holds mu.
    void maybe_announce() {
        if (!announced && std::all_of(known.begin(), known.end(), [](bool k) { return k; })) {
            out->on_tracks(tracks);
            announced = true;
        }
    }

    void deliver(int track, GstSample* sample) {
        std::lock_guard lock(mu);
        const auto i = static_cast<std::size_t>(track);
        if (!known[i]) {
            auto t = gst::track_from_caps(gst_sample_get_caps(sample));
            if (!t) {
                spdlog::warn("browser feed: {}", t.error().message);
                return;
            }
            tracks[i] = *t;
            known[i] = true;
            maybe_announce();
        }
        if (announced) {
            out->on_sample(gst::sample_from_gst(sample, track, is_video(tracks[i].codec)));
        }
    }

    void pass(const EncodedSample& s) {
        std::lock_guard lock(mu);
        if (announced) {
            out->on_sample(s);
        }
    }

    // Starts the converters for `camera_tracks`. Errors: kInternal.
    core::Status start(const std::vector<TrackInfo>& camera_tracks,
                       const BrowserFeedOptions& options) {
        std::lock_guard lock(mu);
        tracks = camera_tracks;
        known.assign(tracks.size(), true);
        converters.resize(tracks.size());
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            const auto& t = camera_tracks[i];
            if (!converts(t.codec)) {
                continue;
            }
            std::string description;
            GstBuffer* cd = gst_buffer_new_memdup(t.codec_data.data(), t.codec_data.size());
            gst::CapsPtr caps;
            if (t.codec == Codec::kH265) {
                description =
                    "appsrc name=src is-live=true format=time max-bytes=16777216 ! "
                    "h265parse ! avdec_h265 ! videoconvert ! x264enc "
                    "tune=zerolatency speed-preset=ultrafast threads=2 "
                    "key-int-max=30 bitrate=" +
                    std::to_string(options.video_kbps) +
                    " ! h264parse ! video/x-h264,stream-format=avc,alignment=au";
                caps.reset(gst_caps_new_simple("video/x-h265", "stream-format", G_TYPE_STRING,
                                               "hvc1", "alignment", G_TYPE_STRING, "au",
                                               "codec_data", GST_TYPE_BUFFER, cd, nullptr));
                known[i] = false;  // the encoder's parameter sets describe it
            } else {
                const int channels = std::clamp(t.channels, 1, 2);
                description =
                    "appsrc name=src is-live=true format=time max-bytes=1048576 ! "
                    "aacparse ! avdec_aac ! audioconvert ! audioresample ! "
                    "audio/x-raw,rate=48000,channels=" +
                    std::to_string(channels) +
                    " ! opusenc bitrate=" + std::to_string(options.audio_kbps * 1000) +
                    " frame-size=20";
                caps.reset(gst_caps_new_simple("audio/mpeg", "mpegversion", G_TYPE_INT, 4,
                                               "stream-format", G_TYPE_STRING, "raw", "codec_data",
                                               GST_TYPE_BUFFER, cd, nullptr));
                // Known in advance, so the untouched video need not wait for the first packet.
                TrackInfo opus;
                opus.codec = Codec::kOpus;
                opus.sample_rate = 48000;
                opus.channels = channels;
                tracks[i] = opus;
            }
            gst_buffer_unref(cd);
            description += " ! appsink name=sink sync=false max-buffers=64 drop=false";
            auto built = gst::parse_pipeline(description);
            if (!built) {
                return built.error();
            }
            auto c = std::make_unique<Converter>();
            c->pipeline = std::move(*built);
            c->src = gst::by_name(c->pipeline.get(), "src");
            c->track = static_cast<int>(i);
            c->owner = this;
            gst_app_src_set_caps(GST_APP_SRC(c->src.get()), caps.get());
            GstAppSinkCallbacks callbacks{};
            callbacks.new_sample = on_converted;
            gst_app_sink_set_callbacks(GST_APP_SINK(gst::by_name(c->pipeline.get(), "sink").get()),
                                       &callbacks, c.get(), nullptr);
            if (gst_element_set_state(c->pipeline.get(), GST_STATE_PLAYING) ==
                GST_STATE_CHANGE_FAILURE) {
                gst_element_set_state(c->pipeline.get(), GST_STATE_NULL);  // before c goes
                return core::make_error(core::ErrorCode::kInternal,
                                        "the browser feed's converter does not start");
            }
            converters[i] = std::move(c);
        }
        maybe_announce();
        return {};
    }

    void push(const EncodedSample& s) {
        const auto i = static_cast<std::size_t>(s.track);
        if (i >= converters.size()) {
            return;
        }
        if (!converters[i]) {
            pass(s);
            return;
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
        gst_app_src_push_buffer(GST_APP_SRC(converters[i]->src.get()), b);
    }
};

namespace {

GstFlowReturn on_converted(GstAppSink* sink, gpointer data) {
    auto* c = static_cast<BrowserFeed::Conversion::Converter*>(data);
    gst::SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (sample) {
        c->owner->deliver(c->track, sample.get());
    }
    return GST_FLOW_OK;
}

}  // namespace

BrowserFeed::BrowserFeed(LiveFeed& camera, BrowserFeedOptions options)
    : camera_(camera), options_(options) {
    thread_ = std::thread([this] { run(); });
}

BrowserFeed::~BrowserFeed() {
    {
        std::lock_guard lock(wake_->mu);
        wake_->stopping = true;
    }
    wake_->cv.notify_all();
    thread_.join();
}

std::shared_ptr<LiveSubscription> BrowserFeed::subscribe(SubscriptionOptions options) {
    auto s = out_.subscribe(options);
    {
        std::lock_guard lock(wake_->mu);
        wake_->wanted = true;
    }
    wake_->cv.notify_all();
    return s;
}

bool BrowserFeed::running() const {
    std::lock_guard lock(wake_->mu);
    return wake_->running;
}

void BrowserFeed::run() {
    for (;;) {
        {
            std::unique_lock lock(wake_->mu);
            wake_->cv.wait(lock, [&] { return wake_->wanted || wake_->stopping; });
            if (wake_->stopping) {
                return;
            }
            wake_->wanted = false;
            wake_->running = true;
        }
        convert();
        std::lock_guard lock(wake_->mu);
        wake_->running = false;
    }
}

void BrowserFeed::convert() {
    gst::ensure_init();
    out_.on_state(SourceState::kOnline, {});
    auto input = camera_.subscribe({.max_queue_bytes = 16u << 20});
    input->set_notify([wake = wake_] {
        {
            std::lock_guard lock(wake->mu);
            wake->input_ready = true;
        }
        wake->cv.notify_all();
    });
    std::unique_ptr<Conversion> conversion;
    auto idle_since = std::chrono::steady_clock::now();
    spdlog::info("browser feed: converting for browser viewers");
    for (;;) {
        {
            std::unique_lock lock(wake_->mu);
            wake_->cv.wait_for(lock, std::chrono::milliseconds(200),
                               [&] { return wake_->input_ready || wake_->stopping; });
            wake_->input_ready = false;
            if (wake_->stopping) {
                break;
            }
        }
        while (auto item = input->pop()) {
            if (const auto* t = std::get_if<LiveTracks>(&*item)) {
                conversion.reset();
                auto c = std::make_unique<Conversion>();
                c->out = &out_;
                if (auto r = c->start(t->tracks, options_); !r) {
                    spdlog::error("browser feed: {}", r.error().message);
                    continue;  // nothing plays until the camera's next track list
                }
                conversion = std::move(c);
            } else if (conversion) {
                conversion->push(std::get<EncodedSample>(*item));
            }
        }
        if (input->ended()) {
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(wake_->mu);
        if (out_.stats().viewers > 0 || wake_->wanted) {
            idle_since = now;  // watched: what asked to start it is served by this period
            wake_->wanted = false;
        } else if (now - idle_since > options_.idle_stop) {
            break;
        }
    }
    input->set_notify(nullptr);
    conversion.reset();
    out_.on_state(SourceState::kStopped, {});
    spdlog::info("browser feed: stopped (no browser viewer)");
}

}  // namespace hearth::media
