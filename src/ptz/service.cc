#include "ptz/service.h"

#include <algorithm>
#include <cmath>

namespace hearth::ptz {

using core::ErrorCode;
using core::make_error;

const char* to_string(HoldEnd end) {
    switch (end) {
        case HoldEnd::kIdle:
            return "idle";
        case HoldEnd::kReleased:
            return "released";
        case HoldEnd::kEnded:
            return "ended by another user";
        case HoldEnd::kCameraGone:
            return "camera stopped";
        case HoldEnd::kInvalid:
            break;
    }
    return "invalid";
}

const char* to_string(Command::Kind kind) {
    switch (kind) {
        case Command::Kind::kContinuous:
            return "continuous";
        case Command::Kind::kRelative:
            return "relative";
        case Command::Kind::kAbsolute:
            return "absolute";
        case Command::Kind::kStop:
            return "stop";
        case Command::Kind::kHome:
            return "home";
        case Command::Kind::kPreset:
            return "preset";
        case Command::Kind::kInvalid:
            break;
    }
    return "invalid";
}

core::Status check_preset_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxPresetNameBytes) {
        return make_error(
            ErrorCode::kInvalidArgument,
            "a preset name is 1 to " + std::to_string(kMaxPresetNameBytes) + " bytes");
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        const auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
        const auto third = i + 2 < name.size() ? static_cast<unsigned char>(name[i + 2]) : 0;
        // C0/C1 controls, and the bidirectional overrides that make a name read as another.
        const bool c1 = c == 0xc2 && next >= 0x80 && next <= 0x9f;
        const bool bidi = c == 0xe2 && ((next == 0x80 && third >= 0xaa && third <= 0xae) ||
                                        (next == 0x81 && third >= 0xa6 && third <= 0xa9));
        if (c < 0x20 || c == 0x7f || c1 || bidi || c == '/') {
            return make_error(ErrorCode::kInvalidArgument,
                              "a preset name must not contain '/', control or direction "
                              "characters");
        }
    }
    return {};
}

Service::Service(store::Index* index, const core::Clock* clock, ServiceOptions options,
                 HoldCallbacks callbacks)
    : index_(index), clock_(clock), options_(options), callbacks_(std::move(callbacks)) {}

Service::~Service() = default;

void Service::attach(core::CameraId camera, std::unique_ptr<Driver> driver) {
    std::vector<Ended> ended;
    {
        std::lock_guard lock(mu_);
        auto& c = cameras_[camera];
        if (c.hold) {
            ended.push_back({camera, *c.hold, HoldEnd::kCameraGone});
            c.hold.reset();
        }
        c.driver = std::move(driver);
        c.driver_mu = std::make_shared<std::mutex>();
        c.tokens = options_.burst;
        c.tokens_at_us = clock_->now_us();
    }
    report(std::move(ended));
}

void Service::detach(core::CameraId camera) {
    std::vector<Ended> ended;
    {
        std::lock_guard lock(mu_);
        const auto it = cameras_.find(camera);
        if (it == cameras_.end()) {
            return;
        }
        if (it->second.hold) {
            ended.push_back({camera, *it->second.hold, HoldEnd::kCameraGone});
        }
        cameras_.erase(it);
    }
    report(std::move(ended));
}

std::optional<Capabilities> Service::capabilities(core::CameraId camera) {
    std::shared_ptr<Driver> driver;
    std::shared_ptr<std::mutex> driver_mu;
    {
        std::lock_guard lock(mu_);
        const auto it = cameras_.find(camera);
        if (it == cameras_.end()) {
            return std::nullopt;
        }
        driver = it->second.driver;
        driver_mu = it->second.driver_mu;
    }
    std::lock_guard call(*driver_mu);
    const Capabilities c = driver->capabilities();
    // A camera that can do none of it (no PTZ, or not reachable yet) cannot be steered.
    if (!c.continuous && !c.relative && !c.absolute && !c.home && !c.presets) {
        return std::nullopt;
    }
    return c;
}

std::optional<Hold> Service::holder(core::CameraId camera) {
    std::lock_guard lock(mu_);
    const auto it = cameras_.find(camera);
    if (it == cameras_.end()) {
        return std::nullopt;
    }
    return it->second.hold;
}

core::Result<Status> Service::status(core::CameraId camera) {
    std::shared_ptr<Driver> driver;
    std::shared_ptr<std::mutex> driver_mu;
    {
        std::lock_guard lock(mu_);
        const auto it = cameras_.find(camera);
        if (it == cameras_.end()) {
            return make_error(ErrorCode::kNotFound, "this camera cannot be steered");
        }
        driver = it->second.driver;
        driver_mu = it->second.driver_mu;
    }
    std::lock_guard call(*driver_mu);
    return driver->status();
}

