// Who steers which camera: the hub's PTZ service over every camera's driver.
//
// One controller at a time holds a camera. The first command takes the hold; it lasts
// while commands keep coming and ends `hold_idle` after the last one, on release(), or
// when someone with the `manage` right ends it. Anyone else's command is refused with
// the holder's name, so a family member sees who is turning the camera. Commands are
// rate-limited per hold (a token bucket), continuous moves always carry a timeout of at
// most `max_continuous`, and every hold's start and end is reported (the hub audits
// them and shows them as presence). Presets (at most 32 per camera) are kept in the
// index under their names, with the camera's own token where it has one.
//
// Rights are not checked here: the API's gate does that before any call.
// Thread-safety: every method is safe from any thread. Driver calls (which may block on
// the network) run without the service lock, serialised per camera. `started` runs under
// the service lock (so its tag is in place before anyone can end the hold) and must not
// call the service; `ended` runs without any lock held.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "ptz/driver.h"
#include "store/index.h"

namespace hearth::ptz {

inline constexpr int kMaxPresets = 32;
inline constexpr std::size_t kMaxPresetNameBytes = 64;

struct Controller {
    core::UserId user;
    std::string name;
    core::SessionId session;  // the hold belongs to one login, not every device of the user
    std::string source;       // client address
    std::string user_agent;
};

struct Hold {
    Controller who;
    core::WallMicros since_us = 0;
    core::WallMicros last_us = 0;
    std::int64_t commands = 0;
    std::uint64_t tag = 0;  // what hold_started returned (the hub's presence entry)
};

enum class HoldEnd : std::uint8_t { kInvalid = 0, kIdle, kReleased, kEnded, kCameraGone };
const char* to_string(HoldEnd end);

struct Command {
    enum class Kind : std::uint8_t {
        kInvalid = 0,
        kContinuous,
        kRelative,
        kAbsolute,
        kStop,
        kHome,
        kPreset
    };
    Kind kind = Kind::kInvalid;
    Vector vector;                        // velocity, delta or position
    std::chrono::milliseconds timeout{};  // continuous: capped at max_continuous
    std::string preset;                   // kPreset: its name
};
const char* to_string(Command::Kind kind);

struct ServiceOptions {
    std::chrono::milliseconds hold_idle{15'000};
    std::chrono::milliseconds max_continuous{2'000};
    double commands_per_second = 10;
    double burst = 20;
};

struct HoldCallbacks {
    // A new hold; returns a tag kept with it (e.g. a presence id).
    std::function<std::uint64_t(core::CameraId, const Hold&)> started;
    std::function<void(core::CameraId, const Hold&, HoldEnd)> ended;
};

class Service {
public:
    Service(store::Index* index, const core::Clock* clock, ServiceOptions options,
            HoldCallbacks callbacks);
    ~Service();

    // Gives `camera` a driver (replacing any); detach() ends its hold.
    void attach(core::CameraId camera, std::unique_ptr<Driver> driver);
    void detach(core::CameraId camera);

    // Null when the camera cannot be steered (no driver).
    std::optional<Capabilities> capabilities(core::CameraId camera);
    std::optional<Hold> holder(core::CameraId camera);
    core::Result<Status> status(core::CameraId camera);

    // Errors: kNotFound (camera cannot be steered, no such preset), kFailedPrecondition
    // ("NAME is steering this camera"), kResourceExhausted (too many commands),
    // kUnimplemented (the camera cannot do this), kInvalidArgument, or the driver's error.
    core::Status command(core::CameraId camera, const Controller& who, const Command& command);

    core::Result<std::vector<store::PtzPreset>> presets(core::CameraId camera);
    // Saves the current view as `name` (taking the hold like a command).
    core::Status save_preset(core::CameraId camera, const Controller& who, std::string_view name);
    core::Status remove_preset(core::CameraId camera, const Controller& who, std::string_view name);

    // The holder lets go. False when `who` does not hold it.
    bool release(core::CameraId camera, const Controller& who);
    // Someone else ends the hold (an owner, from presence): that login may not steer again
    // for hold_idle, and the camera is stopped at the next expire() (without waiting on the
    // camera here; a continuous move stops by its own timeout anyway). False when nobody
    // holds it.
    bool end_hold(core::CameraId camera);
    // Ends holds idle for longer than hold_idle and sends pending stops. Thread: the hub's
    // housekeeping (it may wait on cameras).
    void expire();

private:
    struct Camera {
        std::shared_ptr<Driver> driver;
        std::shared_ptr<std::mutex> driver_mu;  // one driver call at a time
        std::optional<Hold> hold;
        double tokens = 0;
        core::WallMicros tokens_at_us = 0;
        // The login whose hold someone else ended: refused until its hold would have lapsed.
        core::SessionId ended_session;
        core::WallMicros ended_at_us = 0;
        bool stop_pending = false;  // sent by expire(), off the caller's thread
    };
    struct Ended {
        core::CameraId camera;
        Hold hold;
        HoldEnd why = HoldEnd::kInvalid;
    };
    // Takes or refreshes the hold and spends a token; returns the driver to call.
    core::Result<std::pair<std::shared_ptr<Driver>, std::shared_ptr<std::mutex>>> admit(
        core::CameraId camera, const Controller& who);
    void report(std::vector<Ended> ended);

    store::Index* index_;
    const core::Clock* clock_;
    ServiceOptions options_;
    HoldCallbacks callbacks_;
    std::mutex mu_;
    std::map<core::CameraId, Camera> cameras_;  // GUARDED_BY(mu_)
};

// Checks a preset name: 1-64 bytes of UTF-8 without control characters or '/'.
core::Status check_preset_name(std::string_view name);

}  // namespace hearth::ptz
