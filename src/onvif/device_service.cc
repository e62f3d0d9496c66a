#include "onvif/device_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <variant>

#include "onvif/device_xml.h"
#include "onvif/messages.h"
#include "onvif/soap.h"
#include "onvif/xml.h"

namespace hearth::onvif {
namespace {

using device_xml::PtzDescription;

constexpr double kEpsilon = 1e-6;
constexpr std::size_t kMaxPresetName = 64;

enum class Access : std::uint8_t { kInvalid = 0, kPreAuth, kRead, kWrite };

struct Reply {
    int status = 200;
    std::string body;
};

Reply sender(std::initializer_list<const char*> subcodes, std::string_view reason) {
    return {400, soap::fault_envelope("Sender", subcodes, reason)};
}

Reply receiver(std::initializer_list<const char*> subcodes, std::string_view reason) {
    return {500, soap::fault_envelope("Receiver", subcodes, reason)};
}

Reply ok(const soap::Envelope& env) { return {200, env.str()}; }

bool in_range(double v, double lo, double hi) {
    return std::isfinite(v) && v >= lo - kEpsilon && v <= hi + kEpsilon;
}

double clamp(double v, double lo, double hi) { return std::clamp(v, lo, hi); }

// A space URI we serve: absent (the configuration's default) or one of the generic ones.
bool generic_space(const std::string& space) {
    return space.empty() || space.find("Generic") != std::string::npos;
}

// A token Hearth will store: printable ASCII without spaces, at most 64 characters.
bool valid_token(std::string_view t) {
    return !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char c) {
        return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '&' && c != '"';
    });
}

std::string host_without_port(const std::string& host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return close == std::string::npos ? host : host.substr(0, close + 1);
    }
    const auto colon = host.rfind(':');
    return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

struct DeviceService::Impl {
    struct Context {
        pugi::xml_node op;
        const DeviceRequest& request;
    };
    using Handler = Reply (Impl::*)(const Context&);
    struct Op {
        std::string_view name;
        Access access;
        Handler handler;
    };

    std::shared_ptr<DeviceBackend> backend;
    DeviceServiceOptions options;
    std::optional<wsse::TokenVerifier> verifier;
    PtzDescription ptz;

    std::mutex mu;
    std::vector<Preset> presets;              // GUARDED_BY(mu)
    PtzVector home = PtzVector::of(0, 0, 0);  // GUARDED_BY(mu)
    unsigned next_preset = 1;                 // GUARDED_BY(mu)

    static const std::vector<Op>& ops();

    Reply dispatch(const DeviceRequest& request);

    std::string xaddr(const DeviceRequest& r, std::string_view path) const {
        return "http://" + r.host + std::string(path);
    }

    // The profile a PTZ request names, or a fault.
    std::variant<Profile, Reply> ptz_profile(pugi::xml_node op) const {
        const std::string token = xml::text(xml::child(op, "ProfileToken"));
        for (const Profile& p : backend->profiles()) {
            if (p.token == token) {
                if (p.ptz_configuration_token.empty() || !backend->has_ptz()) {
                    return sender({"ter:InvalidArgVal", "ter:NoPTZProfile"},
                                  "The profile has no PTZ configuration");
                }
                return p;
            }
        }
        return sender({"ter:InvalidArgVal", "ter:NoProfile"}, "No such profile");
    }

    // Speed with absent parts at full speed, or a fault when out of range.
    std::variant<PtzVector, Reply> speed_of(pugi::xml_node op) const {
        std::string space;
        PtzVector s = messages::parse_vector(xml::child(op, "Speed"), &space);
        if (!generic_space(space)) {
            return sender({"ter:InvalidArgVal", "ter:SpaceNotSupported"}, "Unsupported space");
        }
        PtzVector out = PtzVector::of(1, 1, 1);
        const auto fix = [](double v) {
            return std::abs(v) < kEpsilon ? 1.0 : clamp(std::abs(v), 0.01, 1);
        };
        if (s.pan_tilt) {
            if (!in_range(s.pan_tilt->x, -1, 1) || !in_range(s.pan_tilt->y, -1, 1)) {
                return sender({"ter:InvalidArgVal", "ter:InvalidSpeed"}, "Speed out of range");
            }
            out.pan_tilt = PanTilt{fix(s.pan_tilt->x), fix(s.pan_tilt->y)};
        }
        if (s.zoom) {
            if (!in_range(*s.zoom, -1, 1)) {
                return sender({"ter:InvalidArgVal", "ter:InvalidSpeed"}, "Speed out of range");
            }
            out.zoom = fix(*s.zoom);
        }
        return out;
    }

