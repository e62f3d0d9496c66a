// A camera's detection settings as the household sends them (PUT /api/cameras/{id}/detection):
// never a crash; what is accepted stays within the bounds the detector relies on, survives
// its own JSON unchanged, and draws an active area of the right size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "detect/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hearth::detect;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto s = parse_detection_settings(input);
    if (!s) {
        return 0;
    }
    auto check = [](bool ok) {
        if (!ok) std::abort();
    };
    check(s->zones.size() <= kMaxPolygons && s->masks.size() <= kMaxPolygons);
    for (const auto* list : {&s->zones, &s->masks}) {
        for (const auto& p : *list) {
            check(p.points.size() >= 3 && p.points.size() <= kMaxPolygonPoints);
            for (const auto& pt : p.points) {
                check(pt.x >= 0 && pt.x <= 1 && pt.y >= 0 && pt.y <= 1);
            }
        }
    }
    check(s->sensitivity >= 1 && s->sensitivity <= 100);
    auto again = parse_detection_settings(to_json(*s));
    check(static_cast<bool>(again));
    check(again->zones.size() == s->zones.size() && again->masks.size() == s->masks.size());
    const cv::Mat area = active_area(*s, cv::Size(64, 36));
    check(area.rows == 36 && area.cols == 64);
    return 0;
}
