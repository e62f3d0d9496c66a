// Test doubles for the ONVIF tests: a DeviceBackend that records moves and jumps to
// targets at once, and a Transport that hands requests to a DeviceService in-process.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "onvif/device_service.h"
#include "onvif/transport.h"

namespace hearth::onvif::testing {

class FakeBackend final : public DeviceBackend {
public:
    DeviceInfo device_info() const override {
        return {"Hearth", "Fake Cam", "1.0", "SN-1", "HW-1"};
    }
    std::vector<Profile> profiles() const override {
        Profile p;
        p.token = "main";
        p.name = "Main";
        p.video_source_token = "vsrc";
        p.video_encoder_token = "venc";
        p.video_encoding = "H264";
        p.resolution = {640, 360};
        p.fps = 15;
        p.bitrate_kbps = 800;
        p.ptz_configuration_token = std::string(kPtzConfigurationToken);
        return {p};
    }
    std::string stream_uri(const Profile& profile, std::string_view host) const override {
        return "rtsp://" + std::string(host) + ":8554/" + profile.token;
    }
    bool has_ptz() const override { return true; }
    void continuous_move(const PtzVector& velocity, std::chrono::milliseconds timeout) override {
        std::lock_guard lock(mu_);
        last_velocity = velocity;
        last_timeout = timeout;
        moving = true;
        // Moves one step along the velocity so tests see a change.
        position.pan_tilt->x += velocity.pan_tilt ? velocity.pan_tilt->x * 0.1 : 0;
        position.pan_tilt->y += velocity.pan_tilt ? velocity.pan_tilt->y * 0.1 : 0;
    }
    void absolute_move(const PtzVector& target, const PtzVector&) override {
        std::lock_guard lock(mu_);
        position = target;
    }
    void relative_move(const PtzVector& translation, const PtzVector&) override {
        std::lock_guard lock(mu_);
        position.pan_tilt->x += translation.pan_tilt->x;
        position.pan_tilt->y += translation.pan_tilt->y;
        *position.zoom += *translation.zoom;
    }
    void stop(StopAxes axes) override {
        std::lock_guard lock(mu_);
        last_stop = axes;
        moving = false;
    }
    PtzStatus status() override {
        std::lock_guard lock(mu_);
        PtzStatus s;
        s.position = position;
        s.pan_tilt = moving ? MoveStatus::kMoving : MoveStatus::kIdle;
        s.zoom = MoveStatus::kIdle;
        return s;
    }

    mutable std::mutex mu_;
    PtzVector position = PtzVector::of(0, 0, 0);
    PtzVector last_velocity;
    std::chrono::milliseconds last_timeout{0};
    StopAxes last_stop = StopAxes::kInvalid;
    bool moving = false;
};

// Posts to a DeviceService as if over HTTP at http://192.0.2.1:8080.
class InProcessTransport final : public Transport {
public:
    explicit InProcessTransport(std::shared_ptr<DeviceService> service)
        : service_(std::move(service)) {}

    core::Result<HttpResponse> post(std::string_view url, std::string_view, std::string_view body,
                                    const HttpCredentials*) override {
        auto parsed = parse_http_url(url);
        if (!parsed) {
            return parsed.error();
        }
        ++requests;
        last_url = std::string(url);
        auto r = service_->handle({parsed->target, body, "192.0.2.1:8080"});
        return HttpResponse{r.status, "application/soap+xml", std::move(r.body), ""};
    }

    int requests = 0;
    std::string last_url;

private:
    std::shared_ptr<DeviceService> service_;
};

inline crypto::SecretBytes secret(std::string_view text) {
    return std::move(crypto::SecretBytes::copy_of(text)).value();
}

}  // namespace hearth::onvif::testing
