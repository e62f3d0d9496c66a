#include "media/v4l2_source.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace hearth::media {

core::Status apply_v4l2_options(std::string_view text, V4l2Options& o) {
    if (text.empty()) {
        return {};
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "V4L2 camera options must be a JSON object");
    }
    for (const auto& [key, value] : j.items()) {
        auto number = [&](int lo, int hi, int& out) -> core::Status {
            if (!value.is_number_integer() || value.get<long long>() < lo ||
                value.get<long long>() > hi) {
                return core::make_error(core::ErrorCode::kInvalidArgument,
                                        "V4L2 option '" + key + "' must be " + std::to_string(lo) +
                                            ".." + std::to_string(hi));
            }
            out = value.get<int>();
            return {};
        };
        if (key == "alsa" && value.is_string() && value.get<std::string>().size() < 64) {
            o.alsa_device = value.get<std::string>();
        } else if (key == "speaker" && value.is_string() && !value.get<std::string>().empty() &&
                   value.get<std::string>().size() < 64) {
            o.speaker_device = value.get<std::string>();
        } else if (key == "width") {
            HEARTH_TRY(number(160, 3840, o.width));
        } else if (key == "height") {
            HEARTH_TRY(number(120, 2160, o.height));
        } else if (key == "fps") {
            HEARTH_TRY(number(1, 60, o.fps));
        } else if (key == "kbps") {
            HEARTH_TRY(number(100, 50000, o.video_kbps));
        } else {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "unknown V4L2 option '" + key.substr(0, 32) +
                                        "' (known: alsa, speaker, width, height, fps, kbps)");
        }
    }
    return {};
}

V4l2Source::V4l2Source(std::string name, V4l2Options options)
    : name_(std::move(name)), options_(std::move(options)) {}

core::Result<gst::ElementPtr> V4l2Source::build_pipeline() {
    if (!std::filesystem::exists(options_.device)) {
        return core::make_error(core::ErrorCode::kUnavailable,
                                "no video device at " + options_.device);
    }
    const auto& o = options_;
    // The device's own name is not trusted in a pipeline string: it is set as a property.
    std::string d = "v4l2src name=cam ! decodebin ! videoconvert ! videoscale ! videorate ! "
                    "video/x-raw,format=I420,width=" + std::to_string(o.width) +
                    ",height=" + std::to_string(o.height) + ",framerate=" + std::to_string(o.fps) +
                    "/1 ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=" +
                    std::to_string(o.fps) + " bitrate=" + std::to_string(o.video_kbps) +
                    " ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! appsink name=vsink";
    if (!o.alsa_device.empty()) {
        d += " alsasrc name=mic ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 "
             "! avenc_aac ! aacparse ! audio/mpeg,stream-format=raw ! appsink name=asink";
    }
    HEARTH_ASSIGN_OR_RETURN(auto pipeline, gst::parse_pipeline(d));
    g_object_set(gst::by_name(pipeline.get(), "cam").get(), "device", o.device.c_str(), nullptr);
    attach_appsink(gst::by_name(pipeline.get(), "vsink").get(), 0);
    if (!o.alsa_device.empty()) {
        g_object_set(gst::by_name(pipeline.get(), "mic").get(), "device", o.alsa_device.c_str(),
                     nullptr);
        attach_appsink(gst::by_name(pipeline.get(), "asink").get(), 1);
    }
    set_expected_tracks(o.alsa_device.empty() ? 1 : 2);
    return pipeline;
}

}  // namespace hearth::media
