#include "detect/person.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace hearth::detect {
namespace {

constexpr int kWorkWidth = 640;     // the full picture is searched at most this wide
constexpr int kRoiHeight = 200;     // a moving area is scaled to about this height
constexpr std::size_t kMaxAreas = 3;

}  // namespace

PersonDetector::PersonDetector() { hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector()); }

PersonResult PersonDetector::detect(const cv::Mat& luma, const std::vector<cv::Rect2f>& areas) {
    PersonResult best;
    if (luma.empty()) {
        return best;
    }
    cv::Mat work;
    const double shrink = luma.cols > kWorkWidth ? static_cast<double>(kWorkWidth) / luma.cols : 1.0;
    if (shrink < 1.0) {
        cv::resize(luma, work, cv::Size(), shrink, shrink, cv::INTER_AREA);
    } else {
        work = luma;
    }
    const cv::Rect frame(0, 0, work.cols, work.rows);
    for (std::size_t i = 0; i < std::min(areas.size(), kMaxAreas); ++i) {
        const cv::Rect2f& a = areas[i];
        // A person is taller than wide; motion may have caught only part of one.
        const float h = std::max(a.height * 1.5f, a.width * 2.2f), w = std::max(a.width * 1.5f, h * 0.55f);
        const float cx = a.x + a.width / 2, cy = a.y + a.height / 2;
        cv::Rect roi(cvRound((cx - w / 2) * work.cols), cvRound((cy - h / 2) * work.rows),
                     cvRound(w * work.cols), cvRound(h * work.rows));
        roi &= frame;
        if (roi.width < 16 || roi.height < 32) {
            continue;
        }
        const double scale = static_cast<double>(kRoiHeight) / roi.height;
        cv::Mat patch;
        cv::resize(work(roi), patch, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        if (patch.cols < 64 || patch.rows < 128) {
            cv::copyMakeBorder(patch, patch, 0, std::max(0, 128 - patch.rows), 0,
                               std::max(0, 64 - patch.cols), cv::BORDER_REPLICATE);
        }
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        hog_.detectMultiScale(patch, found, weights, 0, cv::Size(8, 8), cv::Size(16, 16), 1.05, 2);
        for (std::size_t k = 0; k < found.size(); ++k) {
            const double weight = k < weights.size() ? weights[k] : 0.0;
            const double confidence = 1.0 / (1.0 + std::exp(-weight));
            if (confidence > best.confidence) {
                const cv::Rect& f = found[k];
                best.found = true;
                best.confidence = confidence;
                best.box = cv::Rect2f(static_cast<float>((roi.x + f.x / scale) / work.cols),
                                      static_cast<float>((roi.y + f.y / scale) / work.rows),
                                      static_cast<float>(f.width / scale / work.cols),
                                      static_cast<float>(f.height / scale / work.rows));
            }
        }
    }
    return best;
}

}  // namespace hearth::detect
