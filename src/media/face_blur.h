// Faces out of shared clips, and the recipient's name into them.
//
// FaceBlur finds frontal faces with OpenCV's Haar cascade (Debian's opencv-data, no model
// download) and obscures them for good: each face's rectangle, enlarged by 30%, is
// pixelated to at most 4x4 blocks and then Gaussian-blurred, so nothing of the face can be
// recovered from the output. A face the detector misses on a few frames is still hidden:
// blur() with a timestamp also obscures what it found in the last 0.5 s.
//
// Why 4x4 blocks (kBlurBlocks), not 6x6: a blurred 6x6 mosaic of a face keeps a dark band
// over a light oval, and the Haar cascade itself then finds a "face" in it on some frames
// (up to 40% of them on a moving test face); at 4x4 it found none, at any size tested.
//
// Limits: a Haar frontal-face cascade finds faces turned to the camera, down to ~24 px on a
// 640x360 frame (frames wider than 640 px are searched at 640 px wide, so the smallest face
// found grows with the frame: ~48 px at 1280x720, ~72 px at 1080p). Faces in profile, under
// hats or far away are not found. It is a privacy aid, not a guarantee.
//
// Thread: not thread-safe; one FaceBlur per clip being rendered (the media streaming
// thread that processes its frames). draw_watermark and printable_ascii are free functions
// safe from any thread.
//
// Example:
//     auto blur = media::FaceBlur::open();              // the default cascade
//     if (!blur) return blur.error();                   // says to install opencv-data
//     int n = blur->blur(frame, std::chrono::microseconds(pts_us));
//     media::draw_watermark(frame, "Shared with Alice");
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::media {

// Where Debian's opencv-data puts the default frontal-face cascade.
inline constexpr const char* kDefaultFaceCascade =
    "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

class FaceBlur {
public:
    // Frames wider than this are searched downscaled to this width (rects are scaled back).
    static constexpr int kDetectWidthPx = 640;
    // The smallest face searched for, in the (downscaled) detection frame.
    static constexpr int kMinFacePx = 24;
    // Faces found this long before a frame are obscured on it too (detection flickers).
    static constexpr std::chrono::microseconds kHoldFaces{500'000};
    // An obscured face is made of this many blocks a side (fewer on a tiny region).
    static constexpr int kBlurBlocks = 4;

    // Loads `cascade` (empty: kDefaultFaceCascade). Errors: kFailedPrecondition when the
    // file is missing (naming the Debian package opencv-data), kInvalidArgument when it is
    // not a cascade OpenCV can read.
    static core::Result<FaceBlur> open(const std::filesystem::path& cascade = {});

    // The faces in `bgr` (8-bit, 3 channels), in its pixel coordinates. Grey, histogram
    // equalized, detectMultiScale(scale 1.1, 3 neighbours, min kMinFacePx).
    std::vector<cv::Rect> detect(const cv::Mat& bgr);

    // Detects and obscures every face of a single picture. Returns how many it obscured.
    int blur(cv::Mat& bgr);

    // The same for a frame of a video at `pts` (any clock that grows through the clip):
    // also obscures the faces found on the frames of the kHoldFaces before it. Returns how
    // many regions it obscured (a held face whose obscured area lies 95% inside another
    // region's is that region: obscured and counted once). A timestamp that goes back or a
    // frame of another size forgets the held faces.
    int blur(cv::Mat& bgr, std::chrono::microseconds pts);

    // Obscures `face` (enlarged by 30% and clipped to the frame) for good.
    static void obscure(cv::Mat& bgr, const cv::Rect& face);

private:
    explicit FaceBlur(cv::CascadeClassifier cascade) : cascade_(std::move(cascade)) {}

    struct Held {
        std::chrono::microseconds pts;
        std::vector<cv::Rect> faces;
    };

    cv::CascadeClassifier cascade_;
    std::deque<Held> held_;  // newest last, within kHoldFaces of the last pts
    cv::Size held_size_;
    cv::Mat grey_;  // reused between frames
    cv::Mat small_;
};

// `text` as cv::putText can draw it: printable ASCII (0x20-0x7e) kept, every other
// character (a control byte, or one UTF-8 sequence) replaced by '?', at most 120 characters.
std::string printable_ascii(std::string_view text);

// Burns `text` (through printable_ascii) into the bottom-left corner of `bgr`: white
// letters with a dark outline on a half-transparent dark band, about 4% of the frame's
// height tall (smaller when it would not fit the width). Changes only the band's pixels.
void draw_watermark(cv::Mat& bgr, const std::string& text);

}  // namespace hearth::media
