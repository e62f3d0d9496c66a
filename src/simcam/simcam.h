// `hearth simcam`: a fake IP camera serving the sim scene over RTSP with
// gst-rtsp-server, with digest authentication when credentials are given.
//
// Its loudspeaker is an ONVIF RTSP audio backchannel (PCMU or PCMA, 8 kHz): a client that sends
// "Require: www.onvif.org/ver20/backchannel" gets an extra sendonly audio section in the SDP
// and a media of its own; other clients (ffprobe, the hub's recorder) share one media as
// before. What the backchannel hears is measured like media::Speaker (and kept as a WAV file
// when asked); a talk starts with the first audio and ends after 1 s without any.
//
// Thread: construct/start/stop from one thread; the RTSP server runs its own
// GLib main loop thread. The backchannel accessors may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/result.h"
#include "media/sim_source.h"
#include "media/speaker.h"

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
    // Offer the ONVIF audio backchannel; false: a camera without a loudspeaker (a client
    // asking for it gets "551 Option not supported").
    bool backchannel = true;
    // What it accepts there, one sendonly SDP section each, in this order: kPcmu, kPcma.
    std::vector<media::Codec> backchannel_codecs{media::Codec::kPcmu, media::Codec::kPcma};
    // The backchannel's audio as 48 kHz mono 16-bit WAV, replaced at each talk; empty: heard
    // and measured, not kept.
    std::filesystem::path backchannel_wav;
    // ONVIF device, media and PTZ services over plain HTTP, with WS-Security when there
    // are credentials; nullopt: none. Port 0 picks one.
    std::optional<core::ListenAddress> onvif_listen;
    // UDP port of the WS-Discovery responder (3702 is ONVIF's), on the ONVIF listen
    // address and joined to 239.255.255.250 there; nullopt: none. Needs onvif_listen.
    std::optional<std::uint16_t> discovery_port;
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

    // The backchannel's level: the loudest 100 ms heard in about the last second, in dBFS
    // (-100: silence), as media::Speaker reports it.
    double backchannel_level_dbfs() const;
    // All of it: talker ("rtsp backchannel" while a talk lasts), talks so far, samples heard.
    media::SpeakerStatus backchannel_status() const;

    // The ONVIF device service address (http://host:port/onvif/device_service); empty
    // without ONVIF. Valid after start().
    std::string onvif_url() const;
    // The WS-Discovery responder's bound port; 0 without one.
    std::uint16_t discovery_port() const;
    // The camera's virtual PTZ: ONVIF moves it and the stream shows it.
    std::shared_ptr<media::VirtualPtz> ptz() const;

private:
    struct Impl;
    static core::Status start_onvif(Impl& impl, std::uint16_t rtsp_port);
    std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::simcam
