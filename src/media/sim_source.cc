#include "media/sim_source.h"

#include <gst/app/gstappsrc.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace hearth::media {

core::Result<Codec> parse_sim_codec(std::string_view name, bool video) {
    if (video) {
        if (name == "h264") return Codec::kH264;
        if (name == "h265") return Codec::kH265;
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "sim video codec must be h264 or h265");
    }
    if (name == "aac") return Codec::kAac;
    if (name == "opus") return Codec::kOpus;
    if (name == "pcmu") return Codec::kPcmu;
    if (name == "pcma") return Codec::kPcma;
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "sim audio codec must be aac, opus, pcmu or pcma");
}

core::Result<SimCameraOptions> parse_sim_options(std::string_view text) {
    SimCameraOptions o;
    if (text.empty()) {
        return o;
    }
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "sim camera options must be a JSON object");
    }
    auto int_in = [&](const char* key, int lo, int hi, int& out) -> core::Status {
        if (!j.contains(key)) {
            return {};
        }
        if (!j[key].is_number_integer() || j[key].get<long long>() < lo ||
            j[key].get<long long>() > hi) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    std::string("sim option '") + key +
                                        "' must be an integer from " + std::to_string(lo) + " to " +
                                        std::to_string(hi));
        }
        out = j[key].get<int>();
        return {};
    };
    for (const auto& [key, value] : j.items()) {
        if (key == "video_codec" || key == "audio_codec") {
            const bool video = key == "video_codec";
            auto codec = parse_sim_codec(value.is_string() ? value.get<std::string>() : "", video);
            if (!codec) {
                return codec.error();
            }
            (video ? o.video_codec : o.audio_codec) = *codec;
        } else if (key != "width" && key != "height" && key != "fps" && key != "kbps" &&
                   key != "audio" && key != "seed" && key != "traffic" &&
                   key != "person_every_s" && key != "bframes") {
            return core::make_error(
                core::ErrorCode::kInvalidArgument,
                "unknown sim option '" + key.substr(0, 32) +
                    "' (known: width, height, fps, kbps, audio, seed, traffic, person_every_s, "
                    "bframes, video_codec, audio_codec)");
        }
    }
    HEARTH_TRY(int_in("width", 160, 3840, o.scene.width));
    HEARTH_TRY(int_in("height", 120, 2160, o.scene.height));
    HEARTH_TRY(int_in("fps", 1, 60, o.scene.fps));
    HEARTH_TRY(int_in("kbps", 100, 50000, o.video_kbps));
    int seed = static_cast<int>(o.scene.seed);
    HEARTH_TRY(int_in("seed", 0, 1 << 30, seed));
    o.scene.seed = static_cast<std::uint32_t>(seed);
    int person_every_s = static_cast<int>(o.scene.person_period_ms / 1000);
    HEARTH_TRY(int_in("person_every_s", 15, 86400, person_every_s));
    o.scene.person_period_ms = person_every_s * 1000LL;
    HEARTH_TRY(int_in("bframes", 0, 3, o.bframes));
    o.scene.width &= ~15;  // encoder-friendly sizes
    o.scene.height &= ~7;
    if (j.contains("audio")) {
        if (!j["audio"].is_boolean()) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "sim option 'audio' must be true or false");
        }
        o.audio = j["audio"].get<bool>();
    }
    if (j.contains("traffic")) {
        if (!j["traffic"].is_boolean()) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "sim option 'traffic' must be true or false");
        }
        o.scene.traffic = j["traffic"].get<bool>();
    }
    return o;
}

std::string sim_pipeline_description(const SimCameraOptions& o, SimOutput output) {
    const auto& s = o.scene;
    const bool rtp = output == SimOutput::kRtp;
    const std::string gop = std::to_string(s.fps);
    const std::string kbps = std::to_string(o.video_kbps);
    std::string video;
    if (o.video_codec == Codec::kH265) {
        video = "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=" + gop +
                " bitrate=" + kbps + " ! h265parse ! " +
                (rtp ? "rtph265pay name=pay0 pt=96 config-interval=-1"
                     : "video/x-h265,stream-format=hvc1,alignment=au ! appsink name=vsink");
    } else {
        // B-frames (never referenced: no pyramid) make a stream whose decoder may skip
        // frames, as some cameras send; the default is the low-latency baseline stream.
        const std::string encoder =
            o.bframes > 0 ? "x264enc speed-preset=ultrafast threads=1 b-pyramid=false bframes=" +
                                std::to_string(o.bframes) + " key-int-max=" + gop +
                                " bitrate=" + kbps + " ! video/x-h264,profile=main"
                          : "x264enc tune=zerolatency speed-preset=ultrafast threads=1 key-int-max=" +
                                gop + " bitrate=" + kbps +
                                " ! video/x-h264,profile=constrained-baseline";
        video = encoder + " ! h264parse ! " +
                (rtp ? "rtph264pay name=pay0 pt=96 config-interval=-1"
                     : "video/x-h264,stream-format=avc,alignment=au ! appsink name=vsink");
    }
    std::string d =
        "appsrc name=vsrc is-live=true format=time block=false max-bytes=20000000 "
        "caps=video/x-raw,format=I420,width=" +
        std::to_string(s.width) + ",height=" + std::to_string(s.height) +
        ",framerate=" + std::to_string(s.fps) +
        "/1 ! queue max-size-buffers=4 leaky=downstream ! " + video;
    if (o.audio) {
        std::string audio;
        switch (o.audio_codec) {
            case Codec::kOpus:
                audio = "audioconvert ! opusenc bitrate=32000 ! " +
                        std::string(rtp ? "rtpopuspay name=pay1 pt=97" : "appsink name=asink");
                break;
            case Codec::kPcmu:
            case Codec::kPcma:
                audio = std::string("audioconvert ! audioresample ! audio/x-raw,rate=8000 ! ") +
                        (o.audio_codec == Codec::kPcmu ? "mulawenc ! " : "alawenc ! ") +
                        (rtp ? (o.audio_codec == Codec::kPcmu ? "rtppcmupay name=pay1"
                                                              : "rtppcmapay name=pay1")
                             : "appsink name=asink");
                break;
            default:
                audio = "audioconvert ! avenc_aac bitrate=64000 ! aacparse ! " +
                        std::string(rtp ? "rtpmp4gpay name=pay1 pt=97"
                                        : "audio/mpeg,stream-format=raw ! appsink name=asink");
                break;
        }
        d += " appsrc name=asrc is-live=true format=time block=false "
             "caps=audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate=" +
             std::to_string(s.sample_rate) + " ! queue max-size-buffers=20 leaky=downstream ! " +
             audio;
    }
    return d;
}