core::Result<std::pair<std::shared_ptr<Driver>, std::shared_ptr<std::mutex>>> Service::admit(
    core::CameraId camera, const Controller& who) {
    std::vector<Ended> ended;
    core::Result<std::pair<std::shared_ptr<Driver>, std::shared_ptr<std::mutex>>> out =
        make_error(ErrorCode::kNotFound, "this camera cannot be steered");
    {
        std::lock_guard lock(mu_);
        const auto it = cameras_.find(camera);
        if (it == cameras_.end()) {
            return out;
        }
        auto& c = it->second;
        const auto now = clock_->now_us();
        const auto idle_us =
            std::chrono::duration_cast<std::chrono::microseconds>(options_.hold_idle).count();
        // A wall clock stepped back must not pin a hold: such a hold has lapsed too.
        if (c.hold && (now - c.hold->last_us > idle_us || now < c.hold->last_us)) {
            ended.push_back({camera, *c.hold, HoldEnd::kIdle});
            c.hold.reset();
        }
        if (!c.hold && c.ended_session == who.session && now >= c.ended_at_us &&
            now - c.ended_at_us <= idle_us) {
            out = make_error(ErrorCode::kFailedPrecondition,
                             "someone who manages this camera ended your control of it");
        } else if (c.hold && c.hold->who.session != who.session) {
            out = make_error(ErrorCode::kFailedPrecondition,
                             c.hold->who.name + " is steering this camera");
        } else {
            // Token bucket: refill by elapsed time, spend one per command.
            const double elapsed_s =
                static_cast<double>(std::max<core::WallMicros>(0, now - c.tokens_at_us)) / 1e6;
            c.tokens =
                std::min(options_.burst, c.tokens + elapsed_s * options_.commands_per_second);
            c.tokens_at_us = now;
            if (c.tokens < 1) {
                out = make_error(ErrorCode::kResourceExhausted, "too many camera moves; slow down");
            } else {
                c.tokens -= 1;
                if (!c.hold) {
                    c.hold = Hold{who, now, now, 0, 0};
                    if (callbacks_.started) {
                        c.hold->tag = callbacks_.started(camera, *c.hold);
                    }
                }
                c.hold->last_us = now;
                ++c.hold->commands;
                out = std::pair(c.driver, c.driver_mu);
            }
        }
    }
    report(std::move(ended));
    return out;
}

core::Status Service::command(core::CameraId camera, const Controller& who, const Command& cmd) {
    if (cmd.kind == Command::Kind::kInvalid) {
        return make_error(ErrorCode::kInvalidArgument, "unknown PTZ command");
    }
    auto caps = capabilities(camera);
    if (!caps) {
        return make_error(ErrorCode::kNotFound, "this camera cannot be steered");
    }
    auto unsupported = [](const char* what) {
        return make_error(ErrorCode::kUnimplemented, std::string("this camera cannot ") + what);
    };
    std::optional<store::PtzPreset> preset;
    switch (cmd.kind) {
        case Command::Kind::kContinuous:
            if (!caps->continuous) return unsupported("move continuously");
            if (cmd.vector.zoom != 0 && !caps->zoom) return unsupported("zoom");
            break;
        case Command::Kind::kRelative:
            if (!caps->relative) return unsupported("move by a step");
            if (cmd.vector.zoom != 0 && !caps->zoom) return unsupported("zoom");
            break;
        case Command::Kind::kAbsolute:
            if (!caps->absolute) return unsupported("move to a position");
            break;
        case Command::Kind::kHome:
            if (!caps->home) return unsupported("go to its home position");
            break;
        case Command::Kind::kPreset: {
            if (!caps->presets) return unsupported("use presets");
            HEARTH_ASSIGN_OR_RETURN(auto p, index_->ptz_preset(camera, cmd.preset));
            preset = std::move(p);
            break;
        }
        case Command::Kind::kStop:
        case Command::Kind::kInvalid:
            break;
    }
    HEARTH_ASSIGN_OR_RETURN(auto driver, admit(camera, who));
    std::lock_guard call(*driver.second);
    Driver& d = *driver.first;
    switch (cmd.kind) {
        case Command::Kind::kContinuous: {
            const auto timeout =
                std::clamp(cmd.timeout, std::chrono::milliseconds(100), options_.max_continuous);
            return d.continuous_move(cmd.vector, timeout);
        }
        case Command::Kind::kRelative:
            return d.relative_move(cmd.vector);
        case Command::Kind::kAbsolute:
            return d.absolute_move(cmd.vector);
        case Command::Kind::kStop:
            return d.stop();
        case Command::Kind::kHome:
            return d.go_home();
        case Command::Kind::kPreset: {
            PresetRef ref{preset->token, std::nullopt};
            if (preset->has_position) {
                ref.position = Vector{preset->pan, preset->tilt, preset->zoom};
            }
            return d.goto_preset(ref);
        }
        case Command::Kind::kInvalid:
            break;
    }
    return make_error(ErrorCode::kInvalidArgument, "unknown PTZ command");
}

core::Result<std::vector<store::PtzPreset>> Service::presets(core::CameraId camera) {
    return index_->ptz_presets(camera);
}

