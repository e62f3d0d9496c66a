// H.264 for browsers from an H.265 camera: Chromium plays H.265 neither over WebRTC nor in
// MSE, so such a camera's browser viewers watch this feed instead of the camera's own.
//
// One decoder and one encoder per camera, shared by every browser viewer, and running only
// while someone watches: the first subscribe() starts it (from the camera's GOP cache, so
// the first picture needs no wait), and it stops after `idle_stop` without a viewer. The
// camera's audio passes through untouched; recording always keeps the camera's own H.265.
//
// Thread: subscribe() and stats() from any thread; the work runs on a thread of its own
// and GStreamer's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "media/live_feed.h"

namespace hearth::media {

struct H264FallbackOptions {
    std::chrono::milliseconds idle_stop{30'000};
    int kbps = 2500;  // what the browser gets; the recording keeps the camera's own stream
};

class H264Fallback {
public:
    explicit H264Fallback(LiveFeed& camera, H264FallbackOptions options = {});
    ~H264Fallback();
    H264Fallback(const H264Fallback&) = delete;
    H264Fallback& operator=(const H264Fallback&) = delete;

    std::shared_ptr<LiveSubscription> subscribe(SubscriptionOptions options = {});
    LiveFeedStats stats() const { return out_.stats(); }
    bool running() const;

    struct Pipeline;

private:
    void run();
    void transcode();  // one active period: camera subscription -> pipeline -> out_

    LiveFeed& camera_;
    const H264FallbackOptions options_;
    LiveFeed out_;
    mutable std::mutex mu_;
    std::condition_variable wake_;
    bool wanted_ = false;    // GUARDED_BY(mu_) a viewer asked since the last stop
    bool running_ = false;   // GUARDED_BY(mu_)
    bool stopping_ = false;  // GUARDED_BY(mu_)
    bool input_ready_ = false;  // GUARDED_BY(mu_) the camera subscription has items
    std::thread thread_;
};

}  // namespace hearth::media
