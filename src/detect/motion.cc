#include "detect/motion.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace hearth::detect {
namespace {

constexpr double kLearnRate = 0.05;          // per frame at ~5 fps: a 4 s memory
constexpr double kLearnRateMoving = 0.004;   // where something moves: absorbed in about a minute
constexpr double kGlobalChangeShare = 0.55;  // more than this changing at once is not an object
// A pixel changed this many analyses in a row is background now: what was there when the
// model started (a "ghost" of someone who walked away) or something put down and left.
constexpr int kAbsorbAfterFrames = 20;

}  // namespace

MotionDetector::MotionDetector(const DetectionSettings& settings) { set_settings(settings); }

void MotionDetector::set_settings(const DetectionSettings& settings) {
    settings_ = settings;
    active_ = active_area(settings, cv::Size(kWidth, kHeight));
    active_px_ = std::max(1, cv::countNonZero(active_));
    // Sensitivity 1..100 maps to a difference of 60..6 grey levels.
    threshold_ = 60 - (settings.sensitivity - 1) * 54 / 99;
}

MotionResult MotionDetector::analyse(const cv::Mat& grey) {
    MotionResult out;
    cv::Mat blurred;
    cv::GaussianBlur(grey, blurred, cv::Size(5, 5), 0);
    if (background_.empty()) {
        blurred.convertTo(background_, CV_32F);
        changed_for_ = cv::Mat::zeros(blurred.size(), CV_8UC1);
        return out;
    }
    cv::Mat bg8, diff, changed;
    background_.convertTo(bg8, CV_8U);
    cv::absdiff(blurred, bg8, diff);
    cv::threshold(diff, changed, threshold_, 255, cv::THRESH_BINARY);

    const double whole_share = cv::countNonZero(changed) / static_cast<double>(kWidth * kHeight);
    if (whole_share > kGlobalChangeShare) {
        // Light switched or camera moved: compare edges before re-learning, for the tamper check.
        cv::Mat e_now, e_bg, near_bg, kept;
        cv::Canny(blurred, e_now, 40, 100);
        cv::Canny(bg8, e_bg, 40, 100);
        cv::dilate(e_bg, near_bg, cv::Mat(), cv::Point(-1, -1), 2);
        cv::bitwise_and(e_now, near_bg, kept);
        const int edges = cv::countNonZero(e_now), edges_before = cv::countNonZero(e_bg);
        out.global_change = true;
        // Detail lost or regained rather than replaced (out of focus, covered, uncovered) is
        // not a moved camera.
        out.edge_overlap = edges * 4 < edges_before || edges_before * 4 < edges ? 1.0 : cv::countNonZero(kept) / static_cast<double>(edges);
        blurred.convertTo(background_, CV_32F);
        changed_for_.setTo(0);
        return out;
    }

    // Count how long each pixel has stayed changed; long-changed pixels join the background.
    cv::add(changed_for_, 1, changed_for_, changed);
    changed_for_.setTo(0, changed == 0);
    cv::Mat settled = changed_for_ >= kAbsorbAfterFrames;
    if (cv::countNonZero(settled) > 0) {
        cv::Mat current;
        blurred.convertTo(current, CV_32F);
        current.copyTo(background_, settled);
        changed_for_.setTo(0, settled);
        changed.setTo(0, settled);
    }

    cv::morphologyEx(changed, changed, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
    cv::dilate(changed, changed, cv::getStructuringElement(cv::MORPH_RECT, {7, 7}));
    cv::Mat moving;
    cv::bitwise_and(changed, active_, moving);

    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(moving, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    const double min_px = settings_.min_area * kWidth * kHeight;
    double moving_px = 0;
    std::vector<std::pair<double, cv::Rect>> found;
    for (const auto& c : contours) {
        const cv::Rect r = cv::boundingRect(c);
        const double area = cv::contourArea(c);
        if (area >= min_px) {
            found.emplace_back(area, r);
            moving_px += area;
        }
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [area, r] : found) {
        out.boxes.emplace_back(static_cast<float>(r.x) / kWidth, static_cast<float>(r.y) / kHeight,
                               static_cast<float>(r.width) / kWidth, static_cast<float>(r.height) / kHeight);
    }
    out.motion = !found.empty();
    out.score = std::min(1.0, moving_px / active_px_);

    // Learn fast where nothing moves (light drifts), slowly where it does (a parked car).
    cv::Mat still;
    cv::bitwise_not(changed, still);
    cv::accumulateWeighted(blurred, background_, kLearnRate, still);
    cv::accumulateWeighted(blurred, background_, kLearnRateMoving, changed);
    return out;
}

}  // namespace hearth::detect
