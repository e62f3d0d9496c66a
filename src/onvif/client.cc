#include "onvif/client.h"

#include <algorithm>

#include "onvif/messages.h"
#include "onvif/wsse.h"

namespace hearth::onvif {
namespace {

using core::ErrorCode;
using core::make_error;

pugi::xml_node op_node(soap::Envelope& env, const char* qname) {
    return env.body().append_child(qname);
}

void add_profile(pugi::xml_node op, std::string_view token) {
    xml::add(op, "tptz:ProfileToken", token);
}

void add_speed(pugi::xml_node op, const std::optional<PtzVector>& speed) {
    if (speed && (speed->pan_tilt || speed->zoom)) {
        messages::write_vector(op.append_child("tptz:Speed"), *speed);
    }
}

}  // namespace

Client::Client(std::shared_ptr<Transport> transport, ClientOptions options, Now now)
    : transport_(std::move(transport)), options_(std::move(options)), now_(std::move(now)) {}

std::string Client::reachable(std::string url) const {
    auto device = parse_http_url(options_.device_url);
    auto service = parse_http_url(url);
    if (!device || !service) {
        return url;
    }
    if (service->host == device->host) {
        return url;
    }
    return "http://" + device->host_header() + service->target;
}

std::string Client::service_url(Service service) const {
    switch (service) {
        case Service::kMedia:
            return services_.media;
        case Service::kPtz:
            return services_.ptz;
        default:
            return services_.device.empty() ? options_.device_url : services_.device;
    }
}

core::Result<soap::Message> Client::call(Service service, std::string_view operation,
                                         soap::Envelope& envelope, Auth auth) {
    const std::string url = service_url(service);
    if (url.empty()) {
        return make_error(ErrorCode::kFailedPrecondition,
                          std::string(soap::kNotSupportedPrefix) + std::string(operation) +
                              " (it has no " + (service == Service::kPtz ? "PTZ" : "media") +
                              " service)");
    }
    if (auth == Auth::kToken && !options_.username.empty()) {
        HEARTH_ASSIGN_OR_RETURN(auto token, wsse::make_token(options_.username, options_.password,
                                                             now_() + clock_offset_));
        wsse::add_security_header(envelope.header(), token);
    }
    const char* service_ns = service == Service::kMedia ? ns::kMedia
                             : service == Service::kPtz ? ns::kPtz
                                                        : ns::kDevice;
    const std::string action = std::string(service_ns) + "/" + std::string(operation);
    HttpCredentials credentials{options_.username, &options_.password};
    HEARTH_ASSIGN_OR_RETURN(HttpResponse response,
                            transport_->post(url, action, envelope.str(),
                                             options_.username.empty() ? nullptr : &credentials));
    return messages::read_response(response, operation);
}

core::Status Client::connect() {
    HEARTH_TRY(parse_http_url(options_.device_url));
    services_ = Services{};
    services_.device = options_.device_url;
    const auto before = now_();
    auto sdt = get_system_date_and_time();
    if (sdt) {
        const auto after = now_();
        const auto local = before + (after - before) / 2;
        clock_offset_ = std::chrono::duration_cast<std::chrono::milliseconds>(sdt->utc - local);
    } else if (sdt.error().code == ErrorCode::kUnavailable) {
        return sdt.error();  // unreachable: nothing else will work either
    }
    auto services = get_services();
    if (!services) {
        auto caps = get_capabilities();
        if (!caps) {
            return services.error().code == ErrorCode::kPermissionDenied ? services.error()
                                                                         : caps.error();
        }
        services = std::move(caps);
    }
    Services s = std::move(services).value();
    if (s.device.empty()) {
        s.device = options_.device_url;
    }
    s.device = reachable(s.device);
    for (std::string* url : {&s.media, &s.media2, &s.ptz, &s.imaging, &s.events}) {
        if (!url->empty()) {
            *url = reachable(*url);
        }
    }
    services_ = std::move(s);
    connected_ = true;
    configurations_.reset();
    nodes_.reset();
    return {};
}

core::Status Client::ensure_services() {
    if (connected_) {
        return {};
    }
    return connect();
}

core::Result<SystemDateTime> Client::get_system_date_and_time() {
    soap::Envelope env;
    op_node(env, "tds:GetSystemDateAndTime");
    HEARTH_ASSIGN_OR_RETURN(auto m,
                            call(Service::kDevice, "GetSystemDateAndTime", env, Auth::kNone));
    return messages::parse_system_date_and_time(m.payload);
}

core::Result<Services> Client::get_services() {
    soap::Envelope env;
    xml::add(op_node(env, "tds:GetServices"), "tds:IncludeCapability", "false");
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kDevice, "GetServices", env, Auth::kNone));
    return messages::parse_services(m.payload);
}

