#include "media/clip_render.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

#include "media/face_blur.h"
#include "media/gst.h"

namespace hearth::media {
namespace {

constexpr guint64 kInputMaxBytes = 4u << 20;     // appsrc: the feeder waits above this
constexpr guint kOutputMaxBuffers = 16;          // appsink: the muxer waits above this
constexpr std::size_t kChunkBytes = 256u << 10;  // next() joins ready buffers up to this
constexpr auto kPoll = std::chrono::milliseconds(50);

// Each element and the Debian package that has it, checked before building anything.
struct Needed {
    const char* element;
    const char* package;
};
constexpr Needed kNeeded[] = {
    {"appsrc", "gstreamer1.0-plugins-base"},       {"appsink", "gstreamer1.0-plugins-base"},
    {"videoconvert", "gstreamer1.0-plugins-base"}, {"qtdemux", "gstreamer1.0-plugins-good"},
    {"mp4mux", "gstreamer1.0-plugins-good"},       {"h264parse", "gstreamer1.0-plugins-bad"},
    {"h265parse", "gstreamer1.0-plugins-bad"},     {"avdec_h264", "gstreamer1.0-libav"},
    {"avdec_h265", "gstreamer1.0-libav"},          {"x264enc", "gstreamer1.0-plugins-ugly"},
    {"aacparse", "gstreamer1.0-plugins-good"},     {"opusparse", "gstreamer1.0-plugins-bad"},
};

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Errors in the clip's bytes are the input's fault; anything else is ours.
core::ErrorCode code_of(GstMessage* message) {
    GError* err = nullptr;
    gst_message_parse_error(message, &err, nullptr);
    core::ErrorCode code = core::ErrorCode::kInternal;
    if (err && err->domain == GST_STREAM_ERROR &&
        (err->code == GST_STREAM_ERROR_DEMUX || err->code == GST_STREAM_ERROR_DECODE ||
         err->code == GST_STREAM_ERROR_FORMAT || err->code == GST_STREAM_ERROR_TYPE_NOT_FOUND ||
         err->code == GST_STREAM_ERROR_WRONG_TYPE ||
         err->code == GST_STREAM_ERROR_CODEC_NOT_FOUND)) {
        code = core::ErrorCode::kInvalidArgument;
    }
    if (err) g_error_free(err);
    return code;
}

}  // namespace

struct ClipRenderer::Impl {
    ClipRenderer* owner = nullptr;
    gst::ElementPtr pipeline;
    gst::ElementPtr src;
    gst::ElementPtr demux;
    gst::ElementPtr mux;
    gst::ElementPtr sink;
    gst::BusPtr bus;

    // Used only on the video streaming thread (the probe), after start() set them.
    std::optional<FaceBlur> faces;
    std::string watermark;
    GstVideoInfo video_info{};
    gst::CapsPtr video_caps;               // what video_info was made from
    gst::PadPtr encoder_src;               // set (pad-added) before the first frame
    std::optional<GstClockTime> last_key;  // pts of the last frame made a keyframe

    std::mutex mu;              // pad-added and no-more-pads (streaming threads)
    bool video_linked = false;  // GUARDED_BY(mu)
    bool audio_linked = false;  // GUARDED_BY(mu)

    std::atomic<bool> frame_failed{false};  // once set, every later frame is dropped
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> faces_blurred{0};
    std::atomic<std::uint64_t> frames_with_faces{0};
    std::atomic<std::uint64_t> input_bytes{0};
    std::atomic<std::uint64_t> output_bytes{0};
    std::atomic<bool> audio{false};

    void fail(core::Error error) { owner->fail(std::move(error)); }
    void touch() { owner->progress_ns_ = steady_ns(); }
    void room(bool wanted) {
        {
            std::lock_guard lock(owner->mu_);
            owner->room_ = wanted;
        }
        owner->cv_.notify_all();
    }

