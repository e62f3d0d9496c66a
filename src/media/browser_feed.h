// A camera's live feed as every browser can play it: Chromium plays H.265 neither over
// WebRTC nor in MSE, and WebRTC carries no AAC. For a camera that sends either, its browser
// viewers watch this feed instead of the camera's own: H.265 becomes H.264, AAC becomes
// Opus, and every other track passes through untouched.
//
// One decoder and one encoder per converted track per camera, shared by every browser
// viewer, and running only while someone watches: the first subscribe() starts it (from the
// camera's GOP cache, so the first picture needs no wait), and it stops after `idle_stop`
// without a viewer. Recording always keeps the camera's own stream.
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

struct BrowserFeedOptions {
    std::chrono::milliseconds idle_stop{30'000};
    int video_kbps = 2500;  // what the browser gets; the recording keeps the camera's stream
    int audio_kbps = 32;
};

// True when some track of `tracks` needs converting for browsers.
bool needs_browser_feed(const std::vector<TrackInfo>& tracks);

// What the page is told about the picture.
std::string browser_video_note(const std::vector<TrackInfo>& camera_tracks);

class BrowserFeed {
public:
    explicit BrowserFeed(LiveFeed& camera, BrowserFeedOptions options = {});
    ~BrowserFeed();
    BrowserFeed(const BrowserFeed&) = delete;
    BrowserFeed& operator=(const BrowserFeed&) = delete;

    std::shared_ptr<LiveSubscription> subscribe(SubscriptionOptions options = {});
    LiveFeedStats stats() const { return out_.stats(); }
    bool running() const;

    struct Conversion;

private:
    void run();
    void convert();  // one active period: camera subscription -> converters -> out_

    // Shared with the camera subscription's notify callback, which may run just after this
    // feed is gone.
    struct Wake {
        std::mutex mu;
        std::condition_variable cv;
        bool wanted = false;       // GUARDED_BY(mu) a viewer asked since the last check
        bool running = false;      // GUARDED_BY(mu)
        bool stopping = false;     // GUARDED_BY(mu)
        bool input_ready = false;  // GUARDED_BY(mu) the camera subscription has items
    };

    LiveFeed& camera_;
    const BrowserFeedOptions options_;
    LiveFeed out_;
    const std::shared_ptr<Wake> wake_ = std::make_shared<Wake>();
    std::thread thread_;
};

}  // namespace hearth::media
