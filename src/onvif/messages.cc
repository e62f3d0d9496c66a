#include "onvif/messages.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hearth::onvif::messages {
namespace {

using core::ErrorCode;
using core::make_error;

std::string bounded(std::string s, std::size_t max) {
    if (s.size() > max) {
        s.resize(max);
    }
    return s;
}

std::string token_of(pugi::xml_node n) {
    return bounded(xml::attribute(n, "token"), kMaxTokenChars);
}

std::string text_of(pugi::xml_node n, std::string_view local) {
    return bounded(xml::text(xml::child(n, local)), kMaxTokenChars);
}

core::Status expect(pugi::xml_node payload, std::string_view operation) {
    const std::string want = std::string(operation) + "Response";
    if (!payload || xml::local_name(payload) != want) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera answered " + std::string(operation) + " with <" +
                              xml::printable(payload ? payload.name() : "nothing", 60) + ">");
    }
    return {};
}

int int_of(pugi::xml_node n, std::string_view local, int fallback = 0) {
    auto v = xml::to_int(xml::text(xml::child(n, local)));
    if (!v || *v < 0 || *v > 1'000'000'000) {
        return fallback;
    }
    return static_cast<int>(*v);
}

// Service XAddr by namespace (GetServices): the first one for each.
void assign_service(Services& s, std::string_view ns, std::string xaddr) {
    xaddr = bounded(std::move(xaddr), kMaxUriChars);
    std::string* slot = nullptr;
    if (ns == onvif::ns::kDevice) {
        slot = &s.device;
    } else if (ns == onvif::ns::kMedia) {
        slot = &s.media;
    } else if (ns == onvif::ns::kMedia2) {
        slot = &s.media2;
    } else if (ns == onvif::ns::kPtz) {
        slot = &s.ptz;
    } else if (ns == onvif::ns::kImaging) {
        slot = &s.imaging;
    } else if (ns == onvif::ns::kEvents) {
        slot = &s.events;
    }
    if (slot != nullptr && slot->empty()) {
        *slot = std::move(xaddr);
    }
}

MoveStatus move_status(std::string_view s) {
    if (s == "IDLE") {
        return MoveStatus::kIdle;
    }
    if (s == "MOVING") {
        return MoveStatus::kMoving;
    }
    return MoveStatus::kUnknown;
}

}  // namespace

core::Result<soap::Message> read_response(const HttpResponse& response,
                                          std::string_view operation) {
    const std::string op(operation);
    const bool soap_like = response.body.find("Envelope") != std::string::npos;
    if (!soap_like && response.status != 200) {
        if (response.status == 401 || response.status == 403) {
            return make_error(ErrorCode::kPermissionDenied, std::string(soap::kRefusedCredentials));
        }
        return make_error(
            ErrorCode::kUnavailable,
            "the camera answered HTTP " + std::to_string(response.status) + " to " + op);
    }
    auto message = soap::parse(response.body, xml::kMaxResponseBytes, op + " response");
    if (!message) {
        if (response.status == 401 || response.status == 403) {
            return make_error(ErrorCode::kPermissionDenied, std::string(soap::kRefusedCredentials));
        }
        if (response.status != 200) {
            return make_error(ErrorCode::kUnavailable,
                              "the camera answered HTTP " + std::to_string(response.status) +
                                  " to " + op +
                                  " with an unreadable body: " + message.error().message);
        }
        return message.error();
    }
    if (auto fault = soap::fault_of(*message)) {
        return soap::fault_to_error(*fault, response.status, operation);
    }
    if (response.status != 200) {
        return make_error(
            ErrorCode::kUnavailable,
            "the camera answered HTTP " + std::to_string(response.status) + " to " + op);
    }
    if (!message->payload) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera answered " + op + " with an empty SOAP Body");
    }
    return std::move(message).value();
}

