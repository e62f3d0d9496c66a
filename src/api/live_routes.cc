// Live view over a WebSocket as fragmented MP4 (the browser's MSE path): one subscription to
// the camera's single live feed per viewer, muxed as it came, with back-pressure so a slow
// viewer skips ahead to a keyframe instead of holding memory or slowing anyone else.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "api/routes.h"
#include "core/time_text.h"
#include "media/live_fmp4.h"

namespace hearth::api {
namespace {

// Above this much unsent data the handler stops taking from its subscription, whose own
// budget then makes it skip to the next keyframe.
constexpr std::size_t kSendBudgetBytes = 2u << 20;

class LiveMseHandler final : public WebSocketHandler,
                             public std::enable_shared_from_this<LiveMseHandler> {
public:
    LiveMseHandler(HubContext hub, core::CameraId camera, std::string who, std::string source,
                   std::shared_ptr<media::LiveSubscription> subscription)
        : hub_(std::move(hub)),
          camera_(camera),
          who_(std::move(who)),
          source_(std::move(source)),
          subscription_(std::move(subscription)) {}

    void on_open(std::shared_ptr<WebSocketPeer> peer) override {
        peer_ = peer;
        started_us_ = hub_.clock->now_us();
        audit("live.start", {});
        // The feed calls this from the camera's thread: only hop to the connection's strand.
        subscription_->set_notify([weak = weak_from_this(), weak_peer = std::weak_ptr(peer)] {
            if (auto p = weak_peer.lock()) {
                p->post([weak] {
                    if (auto self = weak.lock()) {
                        self->drain();
                    }
                });
            }
        });
        drain();
    }

    void on_writable() override { drain(); }

    void on_close() override {
        subscription_->set_notify(nullptr);
        const auto seconds = (hub_.clock->now_us() - started_us_) / 1'000'000;
        audit("live.stop", std::to_string(seconds) + " s, " +
                               std::to_string(subscription_->dropped()) + " samples skipped");
        subscription_.reset();
        peer_.reset();
    }

private:
    void drain() {
        if (!peer_ || !subscription_) {
            return;
        }
        while (peer_->queued_bytes() < kSendBudgetBytes) {
            auto item = subscription_->pop();
            if (!item) {
                break;
            }
            auto messages = muxer_.push(*item);
            if (!messages) {
                peer_->send_text(nlohmann::json{{"type", "error"},
                                                {"error", messages.error().message}}
                                     .dump());
                peer_->close();
                return;
            }
            for (auto& m : *messages) {
                if (m.kind == media::LiveMessage::Kind::kInit) {
                    // Tells the page which SourceBuffer to make before the init segment comes.
                    peer_->send_text(
                        nlohmann::json{{"type", "init"}, {"mime", muxer_.mime_type()}}.dump());
                }
                peer_->send_binary(std::move(m.bytes));
            }
        }
        if (subscription_->ended()) {
            peer_->close();  // the camera was removed or the hub is stopping
        }
    }

    void audit(const char* action, std::string detail) {
        if (hub_.audit == nullptr) {
            return;
        }
        store::AuditEntry e;
        e.at_us = hub_.clock->now_us();
        e.actor = who_;
        e.action = action;
        e.target = "camera " + std::to_string(camera_.value());
        e.source = source_;
        e.detail = std::move(detail);
        if (auto r = hub_.audit->append(std::move(e)); !r) {
            spdlog::error("audit log append failed: {}", r.error().message);
        }
    }

    const HubContext hub_;
    const core::CameraId camera_;
    const std::string who_;
    const std::string source_;
    std::shared_ptr<media::LiveSubscription> subscription_;
    std::shared_ptr<WebSocketPeer> peer_;
    media::LiveFmp4Muxer muxer_;
    core::WallMicros started_us_ = 0;
};

}  // namespace

void add_live_routes(SecureRouter& router, const HubContext& hub) {
    const Rule kLive{Access::kCamera, auth::Right::kLive, false};
    router.add(Method::kGet, "/api/cameras/{id}/live", kLive,
               [hub](const Request& req, Caller& caller) {
                   if (!req.websocket_upgrade) {
                       return Response::error(400, "this address speaks WebSocket only", req);
                   }
                   const auto camera = camera_param(req);
                   auto subscription = hub.subscribe_live ? hub.subscribe_live(camera) : nullptr;
                   if (!subscription) {
                       return Response::error(404, "this camera is not running", req);
                   }
                   Response r;
                   r.upgrade = std::make_shared<LiveMseHandler>(hub, camera, caller.name(),
                                                                req.remote_address,
                                                                std::move(subscription));
                   return r;
               });
}

}  // namespace hearth::api
