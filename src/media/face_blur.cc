#include "media/face_blur.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <system_error>

namespace hearth::media {
namespace {

// A face's rectangle 30% larger about its centre: the Haar box stops at the brows and chin.
cv::Rect enlarged(const cv::Rect& face) {
    const int grow_x = static_cast<int>(std::lround(face.width * 0.15));
    const int grow_y = static_cast<int>(std::lround(face.height * 0.15));
    return {face.x - grow_x, face.y - grow_y, face.width + 2 * grow_x, face.height + 2 * grow_y};
}

}  // namespace

core::Result<FaceBlur> FaceBlur::open(const std::filesystem::path& cascade) {
    const std::filesystem::path path = cascade.empty() ? kDefaultFaceCascade : cascade;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return core::make_error(core::ErrorCode::kFailedPrecondition,
                                "face cascade " + path.string() +
                                    " not found (install the Debian package opencv-data)");
    }
    cv::CascadeClassifier classifier;
    try {
        if (!classifier.load(path.string()) || classifier.empty()) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "face cascade " + path.string() + " cannot be read");
        }
    } catch (const cv::Exception&) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "face cascade " + path.string() + " cannot be read");
    }
    return FaceBlur(std::move(classifier));
}

std::vector<cv::Rect> FaceBlur::detect(const cv::Mat& bgr) {
    if (bgr.empty()) {
        return {};
    }
    double scale = 1.0;
    const cv::Mat* search = &bgr;
    if (bgr.cols > kDetectWidthPx) {
        scale = static_cast<double>(kDetectWidthPx) / bgr.cols;
        const int rows = std::max(1, static_cast<int>(std::lround(bgr.rows * scale)));
        cv::resize(bgr, small_, cv::Size(kDetectWidthPx, rows), 0, 0, cv::INTER_AREA);
        search = &small_;
    }
    cv::cvtColor(*search, grey_, bgr.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    cv::equalizeHist(grey_, grey_);
    std::vector<cv::Rect> faces;
    cascade_.detectMultiScale(grey_, faces, 1.1, 3, 0, cv::Size(kMinFacePx, kMinFacePx));
    if (scale != 1.0) {
        const cv::Rect frame(0, 0, bgr.cols, bgr.rows);
        for (auto& f : faces) {
            const int x0 = static_cast<int>(std::floor(f.x / scale));
            const int y0 = static_cast<int>(std::floor(f.y / scale));
            const int x1 = static_cast<int>(std::ceil((f.x + f.width) / scale));
            const int y1 = static_cast<int>(std::ceil((f.y + f.height) / scale));
            f = cv::Rect(x0, y0, x1 - x0, y1 - y0) & frame;
        }
    }
    return faces;
}

void FaceBlur::obscure(cv::Mat& bgr, const cv::Rect& face) {
    const cv::Rect r = enlarged(face) & cv::Rect(0, 0, bgr.cols, bgr.rows);
    if (r.width < 2 || r.height < 2) {
        return;
    }
    cv::Mat roi = bgr(r);
    // Pixelate to at most 4x4 blocks: what is left holds no face. Everything written back
    // below is made from these 16 colours alone.
    const cv::Size blocks(std::min(kBlurBlocks, r.width), std::min(kBlurBlocks, r.height));
    cv::Mat tiny;
    cv::resize(roi, tiny, blocks, 0, 0, cv::INTER_AREA);
    // Then Gaussian-blur the blocks so the result reads as "blurred" rather than as a
    // mosaic: at 8 px a block (cheap whatever the face's size), then scaled up smoothly.
    constexpr int kBlockPx = 8;
    cv::Mat mid;
    cv::resize(tiny, mid, cv::Size(blocks.width * kBlockPx, blocks.height * kBlockPx), 0, 0,
               cv::INTER_NEAREST);
    cv::GaussianBlur(mid, mid, cv::Size(kBlockPx + 1, kBlockPx + 1), 0, 0, cv::BORDER_REPLICATE);
    cv::resize(mid, roi, r.size(), 0, 0, cv::INTER_LINEAR);
}

int FaceBlur::blur(cv::Mat& bgr) {
    const auto faces = detect(bgr);
    for (const auto& f : faces) {
        obscure(bgr, f);
    }
    return static_cast<int>(faces.size());
}

int FaceBlur::blur(cv::Mat& bgr, std::chrono::microseconds pts) {
    if (bgr.size() != held_size_ || (!held_.empty() && pts < held_.back().pts)) {
        held_.clear();
        held_size_ = bgr.size();
    }
    while (!held_.empty() && pts - held_.front().pts > kHoldFaces) {
        held_.pop_front();
    }
    const auto faces = detect(bgr);
    // What to obscure: the faces found now, then each held face not already covered (the
    // same face a frame or two ago mostly overlaps its rect now and is obscured once).
    std::vector<cv::Rect> regions = faces;
    for (auto h = held_.rbegin(); h != held_.rend(); ++h) {
        for (const auto& f : h->faces) {
            const cv::Rect big = enlarged(f);
            const bool covered =
                std::any_of(regions.begin(), regions.end(), [&](const cv::Rect& c) {
                    return (enlarged(c) & big).area() * 20 >= big.area() * 19;  // 95% inside
                });
            if (!covered) {
                regions.push_back(f);
            }
        }
    }
    for (const auto& f : regions) {
        obscure(bgr, f);  // every region is decided before any pixel changes
    }
    if (!faces.empty()) {
        held_.push_back(Held{pts, faces});
    }
    return static_cast<int>(regions.size());
}

std::string printable_ascii(std::string_view text) {
    constexpr std::size_t kMaxChars = 120;
    std::string out;
    out.reserve(std::min(text.size(), kMaxChars));
    for (std::size_t i = 0; i < text.size() && out.size() < kMaxChars; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c <= 0x7e) {
            out.push_back(static_cast<char>(c));
            continue;
        }
        out.push_back('?');
        if (c >= 0xc0) {  // a UTF-8 lead byte: its continuation bytes belong to this '?'
            while (i + 1 < text.size() &&
                   (static_cast<unsigned char>(text[i + 1]) & 0xc0) == 0x80) {
                ++i;
            }
        }
    }
    return out;
}

