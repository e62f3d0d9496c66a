// What the media tests that run `hearth simcam` in-process share: a fresh password per test
// (never a fixed one in the tree) and a small camera on 127.0.0.1, port 0.
#pragma once

#include <random>
#include <string>

#include "simcam/simcam.h"

namespace hearth::media::testing {

inline std::string random_secret() {
    std::mt19937 rng(std::random_device{}());
    std::string s;
    for (int i = 0; i < 12; ++i) {
        s += static_cast<char>('a' + rng() % 26);
    }
    return s;
}

inline simcam::SimcamOptions small_camera(const std::string& user, const std::string& password) {
    simcam::SimcamOptions o;
    o.listen = {"127.0.0.1", 0};
    o.camera.scene.width = 320;
    o.camera.scene.height = 180;
    o.camera.scene.fps = 15;
    o.camera.video_kbps = 300;
    o.username = user;
    o.password = password;
    return o;
}

}  // namespace hearth::media::testing