core::Status Service::save_preset(core::CameraId camera, const Controller& who,
                                  std::string_view name) {
    HEARTH_TRY(check_preset_name(name));
    auto caps = capabilities(camera);
    if (!caps) {
        return make_error(ErrorCode::kNotFound, "this camera cannot be steered");
    }
    if (!caps->presets) {
        return make_error(ErrorCode::kUnimplemented, "this camera cannot use presets");
    }
    std::optional<PresetRef> existing;
    if (auto old = index_->ptz_preset(camera, name)) {
        existing = PresetRef{old->token, std::nullopt};
    } else if (old.error().code != ErrorCode::kNotFound) {
        return old.error();
    } else {
        // Refuse before the camera stores anything when the hub's list is full.
        HEARTH_ASSIGN_OR_RETURN(auto all, index_->ptz_presets(camera));
        const int limit =
            std::min(kMaxPresets, caps->max_presets > 0 ? caps->max_presets : kMaxPresets);
        if (static_cast<int>(all.size()) >= limit) {
            return make_error(
                ErrorCode::kResourceExhausted,
                "this camera already has " + std::to_string(limit) + " presets; remove one first");
        }
    }
    HEARTH_ASSIGN_OR_RETURN(auto driver, admit(camera, who));
    core::Result<PresetRef> ref = make_error(ErrorCode::kInternal, "unset");
    {
        std::lock_guard call(*driver.second);
        ref = driver.first->save_preset(name, existing ? &*existing : nullptr);
    }
    if (!ref) {
        return ref.error();
    }
    store::PtzPreset p;
    p.name = std::string(name);
    p.token = ref->token;
    p.has_position = ref->position.has_value();
    if (ref->position) {
        p.pan = ref->position->pan;
        p.tilt = ref->position->tilt;
        p.zoom = ref->position->zoom;
    }
    p.created_us = clock_->now_us();
    return index_->put_ptz_preset(camera, p, kMaxPresets);
}

core::Status Service::remove_preset(core::CameraId camera, const Controller& who,
                                    std::string_view name) {
    HEARTH_ASSIGN_OR_RETURN(auto preset, index_->ptz_preset(camera, name));
    HEARTH_ASSIGN_OR_RETURN(auto driver, admit(camera, who));
    {
        std::lock_guard call(*driver.second);
        PresetRef ref{preset.token, std::nullopt};
        // A camera that has already forgotten it should not keep the hub's entry alive.
        if (auto removed = driver.first->remove_preset(ref);
            !removed && removed.error().code != ErrorCode::kNotFound) {
            return removed.error();
        }
    }
    return index_->remove_ptz_preset(camera, name);
}

bool Service::release(core::CameraId camera, const Controller& who) {
    std::vector<Ended> ended;
    {
        std::lock_guard lock(mu_);
        const auto it = cameras_.find(camera);
        if (it == cameras_.end() || !it->second.hold ||
            it->second.hold->who.session != who.session) {
            return false;
        }
        ended.push_back({camera, *it->second.hold, HoldEnd::kReleased});
        it->second.hold.reset();
    }
    report(std::move(ended));
    return true;
}

bool Service::end_hold(core::CameraId camera) {
    std::vector<Ended> ended;
    {
        std::lock_guard lock(mu_);
        const auto it = cameras_.find(camera);
        if (it == cameras_.end() || !it->second.hold) {
            return false;
        }
        auto& c = it->second;
        ended.push_back({camera, *c.hold, HoldEnd::kEnded});
        c.ended_session = c.hold->who.session;
        c.ended_at_us = clock_->now_us();
        c.stop_pending = true;
        c.hold.reset();
    }
    report(std::move(ended));
    return true;
}

void Service::expire() {
    std::vector<Ended> ended;
    std::vector<std::pair<std::shared_ptr<Driver>, std::shared_ptr<std::mutex>>> to_stop;
    {
        std::lock_guard lock(mu_);
        const auto now = clock_->now_us();
        const auto idle_us =
            std::chrono::duration_cast<std::chrono::microseconds>(options_.hold_idle).count();
        for (auto& [camera, c] : cameras_) {
            if (c.hold && (now - c.hold->last_us > idle_us || now < c.hold->last_us)) {
                ended.push_back({camera, *c.hold, HoldEnd::kIdle});
                c.hold.reset();
            }
            if (c.stop_pending) {
                c.stop_pending = false;
                to_stop.emplace_back(c.driver, c.driver_mu);
            }
        }
    }
    report(std::move(ended));
    // Whoever was cut off leaves the camera where it is now.
    for (auto& [driver, driver_mu] : to_stop) {
        std::lock_guard call(*driver_mu);
        (void)driver->stop();
    }
}

void Service::report(std::vector<Ended> ended) {
    if (!callbacks_.ended) {
        return;
    }
    for (const auto& e : ended) {
        callbacks_.ended(e.camera, e.hold, e.why);
    }
}

}  // namespace hearth::ptz
