#include "onboard/onboard.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "media/rtsp_source.h"
#include "media/stream_probe.h"
#include "onvif/client.h"
#include "onvif/transport.h"

namespace hearth::onboard {

using core::ErrorCode;
using core::make_error;

namespace {

constexpr std::size_t kMaxUrlBytes = 512;

bool h26x(const onvif::Profile& p) {
    return p.video_encoding == "H264" || p.video_encoding == "H265";
}

long long pixels(const onvif::Profile& p) {
    return static_cast<long long>(p.resolution.width) * p.resolution.height;
}

bool host_is(std::string_view url, std::string_view host) {
    const auto start = url.find("://");
    if (start == std::string_view::npos) {
        return false;
    }
    const auto rest = url.substr(start + 3);
    return rest.starts_with(host) &&
           (rest.size() == host.size() || rest[host.size()] == ':' || rest[host.size()] == '/');
}

}  // namespace

std::string on_device_host(const std::string& rtsp_url, const std::string& device_host) {
    const auto start = rtsp_url.find("://");
    if (start == std::string::npos) {
        return rtsp_url;
    }
    const auto authority_begin = start + 3;
    const auto path_begin = rtsp_url.find('/', authority_begin);
    const std::string authority = rtsp_url.substr(
        authority_begin,
        path_begin == std::string::npos ? std::string::npos : path_begin - authority_begin);
    std::string port;
    const auto bracket = authority.find(']');
    const auto colon = authority.rfind(':');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        port = authority.substr(colon);
    }
    const bool v6 = device_host.find(':') != std::string::npos && device_host.front() != '[';
    return rtsp_url.substr(0, authority_begin) + (v6 ? "[" + device_host + "]" : device_host) +
           port + (path_begin == std::string::npos ? "/" : rtsp_url.substr(path_begin));
}

namespace {

// Splits credentials out of an RTSP address: they are kept sealed, never in the URL.
core::Result<media::RtspOptions> rtsp_address(std::string_view url, std::string_view what) {
    if (url.size() > kMaxUrlBytes) {
        return make_error(ErrorCode::kInvalidArgument, std::string(what) + " is too long");
    }
    for (const unsigned char c : url) {
        if (c <= 0x20 || c == 0x7f) {
            return make_error(ErrorCode::kInvalidArgument,
                              std::string(what) + " must not contain spaces or control characters");
        }
    }
    return media::parse_rtsp_url(url);
}

}  // namespace

core::Result<std::vector<Found>> discover(const onvif::discovery::DiscoverOptions& options) {
    HEARTH_ASSIGN_OR_RETURN(auto matches, onvif::discovery::discover(options));
    std::vector<Found> out;
    std::set<std::string> seen;
    for (const auto& m : matches) {
        if (!seen.insert(m.endpoint).second) {
            continue;
        }
        Found f;
        f.endpoint = m.endpoint;
        f.address = m.from;
        f.name = m.scope_value("name");
        f.hardware = m.scope_value("hardware");
        // A camera lists an address per network it is on; only one on the host that answered
        // is taken, so an answer cannot point the hub (and later the password) elsewhere.
        for (const auto& x : m.xaddrs) {
            if (x.starts_with("http://") && host_is(x, m.from)) {
                f.device_url = x;
                break;
            }
        }
        if (!f.device_url.empty()) {
            out.push_back(std::move(f));
        }
    }
    return out;
}

core::Result<StreamChoice> choose_streams(const std::vector<onvif::Profile>& profiles) {
    const onvif::Profile* main = nullptr;
    for (const auto& p : profiles) {
        if (h26x(p) && (main == nullptr || pixels(p) > pixels(*main))) {
            main = &p;
        }
    }
    if (main == nullptr) {
        return make_error(ErrorCode::kNotFound,
                          "the camera offers no H.264 or H.265 stream (only MJPEG or none)");
    }
    StreamChoice choice{*main, std::nullopt};
    for (const auto& p : profiles) {
        if (&p != main && !p.video_encoding.empty() && pixels(p) > 0 && pixels(p) < pixels(*main) &&
            (!choice.sub || pixels(p) < pixels(*choice.sub))) {
            choice.sub = p;
        }
    }
    return choice;
}

