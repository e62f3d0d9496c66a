// An IP camera over RTSP (rtspsrc): TCP or UDP transport, digest or basic auth,
// H.264/H.265 video and AAC/G.711/Opus audio, depayloaded but never decoded.
#pragma once

#include <gst/sdp/gstsdpmessage.h>

#include <atomic>
#include <string>

#include "media/gst_source.h"

namespace hearth::media {

enum class RtspTransport : std::uint8_t { kInvalid = 0, kTcp, kUdp };

struct RtspOptions {
    std::string url;  // rtsp:// or rtsps://, without credentials
    std::string username;
    std::string password;
    RtspTransport transport = RtspTransport::kTcp;
    int latency_ms = 200;
    // Added through ONVIF: the camera's device service and the profile recorded, and a
    // smaller sub-stream (for detection) when the camera has one.
    std::string onvif_url;
    std::string onvif_profile;
    std::string sub_url;
};

// Splits credentials out of a URL ("rtsp://user:pass@host/path"), percent-decoding
// them. Errors: kInvalidArgument for a URL that is not rtsp:// or rtsps:// or is too long.
core::Result<RtspOptions> parse_rtsp_url(std::string_view url);
// Options JSON stored with the camera: {"transport":"tcp"|"udp","latency_ms":200,
// "onvif":"http://...","onvif_profile":"token","sub_url":"rtsp://..."}.
core::Status apply_rtsp_options(std::string_view json, RtspOptions& options);

class RtspSource final : public GstSource {
public:
    RtspSource(std::string name, RtspOptions options, BackoffPolicy backoff = {});
    ~RtspSource() override { stop(); }
    std::string describe() const override { return "rtsp:" + name_ + " " + options_.url; }

protected:
    core::Result<gst::ElementPtr> build_pipeline() override;

private:
    static void on_pad_added(GstElement* src, GstPad* pad, gpointer self) noexcept;
    static void on_no_more_pads(GstElement* src, gpointer self) noexcept;
    static void on_sdp(GstElement* src, GstSDPMessage* sdp, gpointer self) noexcept;

    std::string name_;
    RtspOptions options_;
    GstElement* pipeline_ = nullptr;  // borrowed, valid between build and teardown
    std::atomic<int> next_track_{0};
    std::atomic<int> sdp_tracks_{-1};  // supported streams the camera announced
};

}  // namespace hearth::media
