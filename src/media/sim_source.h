// The simulated camera: the SimScene rendered in real time, encoded to H.264 +
// AAC by GStreamer. Used by `hearth demo`, by `hearth simcam` over RTSP, and by
// every integration test.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "media/gst_source.h"
#include "media/sim_ptz.h"
#include "media/sim_scene.h"

namespace hearth::media {

struct SimCameraOptions {
    SimSceneOptions scene;
    int video_kbps = 1500;
    bool audio = true;
    int bframes = 0;  // H.264 only: non-reference B-frames between references
    Codec video_codec = Codec::kH264;  // or kH265
    Codec audio_codec = Codec::kAac;   // or kOpus, kPcmu, kPcma
};

// "h264", "h265", "aac", "opus", "pcmu", "pcma". Errors: kInvalidArgument.
core::Result<Codec> parse_sim_codec(std::string_view name, bool video);

// Parses the JSON options stored with a sim camera ({"width":1280,"height":720,
// "fps":15,"kbps":1500,"audio":true,"seed":1,"traffic":true,"person_every_s":40,
// "bframes":0}). Errors: kInvalidArgument naming the key.
core::Result<SimCameraOptions> parse_sim_options(std::string_view json);

// gst-launch text of the encoding branches fed by appsrc "vsrc" (and "asrc"),
// each ending in an appsink (kAppsink) or an RTP payloader pay0/pay1 (kRtp).
enum class SimOutput : std::uint8_t { kInvalid = 0, kAppsink, kRtp };
std::string sim_pipeline_description(const SimCameraOptions& options, SimOutput output);

// Pushes rendered frames and audio into the appsrcs at the real rate.
// Thread: start/stop from one thread; renders on its own thread.
class SimProducer {
public:
    SimProducer(const SimCameraOptions& options, GstElement* video_src, GstElement* audio_src);
    ~SimProducer();
    void start();
    void stop();
    // Frames follow `ptz`'s window from the next frame on; null keeps the centre view.
    // Call before start().
    void set_ptz(std::shared_ptr<VirtualPtz> ptz) { ptz_ = std::move(ptz); }

private:
    void run();

    SimCameraOptions options_;
    gst::ElementPtr vsrc_;
    gst::ElementPtr asrc_;
    SimScene scene_;  // used by the producing thread only
    std::shared_ptr<VirtualPtz> ptz_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

class SimSource final : public GstSource {
public:
    SimSource(std::string name, SimCameraOptions options);
    ~SimSource() override { stop(); }
    std::string describe() const override { return "sim:" + name_; }
    // The camera's virtual PTZ; its position survives pipeline restarts.
    const std::shared_ptr<VirtualPtz>& ptz() const { return ptz_; }

protected:
    core::Result<gst::ElementPtr> build_pipeline() override;
    void on_playing(GstElement* pipeline) override;
    void on_teardown() override;

private:
    std::string name_;
    SimCameraOptions options_;
    std::shared_ptr<VirtualPtz> ptz_;
    std::unique_ptr<SimProducer> producer_;
    gst::ElementPtr pipeline_;  // borrowed for the producer while playing
};

}  // namespace hearth::media
