// Live view over a WebSocket as fragmented MP4 (the browser's MSE path): one subscription to
// the camera's single live feed per viewer, muxed as it came, with back-pressure so a slow
// viewer skips ahead to a keyframe instead of holding memory or slowing anyone else.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
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
                   std::string user_agent, std::shared_ptr<media::LiveSubscription> subscription)
        : hub_(std::move(hub)),
          camera_(camera),
          who_(std::move(who)),
          source_(std::move(source)),
          user_agent_(std::move(user_agent)),
          subscription_(std::move(subscription)) {}

    void on_open(std::shared_ptr<WebSocketPeer> peer) override {
        peer_ = peer;
        started_us_ = hub_.clock->now_us();
        audit("live.start", {});
        if (hub_.presence != nullptr) {
            presence_id_ = hub_.presence->add(
                {0, who_, camera_, "live", started_us_, source_, user_agent_}, peer);
        }
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
        if (hub_.presence != nullptr && presence_id_ != 0) {
            hub_.presence->remove(presence_id_);
        }
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
        audit_camera(hub_, who_, action, camera_, source_, std::move(detail));
    }

    const HubContext hub_;
    const core::CameraId camera_;
    const std::string who_;
    const std::string source_;
    const std::string user_agent_;
    std::shared_ptr<media::LiveSubscription> subscription_;
    std::uint64_t presence_id_ = 0;
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
                   r.upgrade = std::make_shared<LiveMseHandler>(
                       hub, camera, caller.name(), req.remote_address,
                       caller.origin.user_agent.substr(0, 160), std::move(subscription));
                   return r;
               });

    // Who is watching: every viewing on the cameras the caller can see.
    router.add(Method::kGet, "/api/presence", Rule{Access::kSession, {}, false},
               [hub](const Request&, Caller& caller) {
                   nlohmann::json out = nlohmann::json::array();
                   for (const auto& e : hub.presence->list()) {
                       if (!caller.who->sees(e.camera)) {
                           continue;
                       }
                       nlohmann::json j = {{"id", e.id},
                                           {"user", e.user},
                                           {"camera", e.camera.value()},
                                           {"kind", e.kind},
                                           {"since", core::format_time(e.since_us)},
                                           {"device", e.user_agent}};
                       if (caller.who->is_owner()) {
                           j["source"] = e.source;  // addresses are the owner's business
                       }
                       out.push_back(std::move(j));
                   }
                   return Response::json(200, nlohmann::json{{"presence", out}}.dump());
               });

    // Ends someone's viewing of this camera (the `manage` right on it).
    router.add(Method::kDelete, "/api/cameras/{id}/viewers/{pid}",
               Rule{Access::kCamera, auth::Right::kManage, false},
               [hub](const Request& req, Caller& caller) {
                   const auto& t = req.params.at("pid");
                   std::uint64_t pid = 0;
                   const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), pid);
                   if (ec != std::errc() || end != t.data() + t.size() || pid == 0) {
                       return Response::error(400, "viewer id must be a positive integer", req);
                   }
                   const auto camera = camera_param(req);
                   if (!hub.presence->end(pid, camera)) {
                       return Response::error(404, "nobody is watching with that id", req);
                   }
                   if (hub.audit != nullptr) {
                       store::AuditEntry e;
                       e.at_us = hub.clock->now_us();
                       e.actor = caller.name();
                       e.action = "live.ended";
                       e.target = "camera " + std::to_string(camera.value()) + " viewer " +
                                  std::to_string(pid);
                       e.source = req.remote_address;
                       (void)hub.audit->append(std::move(e));
                   }
                   Response r;
                   r.status = 204;
                   r.content_type.clear();
                   return r;
               });
}

}  // namespace hearth::api
