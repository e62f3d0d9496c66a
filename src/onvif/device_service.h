// The device side of ONVIF, for `hearth simcam`: turns a SOAP request (HTTP path and
// body) into a response (HTTP status and SOAP envelope) for the Device (ver10), Media
// (ver10) and PTZ (ver20) services, talking to a DeviceBackend for what the camera is
// and how its PTZ moves. Presets (up to max_presets, 32 by default) and the home
// position are kept here, in memory.
//
// Authentication: when a user name is configured, every operation except ONVIF's
// pre-authentication ones (GetSystemDateAndTime, GetServices, GetServiceCapabilities,
// GetCapabilities, GetHostname, GetWsdlUrl, GetEndpointReference) needs a valid
// WS-Security UsernameToken (wsse::TokenVerifier: digest, +-5 min window, replay
// cache); a missing or bad token gets HTTP 400 with a Sender ter:NotAuthorized fault,
// and the reason goes to the log, not to the client. Without a user name the camera is
// an insecure one (for audits).
//
// Requests are bounded (xml::kMaxRequestBytes) and parsed with onvif/xml.h; a bad
// request gets a Sender fault, an unknown operation Receiver ter:ActionNotSupported.
// Paths: /onvif/device_service, /onvif/media_service, /onvif/ptz_service; any of the
// operations is accepted on any of them, as many cameras do.
//
// Thread-safety: handle() may be called from several threads at once (one internal
// mutex around presets and home; the backend must be thread-safe itself).
//
// Example:
//     onvif::DeviceService service(backend, std::move(options));
//     auto response = service.handle({"/onvif/ptz_service", body, "192.0.2.5:8555"});
//     send(response.status, response.body);  // Content-Type: application/soap+xml
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"
#include "onvif/types.h"
#include "onvif/wsse.h"

namespace hearth::onvif {

inline constexpr std::string_view kDeviceServicePath = "/onvif/device_service";
inline constexpr std::string_view kMediaServicePath = "/onvif/media_service";
inline constexpr std::string_view kPtzServicePath = "/onvif/ptz_service";
// The one PTZ node and configuration a DeviceService describes; a backend's PTZ profiles
// name kPtzConfigurationToken.
inline constexpr std::string_view kPtzNodeToken = "ptz_node";
inline constexpr std::string_view kPtzConfigurationToken = "ptz_config";

// What the camera is and does. Called from DeviceService::handle()'s threads.
class DeviceBackend {
public:
    virtual ~DeviceBackend() = default;
    virtual DeviceInfo device_info() const = 0;
    // Media profiles; a profile with PTZ names kPtzConfigurationToken.
    virtual std::vector<Profile> profiles() const = 0;
    // The RTSP address of `profile`'s stream for a client that reached the camera at
    // `host` (an address or name, no port).
    virtual std::string stream_uri(const Profile& profile, std::string_view host) const = 0;

    // PTZ. Vectors arrive complete (every part present) and inside the generic spaces:
    // velocities in [-1, 1], positions pan/tilt [-1, 1] and zoom [0, 1], speeds in (0, 1].
    virtual bool has_ptz() const = 0;
    // Moves until stop(), another move, or `timeout`.
    virtual void continuous_move(const PtzVector& velocity, std::chrono::milliseconds timeout) = 0;
    virtual void absolute_move(const PtzVector& position, const PtzVector& speed) = 0;
    virtual void relative_move(const PtzVector& translation, const PtzVector& speed) = 0;
    virtual void stop(StopAxes axes) = 0;
    // Complete position and move status.
    virtual PtzStatus status() = 0;
};

struct DeviceServiceOptions {
    std::string username;  // empty: no authentication (an insecure camera)
    crypto::SecretBytes password;
    std::string hostname = "hearth-simcam";
    std::vector<std::string> scopes;  // for GetScopes
    int max_presets = 32;
    std::chrono::milliseconds default_ptz_timeout{10000};  // ContinuousMove without Timeout
    std::function<std::chrono::system_clock::time_point()> now = [] {
        return std::chrono::system_clock::now();
    };
    wsse::TokenVerifier::Options verifier;
};

struct DeviceRequest {
    std::string_view path;
    std::string_view body;
    // host:port the client reached (the local end of its connection): service addresses
    // and stream URIs are built from it.
    std::string host;
};

struct DeviceResponse {
    int status = 200;
    std::string body;  // a SOAP 1.2 envelope
};

class DeviceService {
public:
    DeviceService(std::shared_ptr<DeviceBackend> backend, DeviceServiceOptions options);
    ~DeviceService();
    DeviceService(const DeviceService&) = delete;
    DeviceService& operator=(const DeviceService&) = delete;

    DeviceResponse handle(const DeviceRequest& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::onvif
