// What the media tests that run `hearth simcam` in-process share: a fresh password per test
// (never a fixed one in the tree) and a small camera on 127.0.0.1, port 0.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

// A loopback TCP port that was free a moment ago, so nobody listens there; 0 on failure.
inline int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    return ok ? ntohs(addr.sin_port) : 0;
}

}  // namespace hearth::media::testing