core::Result<Services> Client::get_capabilities() {
    soap::Envelope env;
    xml::add(op_node(env, "tds:GetCapabilities"), "tds:Category", "All");
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kDevice, "GetCapabilities", env, Auth::kNone));
    return messages::parse_capabilities(m.payload);
}

core::Result<DeviceInfo> Client::get_device_information() {
    soap::Envelope env;
    op_node(env, "tds:GetDeviceInformation");
    HEARTH_ASSIGN_OR_RETURN(auto m,
                            call(Service::kDevice, "GetDeviceInformation", env, Auth::kToken));
    return messages::parse_device_information(m.payload);
}

core::Result<std::vector<Profile>> Client::get_profiles() {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    op_node(env, "trt:GetProfiles");
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kMedia, "GetProfiles", env, Auth::kToken));
    return messages::parse_profiles(m.payload);
}

core::Result<std::string> Client::get_stream_uri(std::string_view profile_token) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "trt:GetStreamUri");
    pugi::xml_node setup = op.append_child("trt:StreamSetup");
    xml::add(setup, "tt:Stream", "RTP-Unicast");
    xml::add(setup.append_child("tt:Transport"), "tt:Protocol", "RTSP");
    xml::add(op, "trt:ProfileToken", profile_token);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kMedia, "GetStreamUri", env, Auth::kToken));
    return messages::parse_stream_uri(m.payload);
}

core::Result<std::vector<PtzNode>> Client::get_nodes() {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    op_node(env, "tptz:GetNodes");
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "GetNodes", env, Auth::kToken));
    return messages::parse_nodes(m.payload);
}

core::Result<std::vector<PtzConfiguration>> Client::get_configurations() {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    op_node(env, "tptz:GetConfigurations");
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "GetConfigurations", env, Auth::kToken));
    return messages::parse_configurations(m.payload);
}

core::Result<PtzStatus> Client::get_status(std::string_view profile_token) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    add_profile(op_node(env, "tptz:GetStatus"), profile_token);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "GetStatus", env, Auth::kToken));
    return messages::parse_status(m.payload);
}

core::Status Client::continuous_move(std::string_view profile_token, const PtzVector& velocity,
                                     std::optional<std::chrono::milliseconds> timeout) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:ContinuousMove");
    add_profile(op, profile_token);
    messages::write_vector(op.append_child("tptz:Velocity"), velocity);
    if (timeout) {
        xml::add(op, "tptz:Timeout", messages::format_duration(*timeout));
    }
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "ContinuousMove", env, Auth::kToken));
    return messages::expect_response(m.payload, "ContinuousMove");
}

core::Status Client::stop(std::string_view profile_token, StopAxes axes) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:Stop");
    add_profile(op, profile_token);
    const bool pt = axes == StopAxes::kPanTilt || axes == StopAxes::kBoth;
    const bool z = axes == StopAxes::kZoom || axes == StopAxes::kBoth;
    xml::add(op, "tptz:PanTilt", pt ? "true" : "false");
    xml::add(op, "tptz:Zoom", z ? "true" : "false");
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "Stop", env, Auth::kToken));
    return messages::expect_response(m.payload, "Stop");
}