SimProducer::SimProducer(const SimCameraOptions& options, GstElement* video_src,
                         GstElement* audio_src)
    : options_(options),
      vsrc_(GST_ELEMENT(gst_object_ref(video_src))),
      asrc_(audio_src ? GST_ELEMENT(gst_object_ref(audio_src)) : nullptr),
      scene_(options.scene) {}

SimProducer::~SimProducer() { stop(); }

void SimProducer::start() {
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void SimProducer::stop() {
    stop_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

void SimProducer::run() {
    using clock = std::chrono::steady_clock;
    const auto& s = options_.scene;
    const std::int64_t frame_ns = 1'000'000'000LL / s.fps;
    const int audio_chunk = s.sample_rate / 50;  // 20 ms
    const std::int64_t audio_chunk_ns = 20'000'000;
    const auto t0 = clock::now();
    std::int64_t frame = 0, audio_index = 0;
    while (!stop_) {
        const std::int64_t video_at = frame * frame_ns;
        const std::int64_t audio_at = audio_index * audio_chunk_ns;
        const bool video_next = !asrc_ || video_at <= audio_at;
        const std::int64_t at = video_next ? video_at : audio_at;
        std::this_thread::sleep_until(t0 + std::chrono::nanoseconds(at));
        if (stop_) {
            break;
        }
        if (video_next) {
            const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
            GstBuffer* buf = gst_buffer_new_allocate(nullptr, scene_.frame_bytes(), nullptr);
            GstMapInfo map;
            gst_buffer_map(buf, &map, GST_MAP_WRITE);
            if (ptz_) {
                scene_.set_view(ptz_->view(ptz_now_ms()));
            }
            scene_.render_video(at / 1'000'000, wall_ms, {map.data, map.size});
            gst_buffer_unmap(buf, &map);
            GST_BUFFER_PTS(buf) = static_cast<GstClockTime>(at);
            GST_BUFFER_DURATION(buf) = static_cast<GstClockTime>(frame_ns);
            if (gst_app_src_push_buffer(GST_APP_SRC(vsrc_.get()), buf) != GST_FLOW_OK) {
                break;
            }
            ++frame;
        } else {
            GstBuffer* buf = gst_buffer_new_allocate(nullptr, audio_chunk * 2, nullptr);
            GstMapInfo map;
            gst_buffer_map(buf, &map, GST_MAP_WRITE);
            const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
            scene_.render_audio(
                audio_index * audio_chunk, wall_ms,
                {reinterpret_cast<std::int16_t*>(map.data), static_cast<std::size_t>(audio_chunk)});
            gst_buffer_unmap(buf, &map);
            GST_BUFFER_PTS(buf) = static_cast<GstClockTime>(at);
            GST_BUFFER_DURATION(buf) = static_cast<GstClockTime>(audio_chunk_ns);
            if (gst_app_src_push_buffer(GST_APP_SRC(asrc_.get()), buf) != GST_FLOW_OK) {
                break;
            }
            ++audio_index;
        }
    }
}

SimSource::SimSource(std::string name, SimCameraOptions options)
    : name_(std::move(name)), options_(options), ptz_(VirtualPtz::for_scene(options.scene)) {}

core::Result<gst::ElementPtr> SimSource::build_pipeline() {
    HEARTH_ASSIGN_OR_RETURN(auto pipeline, gst::parse_pipeline(sim_pipeline_description(
                                               options_, SimOutput::kAppsink)));
    attach_appsink(gst::by_name(pipeline.get(), "vsink").get(), 0);
    if (options_.audio) {
        attach_appsink(gst::by_name(pipeline.get(), "asink").get(), 1);
    }
    set_expected_tracks(options_.audio ? 2 : 1);
    return pipeline;
}

void SimSource::on_playing(GstElement* pipeline) {
    auto vsrc = gst::by_name(pipeline, "vsrc");
    auto asrc = options_.audio ? gst::by_name(pipeline, "asrc") : gst::ElementPtr();
    producer_ = std::make_unique<SimProducer>(options_, vsrc.get(), asrc.get());
    producer_->set_ptz(ptz_);
    producer_->start();
}

void SimSource::on_teardown() {
    if (producer_) {
        producer_->stop();
        producer_.reset();
    }
}

}  // namespace hearth::media