core::Result<Plan> plan(const NewCamera& camera, std::shared_ptr<onvif::Transport> transport,
                        std::chrono::milliseconds check_timeout) {
    if (camera.onvif_url.empty() == camera.rtsp_url.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "give the camera's ONVIF address or its RTSP address (one of them)");
    }
    Plan out;
    out.camera.name = camera.name;
    out.camera.kind = store::CameraKind::kRtsp;
    out.camera.username = camera.username;
    out.camera.password.assign(reinterpret_cast<const char*>(camera.password.data()),
                               camera.password.size());
    nlohmann::json options = nlohmann::json::object();
    media::RtspOptions stream;
    if (!camera.onvif_url.empty()) {
        if (camera.onvif_url.size() > kMaxUrlBytes || !camera.onvif_url.starts_with("http://") ||
            !onvif::parse_http_url(camera.onvif_url)) {
            return make_error(ErrorCode::kInvalidArgument,
                              "the ONVIF address must be an http:// URL of up to " +
                                  std::to_string(kMaxUrlBytes) +
                                  " bytes, like http://192.0.2.10/onvif/device_service (ONVIF "
                                  "over https is not supported yet)");
        }
        HEARTH_ASSIGN_OR_RETURN(auto password,
                                crypto::SecretBytes::copy_of(camera.password.view()));
        onvif::Client client(transport, onvif::ClientOptions{camera.onvif_url, camera.username,
                                                             std::move(password)});
        HEARTH_TRY(client.connect());
        if (auto info = client.get_device_information()) {
            out.device = info->manufacturer + (info->model.empty() ? "" : " " + info->model);
        }
        HEARTH_ASSIGN_OR_RETURN(auto profiles, client.get_profiles());
        HEARTH_ASSIGN_OR_RETURN(auto choice, choose_streams(profiles));
        HEARTH_ASSIGN_OR_RETURN(auto main_uri, client.get_stream_uri(choice.main.token));
        auto device = onvif::parse_http_url(camera.onvif_url);
        if (!device) {
            return device.error();
        }
        HEARTH_ASSIGN_OR_RETURN(stream, rtsp_address(on_device_host(main_uri, device->host),
                                                     "the camera's stream address"));
        options["onvif"] = camera.onvif_url;
        options["onvif_profile"] = choice.main.token;
        out.ptz = !choice.main.ptz_configuration_token.empty();
        if (choice.sub) {
            if (auto sub_uri = client.get_stream_uri(choice.sub->token)) {
                if (auto sub = rtsp_address(on_device_host(*sub_uri, device->host),
                                            "the camera's sub-stream address")) {
                    options["sub_url"] = sub->url;
                }
            }
        }
    } else {
        HEARTH_ASSIGN_OR_RETURN(stream, rtsp_address(camera.rtsp_url, "the RTSP address"));
        if (!stream.username.empty() || !stream.password.empty()) {
            return make_error(ErrorCode::kInvalidArgument,
                              "give the user name and password in their own fields, not in the "
                              "address");
        }
    }
    out.camera.url = stream.url;
    out.camera.options = options.dump();
    if (camera.check_stream) {
        media::RtspOptions check;
        check.url = stream.url;
        check.username = camera.username;
        check.password = out.camera.password;
        auto probe = media::probe_stream(check, check_timeout);
        crypto::wipe(check.password);
        if (!probe) {
            return make_error(ErrorCode::kUnavailable,
                              "the camera's stream does not play: " + probe.error().message);
        }
        out.stream_summary = probe->summary();
    }
    return out;
}

}  // namespace hearth::onboard
