#include "ptz/onvif_driver.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "onvif/client.h"

namespace hearth::ptz {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRetryAfter = std::chrono::seconds(30);

class OnvifDriver final : public Driver {
public:
    OnvifDriver(std::shared_ptr<onvif::Transport> transport, OnvifTarget target)
        : transport_(std::move(transport)), target_(std::move(target)) {}

    Capabilities capabilities() override { return ensure_connected() ? caps_ : Capabilities{}; }
    core::Status continuous_move(const Vector& v, std::chrono::milliseconds timeout) override {
        HEARTH_TRY(ready());
        return client_->continuous_move(profile_, onvif_vector(v, caps_.zoom), timeout);
    }
    core::Status stop() override {
        HEARTH_TRY(ready());
        return client_->stop(profile_, onvif::StopAxes::kBoth);
    }
    core::Status relative_move(const Vector& d) override {
        HEARTH_TRY(ready());
        return client_->relative_move(profile_, onvif_vector(d, caps_.zoom));
    }
    core::Status absolute_move(const Vector& p) override {
        HEARTH_TRY(ready());
        return client_->absolute_move(profile_, onvif_vector(p, caps_.zoom));
    }
    core::Status go_home() override {
        HEARTH_TRY(ready());
        return client_->goto_home_position(profile_);
    }
    core::Result<Status> status() override {
        HEARTH_TRY(ready());
        HEARTH_ASSIGN_OR_RETURN(auto s, client_->get_status(profile_));
        Status out;
        if (s.position.pan_tilt || s.position.zoom) {
            const auto pt = s.position.pan_tilt.value_or(onvif::PanTilt{});
            out.position = Vector{pt.x, pt.y, s.position.zoom.value_or(0)};
        }
        out.moving =
            s.pan_tilt == onvif::MoveStatus::kMoving || s.zoom == onvif::MoveStatus::kMoving;
        return out;
    }
    core::Result<PresetRef> save_preset(std::string_view name, const PresetRef* existing) override {
        HEARTH_TRY(ready());
        HEARTH_ASSIGN_OR_RETURN(
            auto token,
            client_->set_preset(profile_, name, existing ? existing->token : std::string()));
        return PresetRef{std::move(token), std::nullopt};
    }
    core::Status goto_preset(const PresetRef& preset) override {
        HEARTH_TRY(ready());
        if (preset.token.empty()) {
            return core::make_error(core::ErrorCode::kFailedPrecondition,
                                    "this preset was not saved on the camera");
        }
        return client_->goto_preset(profile_, preset.token);
    }
    core::Status remove_preset(const PresetRef& preset) override {
        HEARTH_TRY(ready());
        return preset.token.empty() ? core::Status{}
                                    : client_->remove_preset(profile_, preset.token);
    }

private:
    static onvif::PtzVector onvif_vector(const Vector& v, bool zoom) {
        onvif::PtzVector out;
        out.pan_tilt = onvif::PanTilt{v.pan, v.tilt};
        if (zoom) {
            out.zoom = v.zoom;
        }
        return out;
    }

    bool ensure_connected() {
        if (client_) {
            return true;
        }
        const auto now = Clock::now();
        if (tried_ && now - last_try_ < kRetryAfter) {
            return false;
        }
        tried_ = true;
        last_try_ = now;
        auto connected = connect();
        if (!connected) {
            // The message names the camera's reason; never the credentials.
            last_error_ = connected.error();
            spdlog::warn("ptz: ONVIF {} not available: {}", target_.device_url,
                         connected.error().message);
            return false;
        }
        return true;
    }

    core::Status connect() {
        HEARTH_ASSIGN_OR_RETURN(auto password,
                                crypto::SecretBytes::copy_of(target_.password.view()));
        auto client = std::make_unique<onvif::Client>(
            transport_,
            onvif::ClientOptions{target_.device_url, target_.username, std::move(password)});
        HEARTH_TRY(client->connect());
        HEARTH_ASSIGN_OR_RETURN(auto profiles, client->get_profiles());
        const onvif::Profile* chosen = nullptr;
        for (const auto& p : profiles) {
            if (target_.profile_token.empty() ? !p.ptz_configuration_token.empty()
                                              : p.token == target_.profile_token) {
                chosen = &p;
                break;
            }
        }
        if (chosen == nullptr) {
            return core::make_error(core::ErrorCode::kNotFound,
                                    "the camera has no profile with PTZ");
        }
        HEARTH_ASSIGN_OR_RETURN(auto caps, client->ptz_capabilities(*chosen));
        caps_ = Capabilities{};
        if (caps.supported) {
            caps_.continuous = caps.continuous;
            caps_.relative = caps.relative;
            caps_.absolute = caps.absolute;
            caps_.home = caps.home;
            caps_.presets = caps.presets;
            caps_.zoom = caps.zoom;
            caps_.max_presets = caps.max_presets;
        }
        profile_ = chosen->token;
        // Position is reported when GetStatus answers with one; ask once.
        if (auto s = client->get_status(profile_);
            s && (s->position.pan_tilt || s->position.zoom)) {
            caps_.reports_position = true;
        }
        client_ = std::move(client);
        return {};
    }

    core::Status ready() {
        if (!ensure_connected()) {
            return last_error_ ? core::Status(*last_error_)
                               : core::make_error(core::ErrorCode::kUnavailable,
                                                  "the camera's ONVIF service is not reachable");
        }
        return {};
    }

    std::shared_ptr<onvif::Transport> transport_;
    OnvifTarget target_;
    std::unique_ptr<onvif::Client> client_;  // null until connected
    std::string profile_;
    Capabilities caps_;
    bool tried_ = false;
    Clock::time_point last_try_{};
    std::optional<core::Error> last_error_;
};

}  // namespace

std::unique_ptr<Driver> make_onvif_driver(std::shared_ptr<onvif::Transport> transport,
                                          OnvifTarget target) {
    return std::make_unique<OnvifDriver>(std::move(transport), std::move(target));
}

}  // namespace hearth::ptz
