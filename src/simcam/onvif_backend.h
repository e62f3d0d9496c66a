// The simcam's answers to ONVIF: its device information, one media profile (the sim
// scene as configured, with a PTZ configuration) and PTZ moves on the camera's
// media::VirtualPtz, the same one the RTSP stream draws, so a move shows in the video.
//
// Thread-safety: every member may be called from any thread (VirtualPtz locks itself;
// the rest is immutable after construction).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "media/sim_ptz.h"
#include "onvif/device_service.h"
#include "simcam/simcam.h"

namespace hearth::simcam {

class SimOnvifBackend final : public onvif::DeviceBackend {
public:
    // `rtsp_port` is the RTSP server's bound port; stream URIs use it with the host the
    // ONVIF client reached.
    SimOnvifBackend(const SimcamOptions& options, std::shared_ptr<media::VirtualPtz> ptz,
                    std::uint16_t rtsp_port);

    onvif::DeviceInfo device_info() const override { return info_; }
    std::vector<onvif::Profile> profiles() const override { return {profile_}; }
    std::string stream_uri(const onvif::Profile& profile, std::string_view host) const override;

    bool has_ptz() const override { return ptz_ != nullptr; }
    void continuous_move(const onvif::PtzVector& velocity,
                         std::chrono::milliseconds timeout) override;
    void absolute_move(const onvif::PtzVector& position, const onvif::PtzVector& speed) override;
    void relative_move(const onvif::PtzVector& translation, const onvif::PtzVector& speed) override;
    void stop(onvif::StopAxes axes) override;
    onvif::PtzStatus status() override;

private:
    onvif::DeviceInfo info_;
    onvif::Profile profile_;
    std::shared_ptr<media::VirtualPtz> ptz_;
    std::uint16_t rtsp_port_;
    std::string mount_;
};

}  // namespace hearth::simcam
