#include "detect/tamper.h"

#include <opencv2/imgproc.hpp>

namespace hearth::detect {
namespace {

constexpr std::int64_t kCoveredForUs = 3'000'000;
constexpr std::int64_t kBlurredForUs = 5'000'000;
constexpr std::int64_t kMovedShowsUs = 10'000'000;
constexpr int kBaselineFrames = 25;  // ~5 s at 5 fps before out-of-focus can be judged

}  // namespace

const char* to_string(Tamper t) {
    switch (t) {
        case Tamper::kCovered: return "covered";
        case Tamper::kMoved: return "moved";
        case Tamper::kDefocused: return "out of focus";
        default: return "none";
    }
}

void TamperDetector::reset() { *this = TamperDetector(); }

Tamper TamperDetector::analyse(const cv::Mat& grey, const MotionResult& motion, core::WallMicros at_us) {
    cv::Scalar mean, stddev;
    cv::meanStdDev(grey, mean, stddev);
    cv::Mat lap;
    cv::Laplacian(grey, lap, CV_32F);
    cv::Scalar lmean, lstd;
    cv::meanStdDev(lap, lmean, lstd);
    const double sharpness = lstd[0] * lstd[0];

    // Covered: nearly black, or one flat colour (a hand, tape, a cloth).
    const bool covered_now = mean[0] < 18 || stddev[0] < 6;
    covered_since_ = covered_now ? (covered_since_ ? covered_since_ : at_us) : 0;
    if (covered_now && at_us - covered_since_ >= kCoveredForUs) {
        return Tamper::kCovered;
    }
    if (motion.global_change && motion.edge_overlap < 0.35 && !covered_now) {
        moved_until_ = at_us + kMovedShowsUs;
        sharpness_baseline_ = 0;  // a new view: learn its sharpness again
        baseline_frames_ = 0;
    }
    if (at_us < moved_until_) {
        return Tamper::kMoved;
    }
    if (covered_now) {
        return Tamper::kNone;
    }
    if (baseline_frames_ < kBaselineFrames) {
        sharpness_baseline_ += (sharpness - sharpness_baseline_) / ++baseline_frames_;
        return Tamper::kNone;
    }
    const bool blurred_now = sharpness < 0.25 * sharpness_baseline_;
    blurred_since_ = blurred_now ? (blurred_since_ ? blurred_since_ : at_us) : 0;
    if (blurred_now) {
        return at_us - blurred_since_ >= kBlurredForUs ? Tamper::kDefocused : Tamper::kNone;
    }
    sharpness_baseline_ += (sharpness - sharpness_baseline_) * 0.002;  // follows day and night
    return Tamper::kNone;
}

}  // namespace hearth::detect
