#include "simcam/onvif_backend.h"

#include "crypto/secret.h"

namespace hearth::simcam {
namespace {

media::PtzVector to_media(const onvif::PtzVector& v) {
    const onvif::PanTilt pt = v.pan_tilt.value_or(onvif::PanTilt{});
    return {pt.x, pt.y, v.zoom.value_or(0)};
}

std::string audio_encoding(const media::SimCameraOptions& camera) {
    if (!camera.audio) {
        return {};
    }
    switch (camera.audio_codec) {
        case media::Codec::kAac:
            return "AAC";
        case media::Codec::kPcmu:
        case media::Codec::kPcma:
            return "G711";
        default:
            return {};  // Opus has no name in the Media (ver10) schema
    }
}

}  // namespace

SimOnvifBackend::SimOnvifBackend(const SimcamOptions& options,
                                 std::shared_ptr<media::VirtualPtz> ptz, std::uint16_t rtsp_port)
    : ptz_(std::move(ptz)), rtsp_port_(rtsp_port), mount_(options.mount) {
    info_.manufacturer = "Hearth";
    info_.model = "Simcam";
    info_.firmware_version = HEARTH_VERSION;
    // Different simcams on one network must not look like one device.
    info_.serial_number =
        "SIM-" + crypto::sha256_hex(crypto::random_token_base64url(16)).substr(0, 12);
    info_.hardware_id = "hearth-simcam";

    const auto& camera = options.camera;
    profile_.token = "main";
    profile_.name = "main";
    profile_.video_source_token = "video_source";
    profile_.video_encoder_token = "video_encoder_main";
    profile_.video_encoding = camera.video_codec == media::Codec::kH265 ? "H265" : "H264";
    profile_.resolution = {camera.scene.width, camera.scene.height};
    profile_.fps = camera.scene.fps;
    profile_.bitrate_kbps = camera.video_kbps;
    profile_.audio_encoding = options.file.empty() ? audio_encoding(camera) : "";
    if (ptz_ != nullptr) {
        profile_.ptz_configuration_token = std::string(onvif::kPtzConfigurationToken);
    }
}

std::string SimOnvifBackend::stream_uri(const onvif::Profile&, std::string_view host) const {
    return "rtsp://" + std::string(host) + ":" + std::to_string(rtsp_port_) + mount_;
}

void SimOnvifBackend::continuous_move(const onvif::PtzVector& velocity,
                                      std::chrono::milliseconds timeout) {
    ptz_->continuous_move(to_media(velocity), timeout.count(), media::ptz_now_ms());
}

void SimOnvifBackend::absolute_move(const onvif::PtzVector& position,
                                    const onvif::PtzVector& speed) {
    ptz_->absolute_move(to_media(position), media::ptz_now_ms(), to_media(speed));
}

void SimOnvifBackend::relative_move(const onvif::PtzVector& translation,
                                    const onvif::PtzVector& speed) {
    ptz_->relative_move(to_media(translation), media::ptz_now_ms(), to_media(speed));
}

void SimOnvifBackend::stop(onvif::StopAxes axes) {
    const bool pt = axes == onvif::StopAxes::kPanTilt || axes == onvif::StopAxes::kBoth;
    const bool z = axes == onvif::StopAxes::kZoom || axes == onvif::StopAxes::kBoth;
    ptz_->stop(pt, z, media::ptz_now_ms());
}

onvif::PtzStatus SimOnvifBackend::status() {
    const std::int64_t now = media::ptz_now_ms();
    const media::PtzVector p = ptz_->position(now);
    const bool moving = ptz_->moving(now);
    onvif::PtzStatus s;
    s.position = onvif::PtzVector::of(p.pan, p.tilt, p.zoom);
    s.pan_tilt = moving ? onvif::MoveStatus::kMoving : onvif::MoveStatus::kIdle;
    s.zoom = s.pan_tilt;
    return s;
}

}  // namespace hearth::simcam
