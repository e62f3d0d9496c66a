// Virtual pan/tilt/zoom for the simulated camera: a window over the sim scene's
// panorama that moves at a real camera's speeds, so a move shows in the live video
// and in recordings, and takes time like a real one.
//
// Coordinates are ONVIF's generic spaces, so the same numbers work for the sim
// camera, `hearth simcam`'s ONVIF PTZ service and real IP cameras:
// pan and tilt in [-1, 1] (0 is the centre of the panorama), zoom in [0, 1]
// (0 is the widest view; 1 is 4x). Velocities are in [-1, 1], a fraction of the
// top speed.
//
// Time is passed in (steady milliseconds), so tests drive it without sleeping.
// Thread-safety: every member is safe to call from any thread (one internal mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "media/sim_scene.h"

namespace hearth::media {

// Milliseconds on the steady clock: the time base every caller passes in.
std::int64_t ptz_now_ms();

struct PtzVector {
    double pan = 0;
    double tilt = 0;
    double zoom = 0;
    friend bool operator==(const PtzVector&, const PtzVector&) = default;
};

// Top speeds in normalized units per second: a full pan sweep (-1 to 1) takes 4 s,
// zooming all the way in takes 2.5 s, as on a typical home PTZ camera.
struct VirtualPtzLimits {
    double pan_speed = 0.5;
    double tilt_speed = 0.5;
    double zoom_speed = 0.4;
    double max_zoom_factor = 4.0;
};

class VirtualPtz {
public:
    // `panorama_*` and `output_*` in pixels, as SimScene reports them.
    VirtualPtz(int panorama_width, int panorama_height, int output_width, int output_height,
               VirtualPtzLimits limits = {});

    // Moves at `velocity` (each axis clamped to [-1, 1]) until stop(), another move, or
    // `timeout_ms` (ONVIF's ContinuousMove Timeout; <= 0 means until stopped).
    void continuous_move(const PtzVector& velocity, std::int64_t timeout_ms, std::int64_t now_ms);
    // Travels to `target` (clamped to the spaces) at `speed` (fraction of top speed per
    // axis, each in (0, 1]; {1,1,1} by default).
    void absolute_move(const PtzVector& target, std::int64_t now_ms,
                       const PtzVector& speed = {1, 1, 1});
    // Travels by `delta` from where the camera is now.
    void relative_move(const PtzVector& delta, std::int64_t now_ms,
                       const PtzVector& speed = {1, 1, 1});
    void stop(bool pan_tilt, bool zoom, std::int64_t now_ms);

    PtzVector position(std::int64_t now_ms);
    bool moving(std::int64_t now_ms);
    // The panorama window for the frame drawn at `now_ms`.
    SimView view(std::int64_t now_ms);

    static PtzVector clamp_position(const PtzVector& p);
    // A VirtualPtz over the panorama of a scene drawn with `scene`.
    static std::shared_ptr<VirtualPtz> for_scene(const SimSceneOptions& scene);

private:
    struct Axis {
        double position = 0;
        double velocity = 0;  // units per second; 0 when idle
        double target = 0;    // for a travel to a target
        bool to_target = false;
        std::int64_t until_ms = 0;  // continuous move end; 0 = no timeout
    };
    void advance(std::int64_t now_ms);  // REQUIRES(mu_)
    static void advance_axis(Axis& a, double lo, double hi, std::int64_t from_ms,
                             std::int64_t to_ms);
    void travel(Axis& a, double target, double top_speed, double fraction);

    std::mutex mu_;
    int pano_w_;
    int pano_h_;
    int out_w_;
    int out_h_;
    VirtualPtzLimits limits_;
    Axis pan_;                   // GUARDED_BY(mu_)
    Axis tilt_;                  // GUARDED_BY(mu_)
    Axis zoom_;                  // GUARDED_BY(mu_)
    std::int64_t last_ms_ = -1;  // GUARDED_BY(mu_)
};

}  // namespace hearth::media
