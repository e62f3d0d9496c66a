// A camera's detection settings, as the household edits them: sensitivity, minimum object
// size, zones and ignore masks (polygons in frame-relative coordinates, 0..1 from the
// top-left), which detectors run, and the sound threshold. Stored as JSON with the camera.
//
// Errors: kInvalidArgument with a sentence naming the field, for anything out of bounds
// (a polygon of 10,000 points is refused, not truncated).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "core/ids.h"
#include "core/result.h"
#include "store/index.h"

namespace hearth::detect {

struct Polygon {
    std::vector<cv::Point2f> points;  // each coordinate in [0, 1]
};

inline constexpr std::size_t kMaxPolygons = 16;
inline constexpr std::size_t kMaxPolygonPoints = 64;
inline constexpr std::size_t kMaxSettingsBytes = 64 * 1024;

struct DetectionSettings {
    bool motion = true;           // false: nothing runs for this camera
    bool person = true;           // look for people where motion was found
    bool sound = true;            // sound events from the audio level
    int sensitivity = 60;         // 1 (only big changes) .. 100 (the faintest)
    double min_area = 0.004;      // smallest moving object, as a fraction of the frame
    int sound_threshold_db = 15;  // above the background level
    std::vector<Polygon> zones;   // where motion counts; empty: the whole frame
    std::vector<Polygon> masks;   // never counts (a road, a tree, a clock)
    bool operator==(const DetectionSettings&) const = default;
};

inline bool operator==(const Polygon& a, const Polygon& b) { return a.points == b.points; }

core::Result<DetectionSettings> parse_detection_settings(std::string_view json);
std::string to_json(const DetectionSettings& settings);

// Kept in the index's settings as "detection.<camera id>"; defaults when none were saved.
core::Result<DetectionSettings> load_detection_settings(store::Index& index, core::CameraId camera);
core::Status save_detection_settings(store::Index& index, core::CameraId camera,
                                     const DetectionSettings& settings);

// The area motion counts in, at `size`: zones (or all) minus masks; 255 where it counts.
cv::Mat active_area(const DetectionSettings& settings, cv::Size size);

}  // namespace hearth::detect
