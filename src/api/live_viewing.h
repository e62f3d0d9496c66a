// What every live viewing of a camera shares, whatever carries it (WebRTC or fMP4 over the
// WebSocket): the subscription to the camera's one live feed, the presence entry that
// shows it to the household, and its start and stop in the audit log.
//
// Thread: everything on the connection's strand (the feed's notifications are posted there).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/routes.h"

namespace hearth::api {

// Who opened the viewing and from where, as the gate saw the request.
struct Viewer {
    auth::Principal who;
    std::string source;      // client address
    std::string user_agent;  // shortened
};

Viewer viewer_of(const Request& req, const Caller& caller);
// A User-Agent as shown in presence: printable ASCII, at most 160 characters.
std::string device_of(std::string_view user_agent);

// The answer to a live-view request: the WebSocket upgrade to a `Handler` built from
// (hub, camera, viewer, view), or 400 (not a WebSocket) / 404 (camera not running).
template <class Handler>
Response open_live_view(const HubContext& hub, const Request& req, const Caller& caller) {
    if (!req.websocket_upgrade) {
        return Response::error(400, "this address speaks WebSocket only", req);
    }
    const auto camera = camera_param(req);
    auto view = hub.subscribe_live ? hub.subscribe_live(camera) : LiveView{};
    if (!view.subscription) {
        return Response::error(404, "this camera is not running", req);
    }
    Response r;
    r.upgrade = std::make_shared<Handler>(hub, camera, viewer_of(req, caller), std::move(view));
    return r;
}

// A live view for someone holding a share link (no account): the same fMP4 feed, presence
// entry and audit as a member's; `keep` is asked every few seconds, and false (the link was
// revoked or expired) closes it.
Response open_shared_live_view(const HubContext& hub, const Request& req, core::CameraId camera,
                               Viewer viewer, std::function<bool()> keep);

class LiveViewing : public WebSocketHandler, public std::enable_shared_from_this<LiveViewing> {
public:
    void on_open(std::shared_ptr<WebSocketPeer> peer) override;
    void on_close() override;
    void on_writable() override { on_feed(); }

protected:
    LiveViewing(HubContext hub, core::CameraId camera, Viewer viewer, LiveView view,
                std::string transport);

    // Items are waiting in subscription_ (or the socket drained): take what fits.
    virtual void on_feed() = 0;
    // Runs last in on_close, before the subscription and the socket are let go.
    virtual void on_end() {}

    const HubContext hub_;
    const core::CameraId camera_;
    const Viewer viewer_;
    const std::string video_note_;  // what the page says about the picture
    std::shared_ptr<media::LiveSubscription> subscription_;
    std::shared_ptr<WebSocketPeer> peer_;
    core::WallMicros started_us_ = 0;

private:
    const std::string transport_;  // "webrtc", "mse"
    std::uint64_t presence_id_ = 0;
};

}  // namespace hearth::api