    // Device service.
    Reply get_system_date_and_time(const Context&);
    Reply get_capabilities(const Context&);
    Reply get_services(const Context&);
    Reply get_service_capabilities(const Context&);
    Reply get_device_information(const Context&);
    Reply get_scopes(const Context&);
    Reply get_hostname(const Context&);
    Reply get_wsdl_url(const Context&);
    // Media.
    Reply get_profiles(const Context&);
    Reply get_profile(const Context&);
    Reply get_stream_uri(const Context&);
    Reply get_video_sources(const Context&);
    Reply get_video_encoder_configurations(const Context&);
    Reply get_video_encoder_configuration(const Context&);
    Reply get_video_encoder_configuration_options(const Context&);
    // PTZ.
    Reply get_nodes(const Context&);
    Reply get_node(const Context&);
    Reply get_configurations(const Context&);
    Reply get_configuration(const Context&);
    Reply get_configuration_options(const Context&);
    Reply get_status(const Context&);
    Reply continuous_move(const Context&);
    Reply stop(const Context&);
    Reply relative_move(const Context&);
    Reply absolute_move(const Context&);
    Reply goto_home_position(const Context&);
    Reply set_home_position(const Context&);
    Reply get_presets(const Context&);
    Reply set_preset(const Context&);
    Reply goto_preset(const Context&);
    Reply remove_preset(const Context&);
};

const std::vector<DeviceService::Impl::Op>& DeviceService::Impl::ops() {
    using I = Impl;
    static const std::vector<Op> table = {
        {"GetSystemDateAndTime", Access::kPreAuth, &I::get_system_date_and_time},
        {"GetCapabilities", Access::kPreAuth, &I::get_capabilities},
        {"GetServices", Access::kPreAuth, &I::get_services},
        {"GetServiceCapabilities", Access::kPreAuth, &I::get_service_capabilities},
        {"GetHostname", Access::kPreAuth, &I::get_hostname},
        {"GetWsdlUrl", Access::kPreAuth, &I::get_wsdl_url},
        {"GetDeviceInformation", Access::kRead, &I::get_device_information},
        {"GetScopes", Access::kRead, &I::get_scopes},
        {"GetProfiles", Access::kRead, &I::get_profiles},
        {"GetProfile", Access::kRead, &I::get_profile},
        {"GetStreamUri", Access::kRead, &I::get_stream_uri},
        {"GetVideoSources", Access::kRead, &I::get_video_sources},
        {"GetVideoEncoderConfigurations", Access::kRead, &I::get_video_encoder_configurations},
        {"GetVideoEncoderConfiguration", Access::kRead, &I::get_video_encoder_configuration},
        {"GetVideoEncoderConfigurationOptions", Access::kRead,
         &I::get_video_encoder_configuration_options},
        {"GetNodes", Access::kRead, &I::get_nodes},
        {"GetNode", Access::kRead, &I::get_node},
        {"GetConfigurations", Access::kRead, &I::get_configurations},
        {"GetConfiguration", Access::kRead, &I::get_configuration},
        {"GetConfigurationOptions", Access::kRead, &I::get_configuration_options},
        {"GetStatus", Access::kRead, &I::get_status},
        {"GetPresets", Access::kRead, &I::get_presets},
        {"ContinuousMove", Access::kWrite, &I::continuous_move},
        {"Stop", Access::kWrite, &I::stop},
        {"RelativeMove", Access::kWrite, &I::relative_move},
        {"AbsoluteMove", Access::kWrite, &I::absolute_move},
        {"GotoHomePosition", Access::kWrite, &I::goto_home_position},
        {"SetHomePosition", Access::kWrite, &I::set_home_position},
        {"SetPreset", Access::kWrite, &I::set_preset},
        {"GotoPreset", Access::kWrite, &I::goto_preset},
        {"RemovePreset", Access::kWrite, &I::remove_preset},
    };
    return table;
}