core::Status Client::relative_move(std::string_view profile_token, const PtzVector& translation,
                                   const std::optional<PtzVector>& speed) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:RelativeMove");
    add_profile(op, profile_token);
    messages::write_vector(op.append_child("tptz:Translation"), translation);
    add_speed(op, speed);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "RelativeMove", env, Auth::kToken));
    return messages::expect_response(m.payload, "RelativeMove");
}

core::Status Client::absolute_move(std::string_view profile_token, const PtzVector& position,
                                   const std::optional<PtzVector>& speed) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:AbsoluteMove");
    add_profile(op, profile_token);
    messages::write_vector(op.append_child("tptz:Position"), position);
    add_speed(op, speed);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "AbsoluteMove", env, Auth::kToken));
    return messages::expect_response(m.payload, "AbsoluteMove");
}

core::Status Client::goto_home_position(std::string_view profile_token,
                                        const std::optional<PtzVector>& speed) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:GotoHomePosition");
    add_profile(op, profile_token);
    add_speed(op, speed);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "GotoHomePosition", env, Auth::kToken));
    return messages::expect_response(m.payload, "GotoHomePosition");
}

core::Status Client::set_home_position(std::string_view profile_token) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    add_profile(op_node(env, "tptz:SetHomePosition"), profile_token);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "SetHomePosition", env, Auth::kToken));
    return messages::expect_response(m.payload, "SetHomePosition");
}

core::Result<std::vector<Preset>> Client::get_presets(std::string_view profile_token) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    add_profile(op_node(env, "tptz:GetPresets"), profile_token);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "GetPresets", env, Auth::kToken));
    return messages::parse_presets(m.payload);
}

core::Result<std::string> Client::set_preset(std::string_view profile_token, std::string_view name,
                                             std::string_view token) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:SetPreset");
    add_profile(op, profile_token);
    if (!name.empty()) {
        xml::add(op, "tptz:PresetName", name);
    }
    if (!token.empty()) {
        xml::add(op, "tptz:PresetToken", token);
    }
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "SetPreset", env, Auth::kToken));
    return messages::parse_set_preset(m.payload);
}

core::Status Client::goto_preset(std::string_view profile_token, std::string_view preset_token,
                                 const std::optional<PtzVector>& speed) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:GotoPreset");
    add_profile(op, profile_token);
    xml::add(op, "tptz:PresetToken", preset_token);
    add_speed(op, speed);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "GotoPreset", env, Auth::kToken));
    return messages::expect_response(m.payload, "GotoPreset");
}

core::Status Client::remove_preset(std::string_view profile_token, std::string_view preset_token) {
    HEARTH_TRY(ensure_services());
    soap::Envelope env;
    pugi::xml_node op = op_node(env, "tptz:RemovePreset");
    add_profile(op, profile_token);
    xml::add(op, "tptz:PresetToken", preset_token);
    HEARTH_ASSIGN_OR_RETURN(auto m, call(Service::kPtz, "RemovePreset", env, Auth::kToken));
    return messages::expect_response(m.payload, "RemovePreset");
}

core::Result<PtzCapabilities> Client::ptz_capabilities(const Profile& profile) {
    HEARTH_TRY(ensure_services());
    if (services_.ptz.empty() || profile.ptz_configuration_token.empty()) {
        return PtzCapabilities{};
    }
    if (!configurations_) {
        HEARTH_ASSIGN_OR_RETURN(configurations_, get_configurations());
    }
    if (!nodes_) {
        HEARTH_ASSIGN_OR_RETURN(nodes_, get_nodes());
    }
    return messages::derive_ptz_capabilities(services_, profile, *configurations_, *nodes_);
}

}  // namespace hearth::onvif