void draw_watermark(cv::Mat& bgr, const std::string& text) {
    const std::string t = printable_ascii(text);
    if (t.empty() || bgr.empty() || bgr.rows < 16 || bgr.cols < 16) {
        return;
    }
    constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
    const int margin = std::max(2, bgr.rows / 50);
    const int pad = std::max(2, bgr.rows / 120);
    int baseline = 0;
    const cv::Size unit = cv::getTextSize(t, kFont, 1.0, 2, &baseline);
    double scale = std::max(10.0, bgr.rows * 0.04) / unit.height;
    const double fit = static_cast<double>(bgr.cols - 2 * (margin + pad)) / unit.width;
    scale = std::max(0.05, std::min(scale, fit));
    const int thickness = std::max(1, static_cast<int>(std::lround(scale * 1.5)));
    const int outline = thickness + std::max(2, thickness);
    const cv::Size size = cv::getTextSize(t, kFont, scale, outline, &baseline);
    const cv::Point origin(margin + pad, bgr.rows - margin - pad - baseline);
    // The band: the frame under it darkened to 45%, so white letters read on a white wall.
    const cv::Rect band = cv::Rect(margin, origin.y - size.height - pad, size.width + 2 * pad,
                                   size.height + baseline + 2 * pad) &
                          cv::Rect(0, 0, bgr.cols, bgr.rows);
    cv::Mat under = bgr(band);
    under.convertTo(under, -1, 0.45, 0.0);
    // Drawn inside the band only, so nothing outside it changes.
    cv::Mat in_band = bgr(band);
    const cv::Point at(origin.x - band.x, origin.y - band.y);
    cv::putText(in_band, t, at, kFont, scale, cv::Scalar(20, 20, 20), outline, cv::LINE_AA);
    cv::putText(in_band, t, at, kFont, scale, cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

}  // namespace hearth::media