Reply DeviceService::Impl::dispatch(const DeviceRequest& request) {
    if (request.path != kDeviceServicePath && request.path != kMediaServicePath &&
        request.path != kPtzServicePath) {
        return {404, soap::fault_envelope("Sender", {"ter:InvalidArgVal"}, "No such service")};
    }
    auto message = soap::parse(request.body, xml::kMaxRequestBytes, "SOAP request");
    if (!message) {
        return sender({"ter:WellFormed"}, message.error().message);
    }
    if (!message->payload) {
        return sender({"ter:WellFormed"}, "The SOAP Body is empty");
    }
    const std::string_view name = xml::local_name(message->payload);
    const auto& table = ops();
    const auto op =
        std::find_if(table.begin(), table.end(), [&](const Op& o) { return o.name == name; });
    if (op == table.end()) {
        return receiver({"ter:ActionNotSupported"}, "The operation is not supported");
    }
    if (op->access != Access::kPreAuth && verifier) {
        const auto repeat =
            op->access == Access::kRead ? wsse::Repeat::kAllow : wsse::Repeat::kRefuse;
        const core::Status status = verifier->verify(message->header, options.now(), repeat);
        if (!status) {
            spdlog::info("onvif: refused {}: {}", name, status.error().message);
            return sender({"ter:NotAuthorized"}, "Sender not Authorized");
        }
    }
    return (this->*(op->handler))(Context{message->payload, request});
}

// ---- Device service -------------------------------------------------------------------

Reply DeviceService::Impl::get_system_date_and_time(const Context&) {
    const auto now = options.now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    soap::Envelope env;
    pugi::xml_node sdt = env.body()
                             .append_child("tds:GetSystemDateAndTimeResponse")
                             .append_child("tds:SystemDateAndTime");
    xml::add(sdt, "tt:DateTimeType", "Manual");
    xml::add(sdt, "tt:DaylightSavings", "false");
    xml::add(sdt.append_child("tt:TimeZone"), "tt:TZ", "UTC0");
    for (const char* which : {"tt:UTCDateTime", "tt:LocalDateTime"}) {
        pugi::xml_node dt = sdt.append_child(which);
        pugi::xml_node time = dt.append_child("tt:Time");
        xml::add(time, "tt:Hour", std::to_string(tm.tm_hour));
        xml::add(time, "tt:Minute", std::to_string(tm.tm_min));
        xml::add(time, "tt:Second", std::to_string(tm.tm_sec));
        pugi::xml_node date = dt.append_child("tt:Date");
        xml::add(date, "tt:Year", std::to_string(tm.tm_year + 1900));
        xml::add(date, "tt:Month", std::to_string(tm.tm_mon + 1));
        xml::add(date, "tt:Day", std::to_string(tm.tm_mday));
    }
    return ok(env);
}

Reply DeviceService::Impl::get_capabilities(const Context& c) {
    std::vector<std::string> categories;
    for (pugi::xml_node cat : xml::children(c.op, "Category")) {
        categories.push_back(xml::text(cat));
    }
    const auto wanted = [&](std::string_view what) {
        return categories.empty() ||
               std::any_of(categories.begin(), categories.end(),
                           [&](const std::string& s) { return s == "All" || s == what; });
    };
    if (!wanted("Device") && !wanted("Media") && !(wanted("PTZ") && backend->has_ptz())) {
        return receiver({"ter:ActionNotSupported", "ter:NoSuchService"},
                        "No such capability category");
    }
    soap::Envelope env;
    pugi::xml_node caps =
        env.body().append_child("tds:GetCapabilitiesResponse").append_child("tds:Capabilities");
    if (wanted("Device")) {
        pugi::xml_node d = caps.append_child("tt:Device");
        xml::add(d, "tt:XAddr", xaddr(c.request, kDeviceServicePath));
        pugi::xml_node net = d.append_child("tt:Network");
        xml::add(net, "tt:IPFilter", "false");
        xml::add(net, "tt:ZeroConfiguration", "false");
        xml::add(net, "tt:IPVersion6", "false");
        xml::add(net, "tt:DynDNS", "false");
        pugi::xml_node sys = d.append_child("tt:System");
        for (const char* f : {"tt:DiscoveryResolve", "tt:DiscoveryBye", "tt:RemoteDiscovery",
                              "tt:SystemBackup", "tt:SystemLogging", "tt:FirmwareUpgrade"}) {
            xml::add(sys, f, "false");
        }
        pugi::xml_node ver = sys.append_child("tt:SupportedVersions");
        xml::add(ver, "tt:Major", "2");
        xml::add(ver, "tt:Minor", "0");
        pugi::xml_node sec = d.append_child("tt:Security");
        for (const char* f :
             {"tt:TLS1.1", "tt:TLS1.2", "tt:OnboardKeyGeneration", "tt:AccessPolicyConfig",
              "tt:X.509Token", "tt:SAMLToken", "tt:KerberosToken", "tt:RELToken"}) {
            xml::add(sec, f, "false");
        }
    }
    if (wanted("Media")) {
        pugi::xml_node m = caps.append_child("tt:Media");
        xml::add(m, "tt:XAddr", xaddr(c.request, kMediaServicePath));
        pugi::xml_node sc = m.append_child("tt:StreamingCapabilities");
        xml::add(sc, "tt:RTPMulticast", "false");
        xml::add(sc, "tt:RTP_TCP", "true");
        xml::add(sc, "tt:RTP_RTSP_TCP", "true");
    }
    if (wanted("PTZ") && backend->has_ptz()) {
        xml::add(caps.append_child("tt:PTZ"), "tt:XAddr", xaddr(c.request, kPtzServicePath));
    }
    return ok(env);
}

