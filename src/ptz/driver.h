// One pan/tilt/zoom interface for every camera the hub can steer: the sim camera's
// virtual PTZ and ONVIF cameras. Positions and velocities are in ONVIF's generic
// spaces (pan/tilt in [-1, 1], zoom in [0, 1], velocities in [-1, 1]).
//
// A driver does what it is told, nothing more: who may steer, how fast and who holds
// the camera are ptz::Service's business.
//
// Thread: any, one call at a time (ptz::Service serialises them per camera); calls may
// block on the network (ONVIF) for a few seconds, so the API runs them off its network
// threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "media/sim_ptz.h"

namespace hearth::ptz {

using Vector = media::PtzVector;

// What the camera can do; the app offers only these.
struct Capabilities {
    bool continuous = false;
    bool relative = false;
    bool absolute = false;
    bool home = false;
    bool presets = false;
    bool zoom = false;
    bool reports_position = false;
    int max_presets = 0;  // the hub's limit is 32 whatever the camera allows
};

struct Status {
    std::optional<Vector> position;  // when the camera reports one
    bool moving = false;
};

// Where a saved preset lives: the camera's own token (ONVIF) and/or a position.
struct PresetRef {
    std::string token;
    std::optional<Vector> position;
};

class Driver {
public:
    virtual ~Driver() = default;
    // May connect first (ONVIF): what the camera offers now.
    virtual Capabilities capabilities() = 0;
    // Moves at `velocity` until stop(), another move, or `timeout`: a browser that goes
    // away mid-move cannot leave the camera turning.
    virtual core::Status continuous_move(const Vector& velocity,
                                         std::chrono::milliseconds timeout) = 0;
    virtual core::Status stop() = 0;
    virtual core::Status relative_move(const Vector& delta) = 0;
    virtual core::Status absolute_move(const Vector& position) = 0;
    virtual core::Status go_home() = 0;
    virtual core::Result<Status> status() = 0;
    // Saves the current view under `name`, replacing `existing` (same name) if given.
    virtual core::Result<PresetRef> save_preset(std::string_view name,
                                                const PresetRef* existing) = 0;
    virtual core::Status goto_preset(const PresetRef& preset) = 0;
    virtual core::Status remove_preset(const PresetRef& preset) = 0;
};

}  // namespace hearth::ptz
