#include "media/sim_ptz.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace hearth::media {

namespace {

constexpr double kPanTiltMin = -1.0;
constexpr double kPanTiltMax = 1.0;
constexpr double kZoomMin = 0.0;
constexpr double kZoomMax = 1.0;

double clamp_unit(double v) { return std::isfinite(v) ? std::clamp(v, -1.0, 1.0) : 0.0; }

}  // namespace

std::int64_t ptz_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

VirtualPtz::VirtualPtz(int panorama_width, int panorama_height, int output_width, int output_height,
                       VirtualPtzLimits limits)
    : pano_w_(panorama_width),
      pano_h_(panorama_height),
      out_w_(output_width),
      out_h_(output_height),
      limits_(limits) {}

std::shared_ptr<VirtualPtz> VirtualPtz::for_scene(const SimSceneOptions& scene) {
    return std::make_shared<VirtualPtz>(SimScene::panorama_width_for(scene),
                                        SimScene::panorama_height_for(scene), scene.width,
                                        scene.height);
}

PtzVector VirtualPtz::clamp_position(const PtzVector& p) {
    auto finite = [](double v, double fallback) { return std::isfinite(v) ? v : fallback; };
    return {std::clamp(finite(p.pan, 0), kPanTiltMin, kPanTiltMax),
            std::clamp(finite(p.tilt, 0), kPanTiltMin, kPanTiltMax),
            std::clamp(finite(p.zoom, 0), kZoomMin, kZoomMax)};
}

void VirtualPtz::advance_axis(Axis& a, double lo, double hi, std::int64_t from_ms,
                              std::int64_t to_ms) {
    if (a.velocity == 0 || to_ms <= from_ms) {
        return;
    }
    std::int64_t end_ms = to_ms;
    if (!a.to_target && a.until_ms > 0) {
        end_ms = std::min(end_ms, a.until_ms);
    }
    const double seconds = static_cast<double>(std::max<std::int64_t>(0, end_ms - from_ms)) / 1000;
    double next = a.position + a.velocity * seconds;
    if (a.to_target &&
        ((a.velocity > 0 && next >= a.target) || (a.velocity < 0 && next <= a.target))) {
        next = a.target;
        a.velocity = 0;
        a.to_target = false;
    }
    a.position = std::clamp(next, lo, hi);
    // A continuous move ends at its timeout or when it runs into the end stop.
    if (!a.to_target &&
        ((a.until_ms > 0 && to_ms >= a.until_ms) || (a.velocity > 0 && a.position >= hi) ||
         (a.velocity < 0 && a.position <= lo))) {
        a.velocity = 0;
    }
}

void VirtualPtz::advance(std::int64_t now_ms) {
    if (last_ms_ < 0 || now_ms < last_ms_) {
        last_ms_ = now_ms;
        return;
    }
    advance_axis(pan_, kPanTiltMin, kPanTiltMax, last_ms_, now_ms);
    advance_axis(tilt_, kPanTiltMin, kPanTiltMax, last_ms_, now_ms);
    advance_axis(zoom_, kZoomMin, kZoomMax, last_ms_, now_ms);
    last_ms_ = now_ms;
}

void VirtualPtz::continuous_move(const PtzVector& velocity, std::int64_t timeout_ms,
                                 std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    const std::int64_t until = timeout_ms > 0 ? now_ms + timeout_ms : 0;
    auto set = [&](Axis& a, double v, double top) {
        a.to_target = false;
        a.velocity = clamp_unit(v) * top;
        a.until_ms = until;
    };
    set(pan_, velocity.pan, limits_.pan_speed);
    set(tilt_, velocity.tilt, limits_.tilt_speed);
    set(zoom_, velocity.zoom, limits_.zoom_speed);
}

void VirtualPtz::travel(Axis& a, double target, double top_speed, double fraction) {
    const double f = std::isfinite(fraction) && fraction > 0 ? std::min(fraction, 1.0) : 1.0;
    a.target = target;
    a.until_ms = 0;
    if (target == a.position) {
        a.velocity = 0;
        a.to_target = false;
        return;
    }
    a.to_target = true;
    a.velocity = (target > a.position ? 1 : -1) * top_speed * f;
}

void VirtualPtz::absolute_move(const PtzVector& target, std::int64_t now_ms,
                               const PtzVector& speed) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    const PtzVector t = clamp_position(target);
    travel(pan_, t.pan, limits_.pan_speed, speed.pan);
    travel(tilt_, t.tilt, limits_.tilt_speed, speed.tilt);
    travel(zoom_, t.zoom, limits_.zoom_speed, speed.zoom);
}

void VirtualPtz::relative_move(const PtzVector& delta, std::int64_t now_ms,
                               const PtzVector& speed) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    auto finite = [](double v) { return std::isfinite(v) ? v : 0.0; };
    const PtzVector t =
        clamp_position({pan_.position + finite(delta.pan), tilt_.position + finite(delta.tilt),
                        zoom_.position + finite(delta.zoom)});
    travel(pan_, t.pan, limits_.pan_speed, speed.pan);
    travel(tilt_, t.tilt, limits_.tilt_speed, speed.tilt);
    travel(zoom_, t.zoom, limits_.zoom_speed, speed.zoom);
}

void VirtualPtz::stop(bool pan_tilt, bool zoom, std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    auto halt = [](Axis& a) {
        a.velocity = 0;
        a.to_target = false;
        a.until_ms = 0;
    };
    if (pan_tilt) {
        halt(pan_);
        halt(tilt_);
    }
    if (zoom) {
        halt(zoom_);
    }
}

PtzVector VirtualPtz::position(std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    return {pan_.position, tilt_.position, zoom_.position};
}

bool VirtualPtz::moving(std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    return pan_.velocity != 0 || tilt_.velocity != 0 || zoom_.velocity != 0;
}

SimView VirtualPtz::view(std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    advance(now_ms);
    // Zoom shrinks the window geometrically, so each step in zoom looks alike.
    const double factor = std::pow(limits_.max_zoom_factor, zoom_.position);
    SimView v;
    v.width = std::max(16, static_cast<int>(std::lround(out_w_ / factor))) & ~1;
    v.height = std::max(16, static_cast<int>(std::lround(out_h_ / factor))) & ~1;
    // Pan/tilt place the window's centre across the range it can reach.
    const double free_x = std::max(0, pano_w_ - v.width);
    const double free_y = std::max(0, pano_h_ - v.height);
    v.x = static_cast<int>(std::lround((pan_.position + 1) / 2 * free_x)) & ~1;
    v.y = static_cast<int>(std::lround((1 - tilt_.position) / 2 * free_y)) & ~1;
    return v;
}

}  // namespace hearth::media
