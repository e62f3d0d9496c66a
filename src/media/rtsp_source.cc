#include "media/rtsp_source.h"

#include "core/text.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace hearth::media {
namespace {

constexpr std::size_t kMaxUrlBytes = 2048;

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const int hi = i + 2 < s.size() && s[i] == '%' ? core::hex_digit_value(s[i + 1]) : -1;
        const int lo = hi >= 0 ? core::hex_digit_value(s[i + 2]) : -1;
        if (lo >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Depayloader chain for an RTP encoding, ending in caps the recorder understands.
const char* branch_for(const std::string& encoding) {
    if (encoding == "H264") {
        return "rtph264depay ! h264parse ! video/x-h264,stream-format=avc,alignment=au";
    }
    if (encoding == "H265") {
        return "rtph265depay ! h265parse ! video/x-h265,stream-format=hvc1,alignment=au";
    }
    if (encoding == "MPEG4-GENERIC") {
        return "rtpmp4gdepay ! aacparse ! audio/mpeg,stream-format=raw";
    }
    if (encoding == "MP4A-LATM") {
        return "rtpmp4adepay ! aacparse ! audio/mpeg,stream-format=raw";
    }
    if (encoding == "OPUS" || encoding == "X-GST-OPUS-DRAFT-SPITTKA-00") {
        return "rtpopusdepay ! opusparse";
    }
    if (encoding == "PCMU") {
        return "rtppcmudepay";
    }
    if (encoding == "PCMA") {
        return "rtppcmadepay";
    }
    return nullptr;
}

}  // namespace

core::Result<RtspOptions> parse_rtsp_url(std::string_view url) {
    if (url.size() > kMaxUrlBytes) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "RTSP URL is too long");
    }
    const auto scheme_end = url.find("://");
    const auto scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
    if (scheme != "rtsp" && scheme != "rtsps") {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "camera URL must start with rtsp:// or rtsps://");
    }
    RtspOptions o;
    const auto rest = url.substr(scheme_end + 3);
    const auto path_start = rest.find('/');
    const auto authority = rest.substr(0, path_start);
    const auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        const auto colon = userinfo.find(':');
        o.username = percent_decode(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) {
            o.password = percent_decode(userinfo.substr(colon + 1));
        }
        o.url = std::string(scheme) + "://" + std::string(rest.substr(at + 1));
    } else {
        o.url = std::string(url);
    }
    if (authority.substr(at == std::string_view::npos ? 0 : at + 1).empty()) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "camera URL has no host");
    }
    return o;
}

core::Status apply_rtsp_options(std::string_view text, RtspOptions& o) {
    if (text.empty()) {
        return {};
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "RTSP camera options must be a JSON object");
    }
    for (const auto& [key, value] : j.items()) {
        if (key == "transport") {
            const auto t = value.is_string() ? value.get<std::string>() : "";
            if (t != "tcp" && t != "udp") {
                return core::make_error(core::ErrorCode::kInvalidArgument,
                                        "RTSP option 'transport' must be \"tcp\" or \"udp\"");
            }
            o.transport = t == "tcp" ? RtspTransport::kTcp : RtspTransport::kUdp;
        } else if (key == "latency_ms") {
            if (!value.is_number_integer() || value.get<int>() < 0 || value.get<int>() > 5000) {
                return core::make_error(core::ErrorCode::kInvalidArgument,
                                        "RTSP option 'latency_ms' must be 0..5000");
            }
            o.latency_ms = value.get<int>();
        } else if (key == "onvif" || key == "onvif_profile" || key == "sub_url") {
            const auto v = value.is_string() ? value.get<std::string>() : std::string();
            const bool ok = key == "onvif"     ? v.starts_with("http://") || v.starts_with("https://")
                            : key == "sub_url" ? v.starts_with("rtsp://") || v.starts_with("rtsps://")
                                               : !v.empty();
            if (!ok || v.size() > 512) {
                return core::make_error(core::ErrorCode::kInvalidArgument,
                                        "RTSP option '" + key + "' is not a valid address or token");
            }
            (key == "onvif" ? o.onvif_url : key == "sub_url" ? o.sub_url : o.onvif_profile) = v;
        } else {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "unknown RTSP option '" + key.substr(0, 32) +
                                        "' (known: transport, latency_ms, onvif, onvif_profile, "
                                        "sub_url)");
        }
    }
    return {};
}

RtspSource::RtspSource(std::string name, RtspOptions options, BackoffPolicy backoff)
    : GstSource(backoff), name_(std::move(name)), options_(std::move(options)) {}

