// People, looked for only where motion was found: OpenCV's HOG people detector (its SVM
// coefficients ship inside OpenCV, nothing to download) run on each moving area, cut from
// the full picture with a margin and scaled so a person there is large enough for the
// 64x128 detection window.
//
// Thread-safety: one per camera thread (HOGDescriptor is not shared).
#pragma once

#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>

namespace hearth::detect {

struct PersonResult {
    bool found = false;
    double confidence = 0;  // 0..1
    cv::Rect2f box;         // frame-relative
};

class PersonDetector {
public:
    PersonDetector();
    // `luma` is the decoded picture's grey plane at any size; `areas` are frame-relative
    // moving areas, largest first (at most the first three are searched).
    PersonResult detect(const cv::Mat& luma, const std::vector<cv::Rect2f>& areas);

private:
    cv::HOGDescriptor hog_;
};

}  // namespace hearth::detect
