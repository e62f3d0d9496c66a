// Test support: a synthetic face that OpenCV's default Haar frontal-face cascade finds,
// shared by tests/tools/faces.cc (`faces draw`) and the clip renderer's unit tests.
#pragma once

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace hearth::testing {

// The recipe is laid out for 640x360; `s` scales it and `dx` centres it.
inline cv::Mat synthetic_face(int width = 640, int height = 360) {
    cv::Mat img(height, width, CV_8UC3, cv::Scalar(90, 110, 100));
    const double s = height / 360.0;
    const double dx = (width - 640.0 * s) / 2.0;
    auto p = [&](double x, double y) {
        return cv::Point(static_cast<int>(dx + x * s), static_cast<int>(y * s));
    };
    auto sz = [&](double a, double b) {
        return cv::Size(static_cast<int>(a * s), static_cast<int>(b * s));
    };
    auto t = [&](double th) { return std::max(1, static_cast<int>(th * s + 0.5)); };
    cv::ellipse(img, p(320, 180), sz(70, 95), 0, 0, 360, cv::Scalar(150, 175, 215), cv::FILLED);
    cv::ellipse(img, p(320, 110), sz(75, 40), 0, 180, 360, cv::Scalar(30, 40, 60), cv::FILLED);
    cv::line(img, p(282, 150), p(308, 148), cv::Scalar(40, 50, 70), t(5));
    cv::line(img, p(332, 148), p(358, 150), cv::Scalar(40, 50, 70), t(5));
    for (const double x : {295.0, 345.0}) {
        cv::ellipse(img, p(x, 168), sz(12, 6), 0, 0, 360, cv::Scalar(240, 240, 240), cv::FILLED);
        cv::circle(img, p(x, 168), t(5), cv::Scalar(30, 30, 30), cv::FILLED);
    }
    cv::line(img, p(320, 172), p(314, 205), cv::Scalar(110, 135, 175), t(4));
    cv::line(img, p(314, 205), p(326, 208), cv::Scalar(110, 135, 175), t(3));
    cv::ellipse(img, p(320, 232), sz(24, 8), 0, 0, 180, cv::Scalar(60, 60, 140), t(4));
    return img;
}

}  // namespace hearth::testing
