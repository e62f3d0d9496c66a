// Hearth's ONVIF client for one camera: device information, media profiles and stream
// addresses, and PTZ (ver20) with the capabilities that say which PTZ operations the
// camera supports, so callers disable the others instead of attempting them.
//
// Requests carry a WS-Security UsernameToken (PasswordDigest) whose Created is shifted by
// the camera's clock offset, learnt from GetSystemDateAndTime by connect(); the
// pre-authentication calls (GetSystemDateAndTime, GetServices, GetCapabilities) go
// without one, as ONVIF allows. A camera with no user name configured is an insecure
// camera: no token is sent at all.
//
// Service addresses come from GetServices (falling back to GetCapabilities for older
// cameras). A service address on another host than the device address is redirected to
// the device address (same path): a camera cannot send Hearth's requests elsewhere, and
// cameras behind NAT often report addresses nobody can reach anyway.
//
// Thread: not thread-safe; use one Client from one thread (the PTZ driver's control
// thread). Every call blocks up to the transport's deadline (5 s by default).
// Errors: as messages::read_response and soap::fault_to_error describe; wrong
// credentials are kPermissionDenied with soap::kRefusedCredentials; an operation the
// camera lacks is kFailedPrecondition (soap::is_not_supported()).
//
// Example:
//     onvif::ClientOptions o{"http://192.0.2.10/onvif/device_service", "admin",
//                            std::move(password)};
//     onvif::Client camera(std::make_shared<onvif::HttpTransport>(), std::move(o));
//     HEARTH_TRY(camera.connect());
//     HEARTH_ASSIGN_OR_RETURN(auto profiles, camera.get_profiles());
//     HEARTH_ASSIGN_OR_RETURN(auto caps, camera.ptz_capabilities(profiles[0]));
//     if (caps.continuous) HEARTH_TRY(camera.continuous_move(profiles[0].token, v, 1s));
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"
#include "onvif/soap.h"
#include "onvif/transport.h"
#include "onvif/types.h"

namespace hearth::onvif {

struct ClientOptions {
    std::string device_url;  // http://host[:port]/onvif/device_service
    std::string username;    // empty: the camera has no authentication
    crypto::SecretBytes password;
};

class Client {
public:
    using Now = std::function<std::chrono::system_clock::time_point()>;

    // `now` is the local wall clock (injected for tests).
    Client(
        std::shared_ptr<Transport> transport, ClientOptions options,
        Now now = [] { return std::chrono::system_clock::now(); });

    // GetSystemDateAndTime (sets the clock offset; a camera that refuses it keeps offset
    // 0), then GetServices, or GetCapabilities when the camera lacks GetServices.
    core::Status connect();

    // Device service.
    core::Result<SystemDateTime> get_system_date_and_time();
    core::Result<Services> get_services();
    core::Result<Services> get_capabilities();
    core::Result<DeviceInfo> get_device_information();

    // Media service (ver10).
    core::Result<std::vector<Profile>> get_profiles();
    // The RTP-Unicast over RTSP address of `profile_token`'s stream (no credentials in it).
    core::Result<std::string> get_stream_uri(std::string_view profile_token);

    // PTZ service (ver20).
    core::Result<std::vector<PtzNode>> get_nodes();
    core::Result<std::vector<PtzConfiguration>> get_configurations();
    core::Result<PtzStatus> get_status(std::string_view profile_token);
    // Moves at `velocity` until Stop or `timeout` (nullopt: the camera's default).
    core::Status continuous_move(std::string_view profile_token, const PtzVector& velocity,
                                 std::optional<std::chrono::milliseconds> timeout = {});
    core::Status stop(std::string_view profile_token, StopAxes axes = StopAxes::kBoth);
    core::Status relative_move(std::string_view profile_token, const PtzVector& translation,
                               const std::optional<PtzVector>& speed = {});
    core::Status absolute_move(std::string_view profile_token, const PtzVector& position,
                               const std::optional<PtzVector>& speed = {});
    core::Status goto_home_position(std::string_view profile_token,
                                    const std::optional<PtzVector>& speed = {});
    core::Status set_home_position(std::string_view profile_token);
    core::Result<std::vector<Preset>> get_presets(std::string_view profile_token);
    // Saves the current position as a new preset named `name` (or overwrites `token`'s);
    // returns the preset's token.
    core::Result<std::string> set_preset(std::string_view profile_token, std::string_view name,
                                         std::string_view token = {});
    core::Status goto_preset(std::string_view profile_token, std::string_view preset_token,
                             const std::optional<PtzVector>& speed = {});
    core::Status remove_preset(std::string_view profile_token, std::string_view preset_token);

    // What `profile`'s PTZ can do (GetConfigurations and GetNodes, asked once and
    // remembered). A camera without a PTZ service gives all-false capabilities.
    core::Result<PtzCapabilities> ptz_capabilities(const Profile& profile);

    // The service addresses in use (after connect(); the device address before).
    const Services& services() const { return services_; }
    // Camera clock minus local clock, as learnt by connect().
    std::chrono::milliseconds clock_offset() const { return clock_offset_; }

private:
    enum class Auth : std::uint8_t { kInvalid = 0, kNone, kToken };
    enum class Service : std::uint8_t { kInvalid = 0, kDevice, kMedia, kPtz };

    core::Result<soap::Message> call(Service service, std::string_view operation,
                                     soap::Envelope& envelope, Auth auth);
    core::Status ensure_services();
    std::string service_url(Service service) const;
    std::string reachable(std::string url) const;

    std::shared_ptr<Transport> transport_;
    ClientOptions options_;
    Now now_;
    Services services_;
    bool connected_ = false;
    std::chrono::milliseconds clock_offset_{0};
    std::optional<std::vector<PtzConfiguration>> configurations_;
    std::optional<std::vector<PtzNode>> nodes_;
};

}  // namespace hearth::onvif
