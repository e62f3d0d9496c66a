// The sim camera's PTZ driver: moves its VirtualPtz. Presets are positions (kept by
// the hub), home is the centre of the panorama at the widest view.
#pragma once

#include <memory>

#include "ptz/driver.h"

namespace hearth::ptz {

std::unique_ptr<Driver> make_sim_driver(std::shared_ptr<media::VirtualPtz> ptz);

}  // namespace hearth::ptz
