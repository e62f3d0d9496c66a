// Plain values that travel between Hearth's ONVIF client, the device service and its
// backend: device information, media profiles, PTZ nodes, configurations, positions,
// presets and the PTZ capabilities derived from them.
//
// Coordinates are ONVIF's generic spaces: pan and tilt in [-1, 1], zoom in [0, 1] for
// positions; velocities and speeds in [-1, 1] (a fraction of the top speed); relative
// translations as the camera's TranslationGenericSpace says (usually [-1, 1]).
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hearth::onvif {

struct PanTilt {
    double x = 0;  // pan
    double y = 0;  // tilt
    friend bool operator==(const PanTilt&, const PanTilt&) = default;
};

// A PTZ position, velocity, speed or translation; either part may be absent (a
// ContinuousMove may carry only Zoom, a camera may report only PanTilt).
struct PtzVector {
    std::optional<PanTilt> pan_tilt;
    std::optional<double> zoom;

    static PtzVector of(double pan, double tilt, double zoom) {
        return PtzVector{PanTilt{pan, tilt}, zoom};
    }
    friend bool operator==(const PtzVector&, const PtzVector&) = default;
};

enum class MoveStatus : std::uint8_t { kUnknown = 0, kIdle, kMoving };

struct PtzStatus {
    PtzVector position;  // empty parts when the camera does not report them
    MoveStatus pan_tilt = MoveStatus::kUnknown;
    MoveStatus zoom = MoveStatus::kUnknown;
    std::string error;     // the camera's Error text, if any
    std::string utc_time;  // as the camera wrote it
};

// Which axes a Stop stops.
enum class StopAxes : std::uint8_t { kInvalid = 0, kPanTilt, kZoom, kBoth };

struct Preset {
    std::string token;
    std::string name;
    std::optional<PtzVector> position;
};

struct DeviceInfo {
    std::string manufacturer;
    std::string model;
    std::string firmware_version;
    std::string serial_number;
    std::string hardware_id;
};

// Service addresses (XAddrs) from GetServices or GetCapabilities; empty when absent.
struct Services {
    std::string device;
    std::string media;
    std::string media2;
    std::string ptz;
    std::string imaging;
    std::string events;
};

struct SystemDateTime {
    std::chrono::system_clock::time_point utc;  // the camera's UTC clock
    std::string time_zone;                      // POSIX TZ as the camera wrote it
    bool ntp = false;                           // DateTimeType NTP
};

struct Resolution {
    int width = 0;
    int height = 0;
    friend bool operator==(const Resolution&, const Resolution&) = default;
};

// A Media (ver10) profile: what Hearth needs to choose and open a stream.
struct Profile {
    std::string token;
    std::string name;
    std::string video_source_token;
    std::string video_encoder_token;
    std::string video_encoding;  // "H264", "H265", "JPEG", "MPEG4"; empty without video
    Resolution resolution;
    double fps = 0;                       // FrameRateLimit; 0 when unknown
    int bitrate_kbps = 0;                 // BitrateLimit; 0 when unknown
    std::string audio_encoding;           // "AAC", "G711", "G726"; empty without audio
    std::string ptz_configuration_token;  // empty: the profile has no PTZ
};

// A PTZ node (GetNodes): what the mechanism can do.
struct PtzNode {
    std::string token;
    std::string name;
    bool absolute_pan_tilt = false;
    bool absolute_zoom = false;
    bool relative_pan_tilt = false;
    bool relative_zoom = false;
    bool continuous_pan_tilt = false;
    bool continuous_zoom = false;
    // False when the node listed no SupportedPTZSpaces at all (some cameras omit them);
    // Profile S makes ContinuousMove mandatory for PTZ, so that much is assumed then.
    bool spaces_reported = false;
    int max_presets = 0;
    bool home_supported = false;
    bool fixed_home = false;  // the home position cannot be set
};

// A PTZ configuration (GetConfigurations): which node a profile's PTZ uses.
struct PtzConfiguration {
    std::string token;
    std::string name;
    std::string node_token;
    std::chrono::milliseconds default_timeout{0};  // for ContinuousMove; 0 when unknown
};

// What a caller may attempt on one profile's PTZ; unsupported operations are disabled,
// not attempted. Derived from GetServices/GetCapabilities, GetNodes and GetConfigurations
// by derive_ptz_capabilities().
struct PtzCapabilities {
    bool supported = false;  // a PTZ service and a PTZ configuration on the profile
    bool continuous = false;
    bool relative = false;
    bool absolute = false;
    bool zoom = false;  // any zoom axis (continuous, relative or absolute)
    bool home = false;
    bool set_home = false;
    bool presets = false;
    int max_presets = 0;
    std::string node_token;
    std::string configuration_token;
};

}  // namespace hearth::onvif