core::Result<SystemDateTime> parse_system_date_and_time(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetSystemDateAndTime"));
    pugi::xml_node sdt = xml::child(payload, "SystemDateAndTime");
    pugi::xml_node utc = xml::child(sdt, "UTCDateTime");
    pugi::xml_node date = xml::child(utc, "Date");
    pugi::xml_node time = xml::child(utc, "Time");
    const auto num = [](pugi::xml_node n, std::string_view local) {
        return xml::to_int(xml::text(xml::child(n, local)));
    };
    const auto year = num(date, "Year"), month = num(date, "Month"), day = num(date, "Day");
    const auto hour = num(time, "Hour"), minute = num(time, "Minute"), second = num(time, "Second");
    if (!year || !month || !day || !hour || !minute || !second) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's GetSystemDateAndTime has no complete UTCDateTime");
    }
    const std::chrono::year_month_day ymd{
        std::chrono::year(static_cast<int>(std::clamp<long long>(*year, 0, 9999))),
        std::chrono::month(static_cast<unsigned>(std::clamp<long long>(*month, 0, 13))),
        std::chrono::day(static_cast<unsigned>(std::clamp<long long>(*day, 0, 32)))};
    // Years past 2200 would overflow system_clock's nanoseconds.
    if (!ymd.ok() || *year < 1970 || *year > 2200 || *hour < 0 || *hour > 23 || *minute < 0 ||
        *minute > 59 || *second < 0 || *second > 60) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's GetSystemDateAndTime has an impossible date or time");
    }
    SystemDateTime out;
    out.utc = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        std::chrono::sys_days(ymd) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
        std::chrono::seconds(*second));
    out.time_zone = bounded(xml::text(xml::path(sdt, {"TimeZone", "TZ"})), 128);
    out.ntp = xml::text(xml::child(sdt, "DateTimeType")) == "NTP";
    return out;
}

core::Result<Services> parse_services(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetServices"));
    Services s;
    std::size_t n = 0;
    for (pugi::xml_node svc : xml::children(payload, "Service")) {
        if (++n > kMaxItems) {
            break;
        }
        assign_service(s, xml::text(xml::child(svc, "Namespace")),
                       xml::text(xml::child(svc, "XAddr")));
    }
    if (s.device.empty() && s.media.empty() && s.ptz.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's GetServices lists no device, media or PTZ service");
    }
    return s;
}

core::Result<Services> parse_capabilities(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetCapabilities"));
    pugi::xml_node caps = xml::child(payload, "Capabilities");
    Services s;
    const auto xaddr = [&](std::string_view part) {
        return bounded(xml::text(xml::child(xml::child(caps, part), "XAddr")), kMaxUriChars);
    };
    s.device = xaddr("Device");
    s.media = xaddr("Media");
    s.ptz = xaddr("PTZ");
    s.imaging = xaddr("Imaging");
    s.events = xaddr("Events");
    if (s.device.empty() && s.media.empty() && s.ptz.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's GetCapabilities lists no device, media or PTZ service");
    }
    return s;
}

core::Result<DeviceInfo> parse_device_information(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetDeviceInformation"));
    DeviceInfo d;
    d.manufacturer = text_of(payload, "Manufacturer");
    d.model = text_of(payload, "Model");
    d.firmware_version = text_of(payload, "FirmwareVersion");
    d.serial_number = text_of(payload, "SerialNumber");
    d.hardware_id = text_of(payload, "HardwareId");
    return d;
}

Profile parse_profile(pugi::xml_node p) {
    Profile out;
    out.token = token_of(p);
    out.name = text_of(p, "Name");
    pugi::xml_node vsc = xml::child(p, "VideoSourceConfiguration");
    out.video_source_token = text_of(vsc, "SourceToken");
    if (pugi::xml_node vec = xml::child(p, "VideoEncoderConfiguration")) {
        out.video_encoder_token = token_of(vec);
        out.video_encoding = bounded(xml::text(xml::child(vec, "Encoding")), 32);
        pugi::xml_node res = xml::child(vec, "Resolution");
        out.resolution = {int_of(res, "Width"), int_of(res, "Height")};
        pugi::xml_node rc = xml::child(vec, "RateControl");
        const auto fps = xml::to_double(xml::text(xml::child(rc, "FrameRateLimit")));
        out.fps = fps && *fps > 0 && *fps < 1000 ? *fps : 0;
        out.bitrate_kbps = int_of(rc, "BitrateLimit");
    }
    if (pugi::xml_node aec = xml::child(p, "AudioEncoderConfiguration")) {
        out.audio_encoding = bounded(xml::text(xml::child(aec, "Encoding")), 32);
    }
    if (pugi::xml_node ptz = xml::child(p, "PTZConfiguration")) {
        out.ptz_configuration_token = token_of(ptz);
    }
    return out;
}

core::Result<std::vector<Profile>> parse_profiles(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetProfiles"));
    std::vector<Profile> out;
    for (pugi::xml_node p : xml::children(payload, "Profiles")) {
        if (out.size() >= kMaxItems) {
            break;
        }
        Profile profile = parse_profile(p);
        if (!profile.token.empty()) {
            out.push_back(std::move(profile));
        }
    }
    return out;
}

core::Result<std::string> parse_stream_uri(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetStreamUri"));
    std::string uri = xml::text(xml::path(payload, {"MediaUri", "Uri"}));
    if (uri.empty() || uri.size() > kMaxUriChars) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's GetStreamUri has no usable Uri");
    }
    if (!uri.starts_with("rtsp://") && !uri.starts_with("rtsps://")) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's stream address is not rtsp:// or rtsps://");
    }
    for (char c : uri) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) {
            return make_error(ErrorCode::kInvalidArgument,
                              "the camera's stream address has a bad character");
        }
    }
    return uri;
}

