// Camera tampering seen in the picture: covered (dark or featureless), moved (most of the
// picture changed and its edges with it, unlike a light switched on), or out of focus
// (sharpness fell far below what this camera usually shows). Each must last a moment
// before it counts, so a passing shadow or an autofocus hunt does not.
//
// Thread-safety: one per camera thread.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "core/clock.h"
#include "detect/motion.h"

namespace hearth::detect {

enum class Tamper : std::uint8_t { kNone = 0, kCovered, kMoved, kDefocused };
const char* to_string(Tamper t);  // "covered", "moved", "out of focus"

class TamperDetector {
public:
    // `grey` is the small analysis picture (MotionDetector size); returns what is wrong now.
    Tamper analyse(const cv::Mat& grey, const MotionResult& motion, core::WallMicros at_us);
    void reset();

private:
    double sharpness_baseline_ = 0;  // slow average of the Laplacian variance
    int baseline_frames_ = 0;
    core::WallMicros covered_since_ = 0;
    core::WallMicros blurred_since_ = 0;
    core::WallMicros moved_until_ = 0;
};

}  // namespace hearth::detect
