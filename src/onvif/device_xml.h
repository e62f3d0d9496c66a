// XML writers for the device service's responses (internal to onvif/): profiles, video
// encoder configurations, the PTZ node, configuration and spaces, all in the generic
// spaces DeviceService supports.
#pragma once

#include <chrono>
#include <pugixml.hpp>

#include "onvif/types.h"

namespace hearth::onvif::device_xml {

inline constexpr const char* kPanTiltPositionSpace =
    "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace";
inline constexpr const char* kZoomPositionSpace =
    "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace";

struct PtzDescription {
    int max_presets = 32;
    std::chrono::milliseconds default_timeout{10000};
};

// Children of a tt:Profile (trt:Profiles / trt:Profile): Name, video source and encoder,
// audio when the profile has an audio encoding, PTZ configuration when it has one.
void write_profile(pugi::xml_node profile, const Profile& p, const PtzDescription& ptz);
// Children of a video encoder configuration element (token attribute included).
void write_video_encoder(pugi::xml_node vec, const Profile& p);
// Children of trt:Options for GetVideoEncoderConfigurationOptions.
void write_video_encoder_options(pugi::xml_node options, const Profile& p);
// Children of tptz:PTZNode / tptz:PTZConfiguration (token attributes included).
void write_ptz_node(pugi::xml_node node, const PtzDescription& ptz);
void write_ptz_configuration(pugi::xml_node cfg, const PtzDescription& ptz);
// The generic spaces (children of tt:SupportedPTZSpaces or tt:Spaces).
void write_spaces(pugi::xml_node spaces);
// tt:Position with spaces, for GetStatus.
void write_position(pugi::xml_node position, const PtzVector& v);

}  // namespace hearth::onvif::device_xml