PtzNode parse_node(pugi::xml_node n) {
    PtzNode out;
    out.token = token_of(n);
    out.name = text_of(n, "Name");
    out.fixed_home = xml::to_bool(xml::attribute(n, "FixedHomePosition")).value_or(false);
    if (pugi::xml_node spaces = xml::child(n, "SupportedPTZSpaces")) {
        out.spaces_reported = true;
        out.absolute_pan_tilt = bool(xml::child(spaces, "AbsolutePanTiltPositionSpace"));
        out.absolute_zoom = bool(xml::child(spaces, "AbsoluteZoomPositionSpace"));
        out.relative_pan_tilt = bool(xml::child(spaces, "RelativePanTiltTranslationSpace"));
        out.relative_zoom = bool(xml::child(spaces, "RelativeZoomTranslationSpace"));
        out.continuous_pan_tilt = bool(xml::child(spaces, "ContinuousPanTiltVelocitySpace"));
        out.continuous_zoom = bool(xml::child(spaces, "ContinuousZoomVelocitySpace"));
    }
    out.max_presets = std::min(int_of(n, "MaximumNumberOfPresets"), 100000);
    out.home_supported = xml::to_bool(xml::text(xml::child(n, "HomeSupported"))).value_or(false);
    return out;
}

core::Result<std::vector<PtzNode>> parse_nodes(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetNodes"));
    std::vector<PtzNode> out;
    for (pugi::xml_node n : xml::children(payload, "PTZNode")) {
        if (out.size() >= kMaxItems) {
            break;
        }
        PtzNode node = parse_node(n);
        if (!node.token.empty()) {
            out.push_back(std::move(node));
        }
    }
    return out;
}

PtzConfiguration parse_configuration(pugi::xml_node c) {
    PtzConfiguration out;
    out.token = token_of(c);
    out.name = text_of(c, "Name");
    out.node_token = text_of(c, "NodeToken");
    out.default_timeout = parse_duration(xml::text(xml::child(c, "DefaultPTZTimeout")))
                              .value_or(std::chrono::milliseconds(0));
    return out;
}

core::Result<std::vector<PtzConfiguration>> parse_configurations(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetConfigurations"));
    std::vector<PtzConfiguration> out;
    for (pugi::xml_node c : xml::children(payload, "PTZConfiguration")) {
        if (out.size() >= kMaxItems) {
            break;
        }
        PtzConfiguration cfg = parse_configuration(c);
        if (!cfg.token.empty()) {
            out.push_back(std::move(cfg));
        }
    }
    return out;
}

core::Result<PtzStatus> parse_status(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetStatus"));
    pugi::xml_node st = xml::child(payload, "PTZStatus");
    if (!st) {
        return make_error(ErrorCode::kInvalidArgument, "the camera's GetStatus has no PTZStatus");
    }
    PtzStatus out;
    out.position = parse_vector(xml::child(st, "Position"));
    pugi::xml_node ms = xml::child(st, "MoveStatus");
    out.pan_tilt = move_status(xml::text(xml::child(ms, "PanTilt")));
    out.zoom = move_status(xml::text(xml::child(ms, "Zoom")));
    out.error = bounded(xml::text(xml::child(st, "Error")), kMaxTokenChars);
    out.utc_time = bounded(xml::text(xml::child(st, "UtcTime")), 64);
    return out;
}

core::Result<std::vector<Preset>> parse_presets(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "GetPresets"));
    std::vector<Preset> out;
    for (pugi::xml_node p : xml::children(payload, "Preset")) {
        if (out.size() >= kMaxItems) {
            break;
        }
        Preset preset;
        preset.token = token_of(p);
        preset.name = text_of(p, "Name");
        if (pugi::xml_node pos = xml::child(p, "PTZPosition")) {
            preset.position = parse_vector(pos);
        }
        if (!preset.token.empty()) {
            out.push_back(std::move(preset));
        }
    }
    return out;
}

core::Result<std::string> parse_set_preset(pugi::xml_node payload) {
    HEARTH_TRY(expect(payload, "SetPreset"));
    std::string token = xml::text(xml::child(payload, "PresetToken"));
    if (token.empty() || token.size() > kMaxTokenChars) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera's SetPreset answer has no usable PresetToken");
    }
    return token;
}

core::Status expect_response(pugi::xml_node payload, std::string_view operation) {
    return expect(payload, operation);
}

