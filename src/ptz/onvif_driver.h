// The PTZ driver for ONVIF cameras (Profile S PTZ, ver20) through onvif::Client.
//
// It connects on first use, not when the camera starts, so a camera whose ONVIF service is
// down records all the same; until it connects it offers nothing, and it tries again on
// the next call at most every 30 s. What it offers is what the camera's GetNodes and
// GetConfigurations say the profile can do; the rest is never attempted.
#pragma once

#include <memory>
#include <string>

#include "crypto/secret.h"
#include "onvif/transport.h"
#include "ptz/driver.h"

namespace hearth::ptz {

struct OnvifTarget {
    std::string device_url;     // http://host[:port]/onvif/device_service
    std::string profile_token;  // empty: the first profile with PTZ
    std::string username;
    crypto::SecretBytes password;
};

std::unique_ptr<Driver> make_onvif_driver(std::shared_ptr<onvif::Transport> transport,
                                          OnvifTarget target);

}  // namespace hearth::ptz