    void on_pad(GstPad* pad);
    void on_no_more_pads();
    bool process(GstPad* pad, GstBuffer* buffer);
    core::Status add_branch(GstPad* pad, const std::string& description, const char* mux_pad,
                            bool video);
    void discard(GstPad* pad);
};

namespace {

void on_pad_added(GstElement*, GstPad* pad, gpointer data) noexcept {
    auto* impl = static_cast<ClipRenderer::Impl*>(data);
    try {
        impl->on_pad(pad);
    } catch (const std::exception& e) {
        spdlog::error("clip render: {}", e.what());
        impl->fail(
            core::make_error(core::ErrorCode::kInternal, "the clip's tracks cannot be linked"));
    }
}

void on_no_more_pads(GstElement*, gpointer data) noexcept {
    static_cast<ClipRenderer::Impl*>(data)->on_no_more_pads();
}

GstPadProbeReturn on_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
    auto* impl = static_cast<ClipRenderer::Impl*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (buffer == nullptr) {
        return GST_PAD_PROBE_OK;
    }
    if (impl->frame_failed.load()) {
        return GST_PAD_PROBE_DROP;  // never a frame that was not processed
    }
    // The buffer we change must be ours alone: copy it if anyone else holds it, and hand
    // the (possibly new) buffer on in place of the old one.
    buffer = gst_buffer_make_writable(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    bool ok = false;
    try {
        ok = impl->process(pad, buffer);
    } catch (const std::exception& e) {
        spdlog::error("clip render: frame processing failed: {}", e.what());
    }
    if (!ok) {
        impl->frame_failed = true;
        impl->fail(
            core::make_error(core::ErrorCode::kInternal, "a video frame could not be processed"));
        return GST_PAD_PROBE_DROP;
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn drop_tags(GstPad*, GstPadProbeInfo* info, gpointer) noexcept {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    return event && GST_EVENT_TYPE(event) == GST_EVENT_TAG ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

}  // namespace

void ClipRenderer::Impl::discard(GstPad* pad) {
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    if (sink == nullptr) {
        return;  // left unlinked: qtdemux carries on while another track is linked
    }
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(pipeline.get()), sink);
    gst::PadPtr sink_pad(gst_element_get_static_pad(sink, "sink"));
    gst_pad_link(pad, sink_pad.get());
    gst_element_sync_state_with_parent(sink);
}

core::Status ClipRenderer::Impl::add_branch(GstPad* pad, const std::string& description,
                                            const char* mux_pad, bool video) {
    GError* error = nullptr;
    GstElement* bin = gst_parse_bin_from_description(description.c_str(), TRUE, &error);
    const std::string what = video ? "video" : "audio";
    if (error != nullptr || bin == nullptr) {
        std::string message = error ? error->message : "unknown error";
        if (error) g_error_free(error);
        if (bin) gst_object_unref(gst_object_ref_sink(bin));
        return core::make_error(core::ErrorCode::kInternal,
                                "cannot build the clip's " + what + " branch: " + message);
    }
    gst_bin_add(GST_BIN(pipeline.get()), bin);  // takes the floating reference
    gst::PadPtr bin_src(gst_element_get_static_pad(bin, "src"));
    gst::PadPtr bin_sink(gst_element_get_static_pad(bin, "sink"));
    // The input's tags (titles, dates, whatever a file held) stay out of a shared clip.
    gst_pad_add_probe(bin_src.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_tags, nullptr,
                      nullptr);
    if (video) {
        gst::ElementPtr enc(gst_bin_get_by_name(GST_BIN(bin), "enc"));
        encoder_src.reset(gst_element_get_static_pad(enc.get(), "src"));
        gst::ElementPtr bgr(gst_bin_get_by_name(GST_BIN(bin), "bgr"));
        gst::PadPtr bgr_src(gst_element_get_static_pad(bgr.get(), "src"));
        gst_pad_add_probe(bgr_src.get(), GST_PAD_PROBE_TYPE_BUFFER, on_frame, this, nullptr);
    }
    gst::PadPtr to_mux(gst_element_request_pad_simple(mux.get(), mux_pad));
    const bool linked = to_mux && gst_pad_link(bin_src.get(), to_mux.get()) == GST_PAD_LINK_OK &&
                        gst_pad_link(pad, bin_sink.get()) == GST_PAD_LINK_OK;
    if (!linked) {
        // Undo it all, so the muxer does not wait for a track that never comes.
        if (to_mux) {
            gst_pad_unlink(bin_src.get(), to_mux.get());
            gst_element_release_request_pad(mux.get(), to_mux.get());
        }
        gst_bin_remove(GST_BIN(pipeline.get()), bin);
        return core::make_error(core::ErrorCode::kInternal,
                                "cannot link the clip's " + what + " to the muxer");
    }
    gst_element_sync_state_with_parent(bin);
    return {};
}

void ClipRenderer::Impl::on_pad(GstPad* pad) {
    gst::CapsPtr caps(gst_pad_get_current_caps(pad));
    if (!caps) {
        caps.reset(gst_pad_query_caps(pad, nullptr));
    }
    const GstStructure* s =
        caps && gst_caps_get_size(caps.get()) > 0 ? gst_caps_get_structure(caps.get(), 0) : nullptr;
    const std::string name = s ? gst_structure_get_name(s) : "";
    std::lock_guard lock(mu);
    if ((name == "video/x-h264" || name == "video/x-h265") && !video_linked) {
        const std::string codec = name == "video/x-h264" ? "h264" : "h265";
        int fps_n = 0;
        int fps_d = 1;
        // A keyframe every 2 s: by frame count when the clip says its rate (the hub's
        // recordings do not), and by time in any case (process() asks the encoder).
        int key_frames = 120;
        if (gst_structure_get_fraction(s, "framerate", &fps_n, &fps_d) && fps_n > 0 && fps_d > 0) {
            key_frames = std::clamp(static_cast<int>(std::lround(2.0 * fps_n / fps_d)), 1, 600);
        }
        const std::string description =
            "queue max-size-buffers=0 max-size-bytes=67108864 max-size-time=5000000000 ! " + codec +
            "parse ! avdec_" + codec +
            " ! videoconvert ! capsfilter name=bgr caps=\"video/x-raw,format=BGR\" ! "
            "videoconvert ! video/x-raw,format=I420 ! "
            "x264enc name=enc speed-preset=veryfast bitrate=" +
            std::to_string(std::max(100, owner->options_.video_kbps)) +
            " key-int-max=" + std::to_string(key_frames) +
            " ! h264parse ! capsfilter caps=\"video/x-h264,stream-format=avc,alignment=au\"";
        if (auto r = add_branch(pad, description, "video_%u", true); !r) {
            fail(r.error());
            return;
        }
        video_linked = true;
        return;
    }
    if ((name == "audio/mpeg" || name == "audio/x-opus") && !audio_linked &&
        owner->options_.keep_audio) {
        int version = 0;
        if (name == "audio/mpeg" && (!gst_structure_get_int(s, "mpegversion", &version) ||
                                     (version != 4 && version != 2))) {
            discard(pad);
            return;
        }
        const std::string description =
            "queue max-size-buffers=0 max-size-bytes=16777216 max-size-time=5000000000 ! " +
            std::string(name == "audio/mpeg" ? "aacparse" : "opusparse");
        if (auto r = add_branch(pad, description, "audio_%u", false); !r) {
            spdlog::warn("clip render: audio dropped: {}", r.error().message);
            discard(pad);  // the video still flows
            return;
        }
        audio_linked = true;
        audio = true;
        return;
    }
    discard(pad);
}

void ClipRenderer::Impl::on_no_more_pads() {
    std::lock_guard lock(mu);
    if (!video_linked) {
        fail(core::make_error(core::ErrorCode::kInvalidArgument,
                              "the clip has no H.264 or H.265 video"));
    }
}

bool ClipRenderer::Impl::process(GstPad* pad, GstBuffer* buffer) {
    gst::CapsPtr caps(gst_pad_get_current_caps(pad));
    if (!caps) {
        return false;
    }
    if (!video_caps || !gst_caps_is_equal(video_caps.get(), caps.get())) {
        if (!gst_video_info_from_caps(&video_info, caps.get()) ||
            GST_VIDEO_INFO_FORMAT(&video_info) != GST_VIDEO_FORMAT_BGR) {
            return false;
        }
        video_caps = std::move(caps);
    }
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &video_info, buffer, GST_MAP_READWRITE)) {
        return false;
    }
    cv::Mat bgr(GST_VIDEO_FRAME_HEIGHT(&frame), GST_VIDEO_FRAME_WIDTH(&frame), CV_8UC3,
                GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
                static_cast<std::size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0)));
    bool ok = true;
    try {
        if (faces) {
            const auto n = frames.load();
            const auto pts = GST_BUFFER_PTS_IS_VALID(buffer)
                                 ? std::chrono::microseconds(GST_BUFFER_PTS(buffer) / 1000)
                                 : std::chrono::microseconds(static_cast<std::int64_t>(n) * 33'333);
            const int found = faces->blur(bgr, pts);
            if (found > 0) {
                faces_blurred += static_cast<std::uint64_t>(found);
                ++frames_with_faces;
            }
        }
        draw_watermark(bgr, watermark);
    } catch (const cv::Exception& e) {
        spdlog::error("clip render: OpenCV: {}", e.what());
        ok = false;
    }
    gst_video_frame_unmap(&frame);
    const GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (ok && GST_CLOCK_TIME_IS_VALID(pts) && encoder_src &&
        (!last_key || pts < *last_key || pts - *last_key >= 2 * GST_SECOND)) {
        // As a viewer downstream would: the encoder makes its next frame a keyframe.
        gst_pad_send_event(encoder_src.get(), gst_video_event_new_upstream_force_key_unit(
                                                  GST_CLOCK_TIME_NONE, TRUE, 0));
        last_key = pts;
    }
    if (ok) {
        ++frames;
        touch();
    }
    return ok;
}

