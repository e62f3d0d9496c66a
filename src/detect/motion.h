// Motion in a small grey picture (320x180 at about 5 fps): a running-average background
// that adapts to slow light changes, the difference against it thresholded by the
// sensitivity, cleaned, limited to the zones minus the masks, and kept only where a
// connected change is at least the minimum object area. A sudden change of most of the
// picture (lights switched on, the camera moved) re-learns the background instead of
// reporting motion, and is reported for the tamper check.
//
// Thread-safety: one detector per camera thread.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "detect/settings.h"

namespace hearth::detect {

struct MotionResult {
    bool motion = false;
    double score = 0;               // changed share of the active area, 0..1
    std::vector<cv::Rect2f> boxes;  // moving objects, frame-relative (0..1), largest first
    bool global_change = false;     // most of the picture changed at once (re-learned)
    double edge_overlap = 1;        // on a global change: share of edges still in place
};

class MotionDetector {
public:
    static constexpr int kWidth = 320;
    static constexpr int kHeight = 180;

    explicit MotionDetector(const DetectionSettings& settings);
    void set_settings(const DetectionSettings& settings);

    // `grey` is kWidth x kHeight, CV_8UC1.
    MotionResult analyse(const cv::Mat& grey);
    // Forget the background (the camera reconnected, moved, or changed resolution).
    void reset() { background_.release(); }

private:
    DetectionSettings settings_;
    cv::Mat active_;      // 255 where motion counts
    double active_px_ = 1;
    cv::Mat background_;   // CV_32F running average
    cv::Mat changed_for_;  // CV_8U: analyses in a row each pixel has differed
    int threshold_ = 25;  // grey levels
};

}  // namespace hearth::detect