PtzVector parse_vector(pugi::xml_node node, std::string* space) {
    PtzVector v;
    const auto note_space = [&](pugi::xml_node n) {
        if (space != nullptr && space->empty()) {
            *space = bounded(xml::attribute(n, "space"), kMaxUriChars);
        }
    };
    if (pugi::xml_node pt = xml::child(node, "PanTilt")) {
        const auto x = xml::to_double(xml::attribute(pt, "x"));
        const auto y = xml::to_double(xml::attribute(pt, "y"));
        if (x && y) {
            v.pan_tilt = PanTilt{*x, *y};
        }
        note_space(pt);
    }
    if (pugi::xml_node z = xml::child(node, "Zoom")) {
        if (const auto x = xml::to_double(xml::attribute(z, "x"))) {
            v.zoom = *x;
        }
        note_space(z);
    }
    return v;
}

std::string format_number(double v) {
    if (!std::isfinite(v)) {
        v = 0;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') {
        s.pop_back();
    }
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    if (s == "-0") {
        s = "0";
    }
    return s;
}

void write_vector(pugi::xml_node parent, const PtzVector& v) {
    if (v.pan_tilt) {
        pugi::xml_node pt = parent.append_child("tt:PanTilt");
        pt.append_attribute("x") = format_number(v.pan_tilt->x).c_str();
        pt.append_attribute("y") = format_number(v.pan_tilt->y).c_str();
    }
    if (v.zoom) {
        parent.append_child("tt:Zoom").append_attribute("x") = format_number(*v.zoom).c_str();
    }
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
    if (s.size() < 3 || s.size() > 40 || s.front() != 'P') {
        return std::nullopt;
    }
    double total_ms = 0;
    bool in_time = false;
    bool any = false;
    std::size_t i = 1;
    while (i < s.size()) {
        if (s[i] == 'T') {
            if (in_time) {
                return std::nullopt;
            }
            in_time = true;
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
            ++i;
        }
        if (i == start || i >= s.size()) {
            return std::nullopt;
        }
        const auto n = xml::to_double(s.substr(start, i - start));
        if (!n) {
            return std::nullopt;
        }
        const char unit = s[i++];
        double scale = 0;
        if (!in_time && unit == 'D') {
            scale = 86'400'000;
        } else if (in_time && unit == 'H') {
            scale = 3'600'000;
        } else if (in_time && unit == 'M') {
            scale = 60'000;
        } else if (in_time && unit == 'S') {
            scale = 1000;
        } else {
            return std::nullopt;
        }
        total_ms += *n * scale;
        any = true;
    }
    if (!any || total_ms > 86'400'000) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<long long>(std::llround(total_ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
    const long long ms = std::max<long long>(0, d.count());
    std::string s = "PT" + std::to_string(ms / 1000);
    if (ms % 1000 != 0) {
        char buf[8];
        std::snprintf(buf, sizeof buf, ".%03lld", ms % 1000);
        s += buf;
        while (s.back() == '0') {
            s.pop_back();
        }
    }
    return s + "S";
}

PtzCapabilities derive_ptz_capabilities(const Services& services, const Profile& profile,
                                        const std::vector<PtzConfiguration>& configurations,
                                        const std::vector<PtzNode>& nodes) {
    PtzCapabilities caps;
    if (services.ptz.empty() || profile.ptz_configuration_token.empty()) {
        return caps;
    }
    const auto cfg = std::find_if(
        configurations.begin(), configurations.end(),
        [&](const PtzConfiguration& c) { return c.token == profile.ptz_configuration_token; });
    if (cfg == configurations.end()) {
        return caps;
    }
    auto node = std::find_if(nodes.begin(), nodes.end(),
                             [&](const PtzNode& n) { return n.token == cfg->node_token; });
    if (node == nodes.end() && nodes.size() == 1 && cfg->node_token.empty()) {
        node = nodes.begin();  // a camera with one node that leaves NodeToken out
    }
    if (node == nodes.end()) {
        return caps;
    }
    caps.supported = true;
    caps.configuration_token = cfg->token;
    caps.node_token = node->token;
    const bool cont_pt = node->continuous_pan_tilt || !node->spaces_reported;
    const bool cont_z = node->continuous_zoom;
    caps.continuous = cont_pt || cont_z;
    caps.relative = node->relative_pan_tilt || node->relative_zoom;
    caps.absolute = node->absolute_pan_tilt || node->absolute_zoom;
    caps.zoom = cont_z || node->relative_zoom || node->absolute_zoom;
    caps.home = node->home_supported;
    caps.set_home = node->home_supported && !node->fixed_home;
    caps.max_presets = node->max_presets;
    caps.presets = node->max_presets > 0;
    return caps;
}

}  // namespace hearth::onvif::messages
