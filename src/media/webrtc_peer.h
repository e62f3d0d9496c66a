// One browser's WebRTC connection to one camera: GStreamer's webrtcbin fed with the
// camera's own encoded samples from the live feed, payloaded as they came (no decoder,
// no encoder: the tenth viewer costs a payloader and an encryption, never a transcode).
//
// The hub makes the offer: video sendonly (H.264), and an audio line when the camera has
// a microphone the browser can play (Opus, G.711) or the viewer may talk. The browser's
// talk audio arrives as Opus, is decoded to 48 kHz mono PCM and handed to `on_talk_audio`
// only while talking is switched on; it is never sent back to anyone (no echo loop).
//
// Timestamps: samples are restamped on arrival with the pipeline's running time, and the
// GOP cache a new viewer starts with is squeezed 1 ms apart, so the browser decodes the
// cached frames at once and then shows the live edge instead of lagging a GOP behind.
//
// Thread: construction, push() and the setters from one thread at a time (the signalling
// connection's strand). Callbacks come from GStreamer's threads: they must only post to
// the owner's thread. None runs once the destructor has returned.
//
// Example:
//     auto peer = WebRtcPeer::start({.tracks = tracks, .talk = true}, callbacks);
//     // on_offer -> send to the browser; its answer -> peer->set_answer(sdp)
//     while (auto item = subscription->pop()) (*peer)->push(*item);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "media/live_feed.h"
#include "media/source.h"

namespace hearth::media {

struct WebRtcOptions {
    std::vector<TrackInfo> tracks;  // the camera's tracks, as the live feed announced them
    bool talk = false;              // offer to receive the viewer's voice
    // Which of our ICE candidates the browser is told about (by address). Null: all.
    std::function<bool(std::string_view address)> offer_candidate;
};

struct WebRtcCallbacks {
    std::function<void(std::string sdp)> on_offer;
    std::function<void(unsigned mline, std::string candidate)> on_ice_candidate;
    // "connecting", "connected", "disconnected", "failed", "closed".
    std::function<void(std::string state)> on_state;
    std::function<void(std::string message)> on_error;
    // 48 kHz mono S16 PCM of the viewer's voice, only while talking is on.
    std::function<void(std::span<const std::int16_t> pcm)> on_talk_audio;
};

// What the offer carries, for the page to say.
struct WebRtcOffer {
    bool video = false;
    bool camera_audio = false;  // the camera's microphone comes back
    bool talk = false;
};

class WebRtcPeer {
public:
    // Errors: kInvalidArgument for a camera whose video codec WebRTC cannot carry as it
    // came (H.265 in browsers today); kInternal when the pipeline cannot be built.
    static core::Result<std::unique_ptr<WebRtcPeer>> start(WebRtcOptions options,
                                                          WebRtcCallbacks callbacks);
    ~WebRtcPeer();
    WebRtcPeer(const WebRtcPeer&) = delete;
    WebRtcPeer& operator=(const WebRtcPeer&) = delete;

    const WebRtcOffer& offer() const;

    // The browser's answer. Errors: kInvalidArgument for SDP that does not parse; an answer
    // webrtcbin refuses is reported later through on_error.
    core::Status set_answer(std::string_view sdp);
    // A candidate from the browser ("candidate:..." line). Candidates for addresses the
    // filter refuses, and host names (mDNS), are ignored; malformed lines are errors
    // (kInvalidArgument).
    core::Status add_remote_candidate(unsigned mline, std::string_view candidate);

    // Hands one item of the camera's live feed to the connection. Returns false when the
    // camera's tracks changed under us (the viewer must reconnect).
    bool push(const LiveItem& item);
    // Bytes waiting in the pipeline's inputs: the caller holds back above its budget.
    std::size_t queued_bytes() const;

    void set_talking(bool on);

    struct Impl;

private:
    explicit WebRtcPeer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::media