Reply DeviceService::Impl::get_services(const Context& c) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("tds:GetServicesResponse");
    const auto service = [&](const char* ns, std::string_view path, const char* minor) {
        pugi::xml_node s = r.append_child("tds:Service");
        xml::add(s, "tds:Namespace", ns);
        xml::add(s, "tds:XAddr", xaddr(c.request, path));
        pugi::xml_node v = s.append_child("tds:Version");
        xml::add(v, "tt:Major", "2");
        xml::add(v, "tt:Minor", minor);
    };
    service(ns::kDevice, kDeviceServicePath, "0");
    service(ns::kMedia, kMediaServicePath, "0");
    if (backend->has_ptz()) {
        service(ns::kPtz, kPtzServicePath, "0");
    }
    return ok(env);
}

Reply DeviceService::Impl::get_service_capabilities(const Context& c) {
    soap::Envelope env;
    if (c.request.path == kMediaServicePath) {
        pugi::xml_node caps = env.body()
                                  .append_child("trt:GetServiceCapabilitiesResponse")
                                  .append_child("trt:Capabilities");
        caps.append_attribute("SnapshotUri") = "false";
        caps.append_child("trt:ProfileCapabilities").append_attribute("MaximumNumberOfProfiles") =
            static_cast<unsigned>(backend->profiles().size());
        pugi::xml_node sc = caps.append_child("trt:StreamingCapabilities");
        sc.append_attribute("RTPMulticast") = "false";
        sc.append_attribute("RTP_TCP") = "true";
        sc.append_attribute("RTP_RTSP_TCP") = "true";
    } else if (c.request.path == kPtzServicePath) {
        pugi::xml_node caps = env.body()
                                  .append_child("tptz:GetServiceCapabilitiesResponse")
                                  .append_child("tptz:Capabilities");
        caps.append_attribute("MoveStatus") = "true";
        caps.append_attribute("StatusPosition") = "true";
    } else {
        pugi::xml_node caps = env.body()
                                  .append_child("tds:GetServiceCapabilitiesResponse")
                                  .append_child("tds:Capabilities");
        caps.append_child("tds:Network").append_attribute("ZeroConfiguration") = "false";
        pugi::xml_node sec = caps.append_child("tds:Security");
        sec.append_attribute("UsernameToken") = "true";
        sec.append_attribute("HttpDigest") = "false";
        caps.append_child("tds:System").append_attribute("DiscoveryResolve") = "false";
    }
    return ok(env);
}

Reply DeviceService::Impl::get_device_information(const Context&) {
    const DeviceInfo d = backend->device_info();
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("tds:GetDeviceInformationResponse");
    xml::add(r, "tds:Manufacturer", d.manufacturer);
    xml::add(r, "tds:Model", d.model);
    xml::add(r, "tds:FirmwareVersion", d.firmware_version);
    xml::add(r, "tds:SerialNumber", d.serial_number);
    xml::add(r, "tds:HardwareId", d.hardware_id);
    return ok(env);
}

Reply DeviceService::Impl::get_scopes(const Context&) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("tds:GetScopesResponse");
    for (const auto& s : options.scopes) {
        pugi::xml_node item = r.append_child("tds:Scopes");
        xml::add(item, "tt:ScopeDef", "Fixed");
        xml::add(item, "tt:ScopeItem", s);
    }
    return ok(env);
}

Reply DeviceService::Impl::get_hostname(const Context&) {
    soap::Envelope env;
    pugi::xml_node info =
        env.body().append_child("tds:GetHostnameResponse").append_child("tds:HostnameInformation");
    xml::add(info, "tt:FromDHCP", "false");
    xml::add(info, "tt:Name", options.hostname);
    return ok(env);
}

Reply DeviceService::Impl::get_wsdl_url(const Context&) {
    soap::Envelope env;
    xml::add(env.body().append_child("tds:GetWsdlUrlResponse"), "tds:WsdlUrl",
             "http://www.onvif.org/");
    return ok(env);
}

