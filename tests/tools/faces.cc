// faces: a test tool for shared clips' face blurring.
//
//   faces draw OUT.png [--width W --height H]
//       draws a synthetic face that OpenCV's default Haar cascade finds (640x360 unless
//       told; other sizes scale the drawing with the height, centred).
//   faces count VIDEO [--cascade PATH] [--near REFERENCE] [--list]
//       prints `frames=N frames_with_faces=M max_faces=K default_frames_with_faces=D`:
//       M and K judged by the hub's own detector (media::FaceBlur::detect), D by a plain
//       default detectMultiScale on the full frame, so a test is not judged by the code
//       under test alone. With --near, a face counts only where the same frame of REFERENCE
//       (the input of a render) had one (overlap over a third of their union), so the
//       detectors' false positives on a busy background do not count against a blur.
//       --list also prints each frame's faces (both detectors) to stderr.
//
// Exit status: 0 done, 1 failure (message on stderr), 2 usage.
#include <cstdio>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "../unit/support/synthetic_face.h"
#include "media/face_blur.h"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: faces draw OUT.png [--width W --height H]\n"
                 "       faces count VIDEO [--cascade PATH] [--near REFERENCE] [--list]\n");
    return 2;
}


int draw(int argc, char** argv) {
    if (argc < 3) return usage();
    int width = 640;
    int height = 360;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--width") {
            width = std::atoi(argv[i + 1]);
        } else if (flag == "--height") {
            height = std::atoi(argv[i + 1]);
        } else {
            return usage();
        }
    }
    if (width < 64 || height < 64) return usage();
    if (!cv::imwrite(argv[2], hearth::testing::synthetic_face(width, height))) {
        std::fprintf(stderr, "faces: cannot write %s\n", argv[2]);
        return 1;
    }
    return 0;
}

bool open_video(cv::VideoCapture& video, const std::string& path) {
    return video.open(path, cv::CAP_FFMPEG) || video.open(path, cv::CAP_ANY);
}

// Keeps the faces of `found` that overlap one of `reference` over a third of their union.
std::vector<cv::Rect> near_to(const std::vector<cv::Rect>& found,
                              const std::vector<cv::Rect>& reference) {
    std::vector<cv::Rect> out;
    for (const auto& f : found) {
        for (const auto& r : reference) {
            if ((f & r).area() * 3 > (f | r).area()) {
                out.push_back(f);
                break;
            }
        }
    }
    return out;
}

int count(int argc, char** argv) {
    if (argc < 3) return usage();
    std::string cascade;
    bool list = false;
    std::string near;
    for (int i = 3; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--list") {
            list = true;
        } else if (flag == "--cascade" && i + 1 < argc) {
            cascade = argv[++i];
        } else if (flag == "--near" && i + 1 < argc) {
            near = argv[++i];
        } else {
            return usage();
        }
    }
    auto product = hearth::media::FaceBlur::open(cascade);
    if (!product) {
        std::fprintf(stderr, "faces: %s\n", product.error().message.c_str());
        return 1;
    }
    cv::CascadeClassifier plain;
    if (!plain.load(cascade.empty() ? hearth::media::kDefaultFaceCascade : cascade)) {
        std::fprintf(stderr, "faces: cannot load the cascade\n");
        return 1;
    }
    cv::VideoCapture video;
    if (!open_video(video, argv[2])) {
        std::fprintf(stderr, "faces: cannot open %s\n", argv[2]);
        return 1;
    }
    cv::VideoCapture reference;
    if (!near.empty() && !open_video(reference, near)) {
        std::fprintf(stderr, "faces: cannot open %s\n", near.c_str());
        return 1;
    }
    long frames = 0;
    long with_faces = 0;
    long max_faces = 0;
    long default_with_faces = 0;
    cv::Mat frame;
    cv::Mat ref_frame;
    cv::Mat grey;
    while (video.read(frame) && !frame.empty()) {
        ++frames;
        auto found = product->detect(frame);
        cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
        std::vector<cv::Rect> plain_found;
        plain.detectMultiScale(grey, plain_found);
        if (reference.isOpened()) {
            std::vector<cv::Rect> faces;
            if (reference.read(ref_frame) && !ref_frame.empty()) {
                faces = product->detect(ref_frame);
                cv::cvtColor(ref_frame, grey, cv::COLOR_BGR2GRAY);
                std::vector<cv::Rect> more;
                plain.detectMultiScale(grey, more);
                faces.insert(faces.end(), more.begin(), more.end());
            }
            found = near_to(found, faces);
            plain_found = near_to(plain_found, faces);
        }
        with_faces += found.empty() ? 0 : 1;
        max_faces = std::max<long>(max_faces, static_cast<long>(found.size()));
        default_with_faces += plain_found.empty() ? 0 : 1;
        if (list && !(found.empty() && plain_found.empty())) {
            std::fprintf(stderr, "frame %ld:", frames - 1);
            for (const auto& r : found) {
                std::fprintf(stderr, " hub %d,%d %dx%d", r.x, r.y, r.width, r.height);
            }
            for (const auto& r : plain_found) {
                std::fprintf(stderr, " default %d,%d %dx%d", r.x, r.y, r.width, r.height);
            }
            std::fprintf(stderr, "\n");
        }
    }
    std::printf("frames=%ld frames_with_faces=%ld max_faces=%ld default_frames_with_faces=%ld\n",
                frames, with_faces, max_faces, default_with_faces);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const std::string command = argv[1];
    try {
        if (command == "draw") return draw(argc, argv);
        if (command == "count") return count(argc, argv);
    } catch (const cv::Exception& e) {
        std::fprintf(stderr, "faces: OpenCV: %s\n", e.what());
        return 1;
    }
    return usage();
}
