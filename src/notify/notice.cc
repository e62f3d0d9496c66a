#include "notify/notice.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/time_text.h"

namespace hearth::notify {

void to_json(nlohmann::json& j, const Notice& n) {
    // NaN is not JSON (nlohmann would write null); a detector bug must not break receivers.
    const double confidence = std::isfinite(n.confidence) ? std::clamp(n.confidence, 0.0, 1.0) : 0;
    j = nlohmann::json{
        {"kind", n.kind},
        {"camera_id", n.camera.valid() ? nlohmann::json(n.camera.value()) : nlohmann::json()},
        {"camera_name", n.camera_name},
        {"start", core::format_time(n.start_us)},
        {"start_us", n.start_us},
        {"end", n.end_us != 0 ? nlohmann::json(core::format_time(n.end_us)) : nlohmann::json()},
        {"end_us", n.end_us},
        {"ongoing", n.end_us == 0},
        {"confidence", confidence},
        {"event_id", n.event_id},
        {"summary", n.summary},
        {"urgent", n.urgent},
    };
}

std::string to_json_text(const Notice& notice) {
    return nlohmann::json(notice).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hearth::notify