// ---- Media ------------------------------------------------------------------------------

Reply DeviceService::Impl::get_profiles(const Context&) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("trt:GetProfilesResponse");
    for (const Profile& p : backend->profiles()) {
        device_xml::write_profile(r.append_child("trt:Profiles"), p, ptz);
    }
    return ok(env);
}

Reply DeviceService::Impl::get_profile(const Context& c) {
    const std::string token = xml::text(xml::child(c.op, "ProfileToken"));
    for (const Profile& p : backend->profiles()) {
        if (p.token == token) {
            soap::Envelope env;
            device_xml::write_profile(
                env.body().append_child("trt:GetProfileResponse").append_child("trt:Profile"), p,
                ptz);
            return ok(env);
        }
    }
    return sender({"ter:InvalidArgVal", "ter:NoProfile"}, "No such profile");
}

Reply DeviceService::Impl::get_stream_uri(const Context& c) {
    const std::string stream = xml::text(xml::path(c.op, {"StreamSetup", "Stream"}));
    if (stream == "RTP-Multicast") {
        return sender({"ter:InvalidArgVal", "ter:InvalidStreamSetup"},
                      "Multicast streaming is not supported");
    }
    const std::string token = xml::text(xml::child(c.op, "ProfileToken"));
    for (const Profile& p : backend->profiles()) {
        if (p.token == token) {
            soap::Envelope env;
            pugi::xml_node uri =
                env.body().append_child("trt:GetStreamUriResponse").append_child("trt:MediaUri");
            xml::add(uri, "tt:Uri", backend->stream_uri(p, host_without_port(c.request.host)));
            xml::add(uri, "tt:InvalidAfterConnect", "false");
            xml::add(uri, "tt:InvalidAfterReboot", "false");
            xml::add(uri, "tt:Timeout", "PT0S");
            return ok(env);
        }
    }
    return sender({"ter:InvalidArgVal", "ter:NoProfile"}, "No such profile");
}

Reply DeviceService::Impl::get_video_sources(const Context&) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("trt:GetVideoSourcesResponse");
    const auto profiles = backend->profiles();
    if (!profiles.empty()) {
        const Profile& p = profiles.front();
        pugi::xml_node vs = r.append_child("trt:VideoSources");
        vs.append_attribute("token") = p.video_source_token.c_str();
        xml::add(vs, "tt:Framerate", messages::format_number(p.fps));
        pugi::xml_node res = vs.append_child("tt:Resolution");
        xml::add(res, "tt:Width", std::to_string(p.resolution.width));
        xml::add(res, "tt:Height", std::to_string(p.resolution.height));
    }
    return ok(env);
}

Reply DeviceService::Impl::get_video_encoder_configurations(const Context&) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("trt:GetVideoEncoderConfigurationsResponse");
    for (const Profile& p : backend->profiles()) {
        device_xml::write_video_encoder(r.append_child("trt:Configurations"), p);
    }
    return ok(env);
}

Reply DeviceService::Impl::get_video_encoder_configuration(const Context& c) {
    const std::string token = xml::text(xml::child(c.op, "ConfigurationToken"));
    for (const Profile& p : backend->profiles()) {
        if (p.video_encoder_token == token) {
            soap::Envelope env;
            device_xml::write_video_encoder(
                env.body()
                    .append_child("trt:GetVideoEncoderConfigurationResponse")
                    .append_child("trt:Configuration"),
                p);
            return ok(env);
        }
    }
    return sender({"ter:InvalidArgVal", "ter:NoConfig"}, "No such configuration");
}

Reply DeviceService::Impl::get_video_encoder_configuration_options(const Context& c) {
    const std::string config = xml::text(xml::child(c.op, "ConfigurationToken"));
    const std::string profile = xml::text(xml::child(c.op, "ProfileToken"));
    for (const Profile& p : backend->profiles()) {
        if ((config.empty() && profile.empty()) || p.video_encoder_token == config ||
            p.token == profile) {
            soap::Envelope env;
            device_xml::write_video_encoder_options(
                env.body()
                    .append_child("trt:GetVideoEncoderConfigurationOptionsResponse")
                    .append_child("trt:Options"),
                p);
            return ok(env);
        }
    }
    return sender({"ter:InvalidArgVal", "ter:NoConfig"}, "No such configuration");
}

// ---- PTZ ----------------------------------------------------------------------------------