namespace {

void on_need_data(GstAppSrc*, guint, gpointer data) noexcept {
    static_cast<ClipRenderer::Impl*>(data)->room(true);
}

void on_enough_data(GstAppSrc*, gpointer data) noexcept {
    static_cast<ClipRenderer::Impl*>(data)->room(false);
}

}  // namespace

ClipRenderer::ClipRenderer(ClipRenderOptions options, Input input)
    : options_(std::move(options)), input_(std::move(input)), impl_(std::make_unique<Impl>()) {
    impl_->owner = this;
}

ClipRenderer::~ClipRenderer() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    stop_pipeline();  // joins GStreamer's streaming threads
    if (feeder_.joinable()) {
        feeder_.join();
    }
}

void ClipRenderer::stop_pipeline() {
    std::lock_guard lock(state_mu_);
    if (impl_->pipeline) {
        gst_element_set_state(impl_->pipeline.get(), GST_STATE_NULL);
    }
}

void ClipRenderer::fail(core::Error error) {
    {
        std::lock_guard lock(mu_);
        if (failure_) {
            return;
        }
        failure_ = std::move(error);
    }
    cv_.notify_all();
}

core::Status ClipRenderer::start() {
    {
        std::lock_guard lock(mu_);
        if (started_ || stopping_) {
            return core::make_error(core::ErrorCode::kFailedPrecondition,
                                    "the clip render was started or cancelled already");
        }
        started_ = true;
    }
    gst::ensure_init();
    for (const auto& n : kNeeded) {
        GstElementFactory* f = gst_element_factory_find(n.element);
        if (f == nullptr) {
            return core::make_error(core::ErrorCode::kInternal,
                                    std::string("GStreamer element ") + n.element +
                                        " is missing (install " + n.package + ")");
        }
        gst_object_unref(f);
    }
    if (options_.blur_faces) {
        auto faces = FaceBlur::open(options_.face_cascade);
        if (!faces) {
            return faces.error();
        }
        impl_->faces.emplace(std::move(*faces));
    }
    impl_->watermark = printable_ascii(options_.watermark);

    auto built = gst::parse_pipeline(
        "appsrc name=src format=bytes stream-type=stream caps=video/quicktime max-bytes=" +
        std::to_string(kInputMaxBytes) +
        " ! qtdemux name=demux "
        "mp4mux name=mux fragment-duration=1000 streamable=true ! "
        "appsink name=sink sync=false max-buffers=" +
        std::to_string(kOutputMaxBuffers) + " drop=false");
    if (!built) {
        return built.error();
    }
    auto& impl = *impl_;
    impl.pipeline = std::move(*built);
    impl.src = gst::by_name(impl.pipeline.get(), "src");
    impl.demux = gst::by_name(impl.pipeline.get(), "demux");
    impl.mux = gst::by_name(impl.pipeline.get(), "mux");
    impl.sink = gst::by_name(impl.pipeline.get(), "sink");
    impl.bus.reset(gst_element_get_bus(impl.pipeline.get()));
    g_signal_connect(impl.demux.get(), "pad-added", G_CALLBACK(on_pad_added), &impl);
    g_signal_connect(impl.demux.get(), "no-more-pads", G_CALLBACK(on_no_more_pads), &impl);
    GstAppSrcCallbacks callbacks{};
    callbacks.need_data = on_need_data;
    callbacks.enough_data = on_enough_data;
    gst_app_src_set_callbacks(GST_APP_SRC(impl.src.get()), &callbacks, &impl, nullptr);

    progress_ns_ = steady_ns();
    {
        std::lock_guard lock(state_mu_);
        if (cancelled_) {
            return core::make_error(core::ErrorCode::kUnavailable, "the clip render was cancelled");
        }
        if (gst_element_set_state(impl.pipeline.get(), GST_STATE_PLAYING) ==
            GST_STATE_CHANGE_FAILURE) {
            gst_element_set_state(impl.pipeline.get(), GST_STATE_NULL);
            return core::make_error(core::ErrorCode::kInternal, "the clip render does not start");
        }
    }
    feeder_ = std::thread([this] { feed(); });
    return {};
}

