// Adding a real camera the way people expect: pick it from the cameras found on the home
// network (WS-Discovery), or give its RTSP address; give its user name and password; the
// hub asks the camera (ONVIF Media GetProfiles / GetStreamUri) which streams it has, takes
// the best one for recording and a small one for detection when there is one, checks that
// the recording stream plays, and only then saves the camera.
//
// Thread: any; every function blocks on the network (seconds), so the API runs them off its
// network threads. Errors: kInvalidArgument (bad input), kPermissionDenied (the camera
// refused the credentials), kUnavailable (not reachable, stream does not play),
// kNotFound (no usable stream).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"
#include "onvif/discovery.h"
#include "onvif/transport.h"
#include "onvif/types.h"
#include "store/index.h"

namespace hearth::onboard {

// A camera that answered a WS-Discovery probe.
struct Found {
    std::string device_url;  // its ONVIF device service
    std::string address;     // where the answer came from
    std::string name;        // its "name" scope, if any
    std::string hardware;    // its "hardware" scope, if any
    std::string endpoint;    // stable id (urn:uuid:...)
};

// Probes and turns the answers into Found entries: one per device, with its first http://
// XAddr on the host that answered (answers naming only other hosts are dropped).
core::Result<std::vector<Found>> discover(const onvif::discovery::DiscoverOptions& options);

// The main (recording) and sub (detection) profiles among `profiles`: main is the largest
// H.264/H.265 one, sub the smallest other one with video smaller than main (none when
// there is no such). Error: kNotFound when no profile has H.264 or H.265 video.
struct StreamChoice {
    onvif::Profile main;
    std::optional<onvif::Profile> sub;
};
core::Result<StreamChoice> choose_streams(const std::vector<onvif::Profile>& profiles);

// `rtsp_url` moved to `device_host` (the ONVIF device's own host), keeping its port and
// path: the camera's password goes only where the owner pointed the hub, whatever host a
// tampered or spoofed GetStreamUri answer names.
std::string on_device_host(const std::string& rtsp_url, const std::string& device_host);

struct NewCamera {
    std::string name;
    std::string onvif_url;  // one of these two
    std::string rtsp_url;
    std::string username;
    crypto::SecretBytes password;
    bool check_stream = true;  // false: save without playing it (a camera that is off)
};

// What adding would store, and what was found on the way.
struct Plan {
    store::Camera camera;        // kind rtsp; options carry the ONVIF address and profiles
    std::string stream_summary;  // "h264 1920x1080, aac 16000 Hz" when checked
    std::string device;          // "Maker Model" from ONVIF, when known
    bool ptz = false;            // the main profile has PTZ
};

core::Result<Plan> plan(const NewCamera& camera, std::shared_ptr<onvif::Transport> transport,
                        std::chrono::milliseconds check_timeout = std::chrono::seconds(10));

}  // namespace hearth::onboard
