// `hearth simcam`: a fake IP camera serving the sim scene over RTSP with
// gst-rtsp-server, with digest authentication when credentials are given.
//
// Thread: construct/start/stop from one thread; the RTSP server runs its own
// GLib main loop thread.
#pragma once

#include <memory>
#include <string>

#include "core/address.h"
#include "core/result.h"
#include "media/sim_source.h"

namespace hearth::simcam {

struct SimcamOptions {
    core::ListenAddress listen{"127.0.0.1", 8554};
    media::SimCameraOptions camera;
    std::string username;  // empty: no authentication (an insecure camera, for audits)
    std::string password;
    std::string mount = "/stream";
    // When set, serve this MP4's H.264 video as it is (no re-encoding, no audio)
    // instead of the live sim scene: for benchmarks at realistic bitrates.
    std::string file;
};

class Simcam {
public:
    explicit Simcam(SimcamOptions options);
    ~Simcam();
    Simcam(const Simcam&) = delete;
    Simcam& operator=(const Simcam&) = delete;

    // Binds and starts serving; returns the stream URL (without credentials).
    core::Result<std::string> start();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::simcam
