#include "ptz/sim_driver.h"

namespace hearth::ptz {

namespace {

class SimDriver final : public Driver {
public:
    explicit SimDriver(std::shared_ptr<media::VirtualPtz> ptz) : ptz_(std::move(ptz)) {}

    Capabilities capabilities() override {
        Capabilities c;
        c.continuous = c.relative = c.absolute = c.home = c.presets = c.zoom = true;
        c.reports_position = true;
        c.max_presets = 32;
        return c;
    }
    core::Status continuous_move(const Vector& velocity,
                                 std::chrono::milliseconds timeout) override {
        ptz_->continuous_move(velocity, timeout.count(), media::ptz_now_ms());
        return {};
    }
    core::Status stop() override {
        ptz_->stop(true, true, media::ptz_now_ms());
        return {};
    }
    core::Status relative_move(const Vector& delta) override {
        ptz_->relative_move(delta, media::ptz_now_ms());
        return {};
    }
    core::Status absolute_move(const Vector& position) override {
        ptz_->absolute_move(position, media::ptz_now_ms());
        return {};
    }
    core::Status go_home() override { return absolute_move({0, 0, 0}); }
    core::Result<Status> status() override {
        const auto now = media::ptz_now_ms();
        return Status{ptz_->position(now), ptz_->moving(now)};
    }
    core::Result<PresetRef> save_preset(std::string_view, const PresetRef*) override {
        return PresetRef{"", ptz_->position(media::ptz_now_ms())};
    }
    core::Status goto_preset(const PresetRef& preset) override {
        if (!preset.position) {
            return core::make_error(core::ErrorCode::kFailedPrecondition,
                                    "this preset has no position");
        }
        return absolute_move(*preset.position);
    }
    core::Status remove_preset(const PresetRef&) override { return {}; }

private:
    std::shared_ptr<media::VirtualPtz> ptz_;
};

}  // namespace

std::unique_ptr<Driver> make_sim_driver(std::shared_ptr<media::VirtualPtz> ptz) {
    return std::make_unique<SimDriver>(std::move(ptz));
}

}  // namespace hearth::ptz