Reply DeviceService::Impl::get_nodes(const Context&) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("tptz:GetNodesResponse");
    if (backend->has_ptz()) {
        device_xml::write_ptz_node(r.append_child("tptz:PTZNode"), ptz);
    }
    return ok(env);
}

Reply DeviceService::Impl::get_node(const Context& c) {
    if (!backend->has_ptz() || xml::text(xml::child(c.op, "NodeToken")) != kPtzNodeToken) {
        return sender({"ter:InvalidArgVal", "ter:NoEntity"}, "No such PTZ node");
    }
    soap::Envelope env;
    device_xml::write_ptz_node(
        env.body().append_child("tptz:GetNodeResponse").append_child("tptz:PTZNode"), ptz);
    return ok(env);
}

Reply DeviceService::Impl::get_configurations(const Context&) {
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("tptz:GetConfigurationsResponse");
    if (backend->has_ptz()) {
        device_xml::write_ptz_configuration(r.append_child("tptz:PTZConfiguration"), ptz);
    }
    return ok(env);
}

Reply DeviceService::Impl::get_configuration(const Context& c) {
    if (!backend->has_ptz() ||
        xml::text(xml::child(c.op, "PTZConfigurationToken")) != kPtzConfigurationToken) {
        return sender({"ter:InvalidArgVal", "ter:NoConfig"}, "No such PTZ configuration");
    }
    soap::Envelope env;
    device_xml::write_ptz_configuration(env.body()
                                            .append_child("tptz:GetConfigurationResponse")
                                            .append_child("tptz:PTZConfiguration"),
                                        ptz);
    return ok(env);
}

Reply DeviceService::Impl::get_configuration_options(const Context& c) {
    if (!backend->has_ptz() ||
        xml::text(xml::child(c.op, "ConfigurationToken")) != kPtzConfigurationToken) {
        return sender({"ter:InvalidArgVal", "ter:NoConfig"}, "No such PTZ configuration");
    }
    soap::Envelope env;
    pugi::xml_node o = env.body()
                           .append_child("tptz:GetConfigurationOptionsResponse")
                           .append_child("tptz:PTZConfigurationOptions");
    device_xml::write_spaces(o.append_child("tt:Spaces"));
    pugi::xml_node t = o.append_child("tt:PTZTimeout");
    xml::add(t, "tt:Min", "PT1S");
    xml::add(t, "tt:Max", "PT60S");
    return ok(env);
}

Reply DeviceService::Impl::get_status(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    const PtzStatus st = backend->status();
    soap::Envelope env;
    pugi::xml_node s =
        env.body().append_child("tptz:GetStatusResponse").append_child("tptz:PTZStatus");
    device_xml::write_position(s.append_child("tt:Position"), st.position);
    pugi::xml_node ms = s.append_child("tt:MoveStatus");
    const auto word = [](MoveStatus m) { return m == MoveStatus::kMoving ? "MOVING" : "IDLE"; };
    xml::add(ms, "tt:PanTilt", word(st.pan_tilt));
    xml::add(ms, "tt:Zoom", word(st.zoom));
    xml::add(s, "tt:UtcTime", wsse::format_datetime(options.now()));
    return ok(env);
}

Reply DeviceService::Impl::continuous_move(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    std::string space;
    const PtzVector v = messages::parse_vector(xml::child(c.op, "Velocity"), &space);
    if (!generic_space(space)) {
        return sender({"ter:InvalidArgVal", "ter:SpaceNotSupported"}, "Unsupported space");
    }
    if ((v.pan_tilt && (!in_range(v.pan_tilt->x, -1, 1) || !in_range(v.pan_tilt->y, -1, 1))) ||
        (v.zoom && !in_range(*v.zoom, -1, 1))) {
        return sender({"ter:InvalidArgVal", "ter:InvalidVelocity"}, "Velocity out of range");
    }
    std::chrono::milliseconds timeout = options.default_ptz_timeout;
    if (pugi::xml_node t = xml::child(c.op, "Timeout")) {
        auto parsed = messages::parse_duration(xml::text(t));
        if (!parsed) {
            return sender({"ter:InvalidArgVal", "ter:TimeoutNotSupported"}, "Bad Timeout");
        }
        timeout = *parsed;
    }
    const PanTilt pt = v.pan_tilt.value_or(PanTilt{});
    backend->continuous_move(
        PtzVector::of(clamp(pt.x, -1, 1), clamp(pt.y, -1, 1), clamp(v.zoom.value_or(0), -1, 1)),
        timeout);
    soap::Envelope env;
    env.body().append_child("tptz:ContinuousMoveResponse");
    return ok(env);
}

