#include "api/live_viewing.h"

namespace hearth::api {

std::string device_of(std::string_view user_agent) {
    // What the household sees as "the device": printable ASCII only, and short.
    std::string out;
    for (const char c : user_agent.substr(0, 160)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
}

Viewer viewer_of(const Request& req, const Caller& caller) {
    return {*caller.who, req.remote_address, device_of(caller.origin.user_agent)};
}

LiveViewing::LiveViewing(HubContext hub, core::CameraId camera, Viewer viewer, LiveView view,
                         std::string transport)
    : hub_(std::move(hub)),
      camera_(camera),
      viewer_(std::move(viewer)),
      video_note_(std::move(view.video_note)),
      subscription_(std::move(view.subscription)),
      transport_(std::move(transport)) {}

void LiveViewing::on_open(std::shared_ptr<WebSocketPeer> peer) {
    peer_ = peer;
    started_us_ = hub_.clock->now_us();
    audit_camera(hub_, viewer_.who.name, "live.start", camera_, viewer_.source, transport_);
    if (hub_.presence != nullptr) {
        presence_id_ = hub_.presence->add(
            {0, viewer_.who.name, camera_, "live", started_us_, viewer_.source, viewer_.user_agent},
            peer);
    }
    // The feed calls this from the camera's thread: only hop to the connection's strand.
    subscription_->set_notify([weak = weak_from_this(), weak_peer = std::weak_ptr(peer)] {
        if (auto p = weak_peer.lock()) {
            p->post([weak] {
                if (auto self = weak.lock()) {
                    self->on_feed();
                }
            });
        }
    });
    on_feed();
}

void LiveViewing::on_close() {
    on_end();
    subscription_->set_notify(nullptr);
    if (hub_.presence != nullptr && presence_id_ != 0) {
        hub_.presence->remove(presence_id_);
    }
    const auto seconds = (hub_.clock->now_us() - started_us_) / 1'000'000;
    audit_camera(hub_, viewer_.who.name, "live.stop", camera_, viewer_.source,
                 transport_ + ", " + std::to_string(seconds) + " s, " +
                     std::to_string(subscription_->dropped()) + " samples skipped");
    subscription_.reset();
    peer_.reset();
}

}  // namespace hearth::api
