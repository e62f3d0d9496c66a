#include "detect/settings.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

namespace hearth::detect {
namespace {

using nlohmann::json;

core::Error invalid(std::string message) {
    return core::make_error(core::ErrorCode::kInvalidArgument, std::move(message));
}

core::Result<std::vector<Polygon>> parse_polygons(const json& j, const char* name) {
    if (!j.is_array()) {
        return invalid(std::string("'") + name + "' must be a list of polygons");
    }
    if (j.size() > kMaxPolygons) {
        return invalid(std::string("'") + name + "' has " + std::to_string(j.size()) +
                       " polygons; at most " + std::to_string(kMaxPolygons));
    }
    std::vector<Polygon> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const json& p = j[i];
        const std::string which = std::string(name) + " polygon " + std::to_string(i + 1);
        if (!p.is_array()) {
            return invalid(which + " must be a list of [x, y] points");
        }
        if (p.size() < 3 || p.size() > kMaxPolygonPoints) {
            return invalid(which + " has " + std::to_string(p.size()) + " points; it needs 3 to " +
                           std::to_string(kMaxPolygonPoints));
        }
        Polygon poly;
        for (const json& pt : p) {
            if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number()) {
                return invalid(which + " has a point that is not [x, y]");
            }
            const double x = pt[0].get<double>(), y = pt[1].get<double>();
            if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
                return invalid(which + " has a point outside the picture (x and y go from 0 to 1)");
            }
            poly.points.emplace_back(static_cast<float>(x), static_cast<float>(y));
        }
        out.push_back(std::move(poly));
    }
    return out;
}

json polygons_json(const std::vector<Polygon>& polys) {
    json out = json::array();
    for (const auto& p : polys) {
        json pts = json::array();
        for (const auto& pt : p.points) {
            pts.push_back({pt.x, pt.y});
        }
        out.push_back(std::move(pts));
    }
    return out;
}

}  // namespace

core::Result<DetectionSettings> parse_detection_settings(std::string_view text) {
    if (text.size() > kMaxSettingsBytes) {
        return invalid("detection settings are larger than " + std::to_string(kMaxSettingsBytes / 1024) + " KiB");
    }
    DetectionSettings s;
    if (text.empty()) {
        return s;
    }
    const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
        return invalid("detection settings must be a JSON object");
    }
    for (const auto& [key, value] : j.items()) {
        if (key == "motion" || key == "person" || key == "sound") {
            if (!value.is_boolean()) {
                return invalid("'" + key + "' must be true or false");
            }
            (key == "motion" ? s.motion : key == "person" ? s.person : s.sound) = value.get<bool>();
        } else if (key == "sensitivity" || key == "sound_threshold_db") {
            const bool sens = key == "sensitivity";
            const int lo = sens ? 1 : 3, hi = sens ? 100 : 60;
            if (!value.is_number_integer() || value.get<long long>() < lo || value.get<long long>() > hi) {
                return invalid("'" + key + "' must be a whole number from " + std::to_string(lo) +
                               " to " + std::to_string(hi));
            }
            (sens ? s.sensitivity : s.sound_threshold_db) = value.get<int>();
        } else if (key == "min_area") {
            if (!value.is_number() || !(value.get<double>() >= 0.0001 && value.get<double>() <= 0.5)) {
                return invalid("'min_area' must be a fraction of the picture from 0.0001 to 0.5");
            }
            s.min_area = value.get<double>();
        } else if (key == "zones" || key == "masks") {
            HEARTH_ASSIGN_OR_RETURN(auto polys, parse_polygons(value, key.c_str()));
            (key == "zones" ? s.zones : s.masks) = std::move(polys);
        } else {
            return invalid("unknown detection setting '" + key.substr(0, 32) +
                           "' (known: motion, person, sound, sensitivity, min_area, "
                           "sound_threshold_db, zones, masks)");
        }
    }
    return s;
}

std::string to_json(const DetectionSettings& s) {
    return json{{"motion", s.motion},
                {"person", s.person},
                {"sound", s.sound},
                {"sensitivity", s.sensitivity},
                {"min_area", s.min_area},
                {"sound_threshold_db", s.sound_threshold_db},
                {"zones", polygons_json(s.zones)},
                {"masks", polygons_json(s.masks)}}
        .dump();
}

namespace {
std::string settings_key(core::CameraId camera) { return "detection." + std::to_string(camera.value()); }
}  // namespace

core::Result<DetectionSettings> load_detection_settings(store::Index& index, core::CameraId camera) {
    HEARTH_ASSIGN_OR_RETURN(auto text, index.setting(settings_key(camera)));
    return parse_detection_settings(text.value_or(""));
}

core::Status save_detection_settings(store::Index& index, core::CameraId camera,
                                     const DetectionSettings& settings) {
    return index.set_setting(settings_key(camera), to_json(settings));
}

cv::Mat active_area(const DetectionSettings& settings, cv::Size size) {
    auto fill = [&](cv::Mat& m, const std::vector<Polygon>& polys, int value) {
        std::vector<std::vector<cv::Point>> pts;
        for (const auto& p : polys) {
            auto& out = pts.emplace_back();
            for (const auto& pt : p.points) {
                out.emplace_back(cvRound(pt.x * (size.width - 1)), cvRound(pt.y * (size.height - 1)));
            }
        }
        cv::fillPoly(m, pts, cv::Scalar(value));
    };
    cv::Mat area(size, CV_8UC1, cv::Scalar(settings.zones.empty() ? 255 : 0));
    fill(area, settings.zones, 255);
    fill(area, settings.masks, 0);
    return area;
}

}  // namespace hearth::detect