Reply DeviceService::Impl::stop(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    // Both default to true when absent (ONVIF: "stop all ongoing movements").
    const bool pt = xml::to_bool(xml::text(xml::child(c.op, "PanTilt"))).value_or(true);
    const bool z = xml::to_bool(xml::text(xml::child(c.op, "Zoom"))).value_or(true);
    if (pt || z) {
        backend->stop(pt && z ? StopAxes::kBoth : pt ? StopAxes::kPanTilt : StopAxes::kZoom);
    }
    soap::Envelope env;
    env.body().append_child("tptz:StopResponse");
    return ok(env);
}

Reply DeviceService::Impl::relative_move(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    std::string space;
    const PtzVector t = messages::parse_vector(xml::child(c.op, "Translation"), &space);
    if (!generic_space(space)) {
        return sender({"ter:InvalidArgVal", "ter:SpaceNotSupported"}, "Unsupported space");
    }
    if ((t.pan_tilt && (!in_range(t.pan_tilt->x, -2, 2) || !in_range(t.pan_tilt->y, -2, 2))) ||
        (t.zoom && !in_range(*t.zoom, -1, 1))) {
        return sender({"ter:InvalidArgVal", "ter:InvalidTranslation"}, "Translation out of range");
    }
    auto speed = speed_of(c.op);
    if (auto* fault = std::get_if<Reply>(&speed)) {
        return *fault;
    }
    const PanTilt pt = t.pan_tilt.value_or(PanTilt{});
    backend->relative_move(PtzVector::of(pt.x, pt.y, t.zoom.value_or(0)),
                           std::get<PtzVector>(speed));
    soap::Envelope env;
    env.body().append_child("tptz:RelativeMoveResponse");
    return ok(env);
}

Reply DeviceService::Impl::absolute_move(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    std::string space;
    const PtzVector p = messages::parse_vector(xml::child(c.op, "Position"), &space);
    if (!generic_space(space)) {
        return sender({"ter:InvalidArgVal", "ter:SpaceNotSupported"}, "Unsupported space");
    }
    if ((p.pan_tilt && (!in_range(p.pan_tilt->x, -1, 1) || !in_range(p.pan_tilt->y, -1, 1))) ||
        (p.zoom && !in_range(*p.zoom, 0, 1)) || (!p.pan_tilt && !p.zoom)) {
        return sender({"ter:InvalidArgVal", "ter:InvalidPosition"}, "Position out of range");
    }
    auto speed = speed_of(c.op);
    if (auto* fault = std::get_if<Reply>(&speed)) {
        return *fault;
    }
    const PtzVector now = backend->status().position;
    const PanTilt pt = p.pan_tilt.value_or(now.pan_tilt.value_or(PanTilt{}));
    backend->absolute_move(PtzVector::of(clamp(pt.x, -1, 1), clamp(pt.y, -1, 1),
                                         clamp(p.zoom.value_or(now.zoom.value_or(0)), 0, 1)),
                           std::get<PtzVector>(speed));
    soap::Envelope env;
    env.body().append_child("tptz:AbsoluteMoveResponse");
    return ok(env);
}

Reply DeviceService::Impl::goto_home_position(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    auto speed = speed_of(c.op);
    if (auto* fault = std::get_if<Reply>(&speed)) {
        return *fault;
    }
    PtzVector target;
    {
        std::lock_guard lock(mu);
        target = home;
    }
    backend->absolute_move(target, std::get<PtzVector>(speed));
    soap::Envelope env;
    env.body().append_child("tptz:GotoHomePositionResponse");
    return ok(env);
}

Reply DeviceService::Impl::set_home_position(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    const PtzVector here = backend->status().position;
    {
        std::lock_guard lock(mu);
        home = here;
    }
    soap::Envelope env;
    env.body().append_child("tptz:SetHomePositionResponse");
    return ok(env);
}

Reply DeviceService::Impl::get_presets(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    soap::Envelope env;
    pugi::xml_node r = env.body().append_child("tptz:GetPresetsResponse");
    std::lock_guard lock(mu);
    for (const Preset& p : presets) {
        pugi::xml_node e = r.append_child("tptz:Preset");
        e.append_attribute("token") = p.token.c_str();
        xml::add(e, "tt:Name", p.name);
        if (p.position) {
            device_xml::write_position(e.append_child("tt:PTZPosition"), *p.position);
        }
    }
    return ok(env);
}