void ClipRenderer::feed() {
    GstAppSrc* src = GST_APP_SRC(impl_->src.get());
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return room_ || stopping_ || failure_; });
            if (stopping_ || failure_) {
                return;
            }
        }
        auto chunk = input_();
        if (!chunk) {
            fail(chunk.error());
            return;
        }
        if (chunk->empty()) {
            gst_app_src_end_of_stream(src);
            return;
        }
        progress_ns_ = steady_ns();
        impl_->input_bytes += chunk->size();
        auto* bytes = new std::vector<std::uint8_t>(std::move(*chunk));
        GstBuffer* buffer = gst_buffer_new_wrapped_full(
            GST_MEMORY_FLAG_READONLY, bytes->data(), bytes->size(), 0, bytes->size(), bytes,
            [](gpointer p) { delete static_cast<std::vector<std::uint8_t>*>(p); });
        if (gst_app_src_push_buffer(src, buffer) != GST_FLOW_OK) {
            return;  // flushing: the pipeline is stopping
        }
    }
}

core::Result<std::vector<std::uint8_t>> ClipRenderer::next() {
    {
        std::lock_guard lock(mu_);
        if (!started_ || !impl_->pipeline) {
            return core::make_error(core::ErrorCode::kFailedPrecondition,
                                    "the clip render is not started");
        }
        if (ended_) {
            return std::vector<std::uint8_t>{};
        }
    }
    GstAppSink* sink = GST_APP_SINK(impl_->sink.get());
    for (;;) {
        if (cancelled_) {
            fail(core::make_error(core::ErrorCode::kUnavailable, "the clip render was cancelled"));
        }
        while (GstMessage* m = gst_bus_pop_filtered(impl_->bus.get(), GST_MESSAGE_ERROR)) {
            const auto code = code_of(m);
            const std::string text = gst::describe_error_message(m);
            gst_message_unref(m);
            fail(core::make_error(code, code == core::ErrorCode::kInvalidArgument
                                            ? "the clip cannot be read: " + text
                                            : "the clip render failed: " + text));
        }
        {
            std::lock_guard lock(mu_);
            if (failure_) {
                return *failure_;
            }
        }
        gst::SamplePtr sample(gst_app_sink_try_pull_sample(
            sink, static_cast<GstClockTime>(std::chrono::nanoseconds(kPoll).count())));
        if (sample) {
            std::vector<std::uint8_t> out;
            for (;;) {
                GstBuffer* b = gst_sample_get_buffer(sample.get());
                const gsize size = b ? gst_buffer_get_size(b) : 0;
                if (size > 0) {
                    const std::size_t at = out.size();
                    out.resize(at + size);
                    gst_buffer_extract(b, 0, out.data() + at, size);
                }
                if (out.size() >= kChunkBytes) {
                    break;
                }
                sample.reset(gst_app_sink_try_pull_sample(sink, 0));
                if (!sample) {
                    break;
                }
            }
            progress_ns_ = steady_ns();
            impl_->output_bytes += out.size();
            if (!out.empty()) {
                return out;
            }
            continue;
        }
        if (cancelled_) {
            continue;  // a stopped appsink also says EOS: report the cancel, not an end
        }
        if (gst_app_sink_is_eos(sink)) {
            std::lock_guard lock(mu_);
            if (failure_) {
                return *failure_;
            }
            ended_ = true;
            return std::vector<std::uint8_t>{};
        }
        const auto idle = std::chrono::nanoseconds(steady_ns() - progress_ns_.load());
        if (idle > options_.stall_timeout) {
            fail(core::make_error(core::ErrorCode::kUnavailable,
                                  "the clip render made no progress for " +
                                      std::to_string(options_.stall_timeout.count()) + " ms"));
        }
    }
}

void ClipRenderer::cancel() {
    cancelled_ = true;
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    stop_pipeline();
}

ClipRenderStats ClipRenderer::stats() const {
    ClipRenderStats s;
    s.frames = impl_->frames.load();
    s.faces_blurred = impl_->faces_blurred.load();
    s.frames_with_faces = impl_->frames_with_faces.load();
    s.input_bytes = impl_->input_bytes.load();
    s.output_bytes = impl_->output_bytes.load();
    s.audio = impl_->audio.load();
    return s;
}

}  // namespace hearth::media
