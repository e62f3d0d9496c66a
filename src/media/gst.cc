#include "media/gst.h"

#include <mutex>
#include <regex>

namespace hearth::media::gst {

void ensure_init() {
    static std::once_flag once;
    std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

core::Result<ElementPtr> parse_pipeline(const std::string& description) {
    ensure_init();
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
    if (error != nullptr) {
        std::string message = error->message;
        g_error_free(error);
        if (pipeline) {
            gst_object_unref(pipeline);
        }
        return core::make_error(core::ErrorCode::kInternal, "cannot build pipeline: " + message);
    }
    // gst_parse_launch returns a floating ref for a pipeline; sink it so we own it.
    gst_object_ref_sink(pipeline);
    return ElementPtr(pipeline);
}

ElementPtr by_name(GstElement* bin, const char* name) {
    return ElementPtr(gst_bin_get_by_name(GST_BIN(bin), name));
}

namespace {

std::vector<std::uint8_t> codec_data(const GstStructure* s) {
    const GValue* v = gst_structure_get_value(s, "codec_data");
    if (v == nullptr || !GST_VALUE_HOLDS_BUFFER(v)) {
        return {};
    }
    GstBuffer* buf = gst_value_get_buffer(v);
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
        return {};
    }
    std::vector<std::uint8_t> out(map.data, map.data + map.size);
    gst_buffer_unmap(buf, &map);
    return out;
}

}  // namespace

core::Result<TrackInfo> track_from_caps(const GstCaps* caps) {
    if (caps == nullptr || gst_caps_get_size(caps) == 0) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "stream has no caps");
    }
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    const std::string name = gst_structure_get_name(s);
    TrackInfo t;
    if (name == "video/x-h264" || name == "video/x-h265") {
        t.codec = name == "video/x-h264" ? Codec::kH264 : Codec::kH265;
        gst_structure_get_int(s, "width", &t.width);
        gst_structure_get_int(s, "height", &t.height);
        t.codec_data = codec_data(s);
        if (t.codec_data.empty() || t.width <= 0 || t.height <= 0) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "video stream without size or codec configuration");
        }
        return t;
    }
    gst_structure_get_int(s, "rate", &t.sample_rate);
    gst_structure_get_int(s, "channels", &t.channels);
    if (name == "audio/mpeg") {
        t.codec = Codec::kAac;
        t.codec_data = codec_data(s);
    } else if (name == "audio/x-opus") {
        t.codec = Codec::kOpus;
        t.codec_data = codec_data(s);
        if (t.sample_rate <= 0) {
            t.sample_rate = 48000;
        }
    } else if (name == "audio/x-mulaw") {
        t.codec = Codec::kPcmu;
    } else if (name == "audio/x-alaw") {
        t.codec = Codec::kPcma;
    } else {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "unsupported stream type " + name.substr(0, 64));
    }
    if (t.sample_rate <= 0) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "audio stream without rate");
    }
    if (t.channels <= 0) {
        t.channels = 1;
    }
    return t;
}

namespace {

std::int64_t running_time_us(const GstSegment* segment, GstClockTime t) {
    if (!GST_CLOCK_TIME_IS_VALID(t)) {
        return -1;
    }
    if (segment == nullptr || segment->format != GST_FORMAT_TIME) {
        return static_cast<std::int64_t>(t / 1000);
    }
    guint64 running = 0;
    const int sign = gst_segment_to_running_time_full(segment, GST_FORMAT_TIME, t, &running);
    if (sign == 0) {
        return -1;
    }
    const auto us = static_cast<std::int64_t>(running / 1000);
    return sign > 0 ? us : -us;
}

}  // namespace

EncodedSample sample_from_gst(GstSample* sample, int track, bool is_video_track) {
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    const GstSegment* segment = gst_sample_get_segment(sample);
    EncodedSample out;
    out.track = track;
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        out.data = std::make_shared<const std::vector<std::uint8_t>>(map.data, map.data + map.size);
        gst_buffer_unmap(buffer, &map);
    } else {
        out.data = std::make_shared<const std::vector<std::uint8_t>>();
    }
    out.pts_us = running_time_us(segment, GST_BUFFER_PTS(buffer));
    out.dts_us = GST_CLOCK_TIME_IS_VALID(GST_BUFFER_DTS(buffer))
                     ? running_time_us(segment, GST_BUFFER_DTS(buffer))
                     : out.pts_us;
    if (!GST_CLOCK_TIME_IS_VALID(GST_BUFFER_PTS(buffer))) {
        out.pts_us = out.dts_us;
    }
    const GstClockTime dur = GST_BUFFER_DURATION(buffer);
    out.duration_us = GST_CLOCK_TIME_IS_VALID(dur) ? static_cast<std::int64_t>(dur / 1000) : 0;
    out.keyframe = !is_video_track || !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    return out;
}

std::string describe_error_message(GstMessage* message) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        gst_message_parse_error(message, &err, &debug);
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
        gst_message_parse_warning(message, &err, &debug);
    }
    std::string text = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    g_free(debug);
    // Never let credentials in a URL reach a log line or an API response.
    static const std::regex userinfo(R"((rtsps?|https?)://[^/@\s]*@)");
    return std::regex_replace(text, userinfo, "$1://***@");
}

}  // namespace hearth::media::gst