Reply DeviceService::Impl::set_preset(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    pugi::xml_node name_node = xml::child(c.op, "PresetName");
    const std::string name = xml::text(name_node);
    const std::string token = xml::text(xml::child(c.op, "PresetToken"));
    if (name.size() > kMaxPresetName) {
        return sender({"ter:InvalidArgVal", "ter:InvalidPresetName"}, "Preset name too long");
    }
    if (xml::child(c.op, "PresetToken") && !valid_token(token)) {
        return sender({"ter:InvalidArgVal", "ter:NoToken"}, "Bad preset token");
    }
    const PtzVector here = backend->status().position;
    std::lock_guard lock(mu);
    const auto by_token = [&](const std::string& t) {
        return std::find_if(presets.begin(), presets.end(),
                            [&](const Preset& p) { return p.token == t; });
    };
    if (!name.empty()) {
        const auto same_name = std::find_if(presets.begin(), presets.end(), [&](const Preset& p) {
            return p.name == name && p.token != token;
        });
        if (same_name != presets.end()) {
            return sender({"ter:InvalidArgVal", "ter:PresetExist"},
                          "A preset with this name exists");
        }
    }
    auto existing = token.empty() ? presets.end() : by_token(token);
    if (existing != presets.end()) {
        existing->position = here;
        if (!name.empty()) {
            existing->name = name;
        }
    } else {
        if (presets.size() >= static_cast<std::size_t>(options.max_presets)) {
            return receiver({"ter:Action", "ter:TooManyPresets"}, "No room for another preset");
        }
        // A PresetToken the camera does not know yet creates that preset: strictly ONVIF
        // says NoToken, but libonvif's setPreset() (onvif-tools) names new presets this way
        // and common cameras accept it.
        Preset p;
        p.token = token;
        while (p.token.empty() || by_token(p.token) != presets.end()) {
            p.token = std::to_string(next_preset++);
        }
        p.name = name.empty() ? "Preset " + p.token : name;
        p.position = here;
        presets.push_back(std::move(p));
        existing = presets.end() - 1;
    }
    soap::Envelope env;
    xml::add(env.body().append_child("tptz:SetPresetResponse"), "tptz:PresetToken",
             existing->token);
    return ok(env);
}

Reply DeviceService::Impl::goto_preset(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    auto speed = speed_of(c.op);
    if (auto* fault = std::get_if<Reply>(&speed)) {
        return *fault;
    }
    const std::string token = xml::text(xml::child(c.op, "PresetToken"));
    PtzVector target;
    {
        std::lock_guard lock(mu);
        const auto it = std::find_if(presets.begin(), presets.end(),
                                     [&](const Preset& p) { return p.token == token; });
        if (it == presets.end() || !it->position) {
            return sender({"ter:InvalidArgVal", "ter:NoToken"}, "No such preset");
        }
        target = *it->position;
    }
    backend->absolute_move(target, std::get<PtzVector>(speed));
    soap::Envelope env;
    env.body().append_child("tptz:GotoPresetResponse");
    return ok(env);
}

Reply DeviceService::Impl::remove_preset(const Context& c) {
    auto profile = ptz_profile(c.op);
    if (auto* fault = std::get_if<Reply>(&profile)) {
        return *fault;
    }
    const std::string token = xml::text(xml::child(c.op, "PresetToken"));
    {
        std::lock_guard lock(mu);
        const auto it = std::find_if(presets.begin(), presets.end(),
                                     [&](const Preset& p) { return p.token == token; });
        if (it == presets.end()) {
            return sender({"ter:InvalidArgVal", "ter:NoToken"}, "No such preset");
        }
        presets.erase(it);
    }
    soap::Envelope env;
    env.body().append_child("tptz:RemovePresetResponse");
    return ok(env);
}

DeviceService::DeviceService(std::shared_ptr<DeviceBackend> backend, DeviceServiceOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->backend = std::move(backend);
    impl_->options = std::move(options);
    impl_->ptz.max_presets = std::clamp(impl_->options.max_presets, 0, 1000);
    impl_->ptz.default_timeout = impl_->options.default_ptz_timeout;
    if (!impl_->options.username.empty()) {
        impl_->verifier.emplace(impl_->options.username, std::move(impl_->options.password),
                                impl_->options.verifier);
    }
}

DeviceService::~DeviceService() = default;

DeviceResponse DeviceService::handle(const DeviceRequest& request) {
    Reply r = impl_->dispatch(request);
    return DeviceResponse{r.status, std::move(r.body)};
}

}  // namespace hearth::onvif
