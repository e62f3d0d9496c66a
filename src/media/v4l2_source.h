// A local camera (V4L2) with its microphone (ALSA) when one is named, so Hearth
// can run on the camera device itself. Raw or MJPEG video is encoded once to
// H.264 here, since a V4L2 device rarely gives an encoded stream.
#pragma once

#include <string>

#include "media/gst_source.h"

namespace hearth::media {

struct V4l2Options {
    std::string device = "/dev/video0";
    std::string alsa_device;  // e.g. "hw:1"; empty: no audio
    std::string speaker_device;  // ALSA output for talk, e.g. "hw:1"; empty: no talk
    int width = 1280;
    int height = 720;
    int fps = 15;
    int video_kbps = 2000;
};

// Options JSON stored with the camera: {"alsa":"hw:1","speaker":"hw:1","width":1280,
// "height":720,"fps":15,"kbps":2000}.
core::Status apply_v4l2_options(std::string_view json, V4l2Options& options);

class V4l2Source final : public GstSource {
public:
    V4l2Source(std::string name, V4l2Options options);
    ~V4l2Source() override { stop(); }
    std::string describe() const override { return "v4l2:" + name_ + " " + options_.device; }

protected:
    core::Result<gst::ElementPtr> build_pipeline() override;

private:
    std::string name_;
    V4l2Options options_;
};

}  // namespace hearth::media