core::Result<gst::ElementPtr> RtspSource::build_pipeline() {
    // A one-element launch line would return the bare element, so build the bin by hand.
    GstElement* bin = gst_pipeline_new(nullptr);
    gst::ElementPtr pipeline(GST_ELEMENT(gst_object_ref_sink(bin)));
    GstElement* rtspsrc = gst_element_factory_make("rtspsrc", "src");
    if (rtspsrc == nullptr) {
        return core::make_error(core::ErrorCode::kInternal,
                                "GStreamer's rtspsrc is missing (gstreamer1.0-plugins-good)");
    }
    gst_bin_add(GST_BIN(bin), rtspsrc);
    auto src = gst::by_name(pipeline.get(), "src");
    // Credentials go in properties, never in the URL that GStreamer may log.
    g_object_set(src.get(), "location", options_.url.c_str(), "latency",
                 static_cast<guint>(options_.latency_ms), "protocols",
                 options_.transport == RtspTransport::kUdp ? 0x1 /*UDP*/ : 0x4 /*TCP*/,
                 "tcp-timeout", static_cast<guint64>(10'000'000), "timeout",
                 static_cast<guint64>(10'000'000), nullptr);
    if (!options_.username.empty()) {
        g_object_set(src.get(), "user-id", options_.username.c_str(), "user-pw",
                     options_.password.c_str(), nullptr);
    }
    next_track_ = 0;
    pipeline_ = pipeline.get();
    g_signal_connect(src.get(), "pad-added", G_CALLBACK(&RtspSource::on_pad_added), this);
    g_signal_connect(src.get(), "no-more-pads", G_CALLBACK(&RtspSource::on_no_more_pads), this);
    g_signal_connect(src.get(), "on-sdp", G_CALLBACK(&RtspSource::on_sdp), this);
    sdp_tracks_ = -1;
    return pipeline;
}

void RtspSource::on_pad_added(GstElement* /*src*/, GstPad* pad, gpointer data) noexcept {
    auto* self = static_cast<RtspSource*>(data);
    gst::CapsPtr caps(gst_pad_get_current_caps(pad));
    if (!caps) {
        caps.reset(gst_pad_query_caps(pad, nullptr));
    }
    const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
    const char* enc = gst_structure_get_string(s, "encoding-name");
    const std::string encoding = enc ? enc : "";
    const char* chain = branch_for(encoding);
    if (chain == nullptr) {
        spdlog::warn("source={} stream with encoding '{}' is not supported; ignored",
                     self->describe(), encoding.substr(0, 32));
        return;
    }
    GError* error = nullptr;
    const std::string desc = std::string(chain) + " ! appsink name=sink";
    GstElement* bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &error);
    if (error != nullptr) {
        spdlog::error("source={} cannot build branch for {}: {}", self->describe(), encoding,
                      error->message);
        g_error_free(error);
        return;
    }
    const int track = self->next_track_++;
    auto sink = gst::by_name(bin, "sink");
    self->attach_appsink(sink.get(), track);
    gst_bin_add(GST_BIN(self->pipeline_), bin);
    gst::PadPtr sinkpad(gst_element_get_static_pad(bin, "sink"));
    if (gst_pad_link(pad, sinkpad.get()) != GST_PAD_LINK_OK) {
        spdlog::error("source={} cannot link {} stream", self->describe(), encoding);
    }
    gst_element_sync_state_with_parent(bin);
}

void RtspSource::on_sdp(GstElement* /*src*/, GstSDPMessage* sdp, gpointer data) noexcept {
    // Count the streams we can record before any pad appears, so that samples wait
    // for every track instead of publishing whichever pad came first.
    auto* self = static_cast<RtspSource*>(data);
    int supported = 0;
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
        const GstSDPMedia* media = gst_sdp_message_get_media(sdp, i);
        const char* rtpmap = gst_sdp_media_get_attribute_val(media, "rtpmap");
        if (rtpmap == nullptr) {
            continue;
        }
        std::string map = rtpmap;  // "96 H264/90000"
        const auto space = map.find(' ');
        const auto slash = map.find('/');
        if (space == std::string::npos || slash == std::string::npos || slash < space) {
            continue;
        }
        std::string encoding = map.substr(space + 1, slash - space - 1);
        for (auto& c : encoding) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (branch_for(encoding) != nullptr) {
            ++supported;
        }
    }
    self->sdp_tracks_ = supported;
    self->set_expected_tracks(supported);
}

void RtspSource::on_no_more_pads(GstElement* /*src*/, gpointer data) noexcept {
    auto* self = static_cast<RtspSource*>(data);
    self->set_expected_tracks(std::max(self->next_track_.load(), self->sdp_tracks_.load()));
}

}  // namespace hearth::media
