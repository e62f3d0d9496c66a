// Live view over a WebSocket as fragmented MP4 (the browser's MSE path): one subscription to
// the camera's single live feed per viewer, muxed as it came, with back-pressure so a slow
// viewer skips ahead to a keyframe instead of holding memory or slowing anyone else.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>

#include "api/live_viewing.h"
#include "api/routes.h"
#include "detect/event_log.h"
#include "core/time_text.h"
#include "media/live_fmp4.h"

namespace hearth::api {
namespace {

// Above this much unsent data the handler stops taking from its subscription, whose own
// budget then makes it skip to the next keyframe.
constexpr std::size_t kSendBudgetBytes = 2u << 20;
// What the app sends on /api/updates is a line of JSON.
constexpr std::size_t kMaxUpdateMessageBytes = 4096;

class LiveMseHandler final : public LiveViewing {
public:
    LiveMseHandler(HubContext hub, core::CameraId camera, Viewer viewer, LiveView view,
                   std::function<bool()> keep = {})
        : LiveViewing(std::move(hub), camera, std::move(viewer), std::move(view), "mse"),
          keep_(std::move(keep)) {}

    bool still_allowed() override { return !keep_ || keep_(); }

private:
    std::function<bool()> keep_;  // a share link's viewing: false once the link is closed

    void on_feed() override {
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
                    peer_->send_text(nlohmann::json{{"type", "init"},
                                                    {"mime", muxer_.mime_type()},
                                                    {"video", video_note_}}
                                         .dump());
                }
                peer_->send_binary(std::move(m.bytes));
            }
        }
        if (subscription_->ended()) {
            peer_->close();  // the camera was removed or the hub is stopping
        }
    }

    media::LiveFmp4Muxer muxer_;
};

// Pushes {"type":"presence",...} to one app whenever anyone starts or stops watching.
class UpdatesHandler final : public WebSocketHandler,
                             public PrincipalWatcher,
                             public std::enable_shared_from_this<UpdatesHandler> {
public:
    UpdatesHandler(HubContext hub, auth::Principal who, std::string source,
                   std::string user_agent)
        : hub_(std::move(hub)),
          presence_(hub_.presence),
          who_(std::move(who)),
          source_(std::move(source)),
          user_agent_(std::move(user_agent)) {}

    // {"type":"watching","camera":N,"kind":"playback"} while the app plays a recording,
    // {"type":"watching","camera":null} when it stops: the playback shows in presence for
    // as long as this socket says so (a closed tab ends it with the socket).
    void on_text(std::string_view text) override {
        if (text.size() > kMaxUpdateMessageBytes) {
            return send_error("message too large");
        }
        const auto j = nlohmann::json::parse(text, nullptr, false);
        const auto is = [&](const char* field, const char* value) {
            const auto it = j.find(field);
            return it != j.end() && it->is_string() && it->get_ref<const std::string&>() == value;
        };
        if (!j.is_object() || !is("type", "watching")) {
            return send_error("unknown message; expected {\"type\":\"watching\",...}");
        }
        const auto camera_field = j.find("camera");
        if (camera_field == j.end() || camera_field->is_null()) {
            return stop_watching();
        }
        if (!camera_field->is_number_unsigned() || !is("kind", "playback")) {
            return send_error("watching needs a camera id and \"kind\":\"playback\"");
        }
        const core::CameraId camera(camera_field->get<std::int64_t>());
        if (!who_.can(auth::Right::kRecordings, camera)) {
            return send_error("you may not watch this camera's recordings");
        }
        stop_watching();  // a page plays one recording at a time
        watching_camera_ = camera;
        watching_since_us_ = hub_.clock->now_us();
        watching_ = presence_->add(
            {0, who_.name, camera, "playback", watching_since_us_, source_, user_agent_}, peer_);
        audit_camera(hub_, who_.name, "playback.start", camera, source_, {});
    }

    void on_open(std::shared_ptr<WebSocketPeer> peer) override {
        peer_ = peer;
        listener_ = presence_->listen([weak = weak_from_this(), weak_peer = std::weak_ptr(peer)] {
            if (auto p = weak_peer.lock()) {
                p->post([weak] {
                    if (auto self = weak.lock()) self->send_presence();
                });
            }
        });
        send_presence();
        if (hub_.events != nullptr) {
            // Detection events as they happen, for cameras this user may see.
            event_listener_ = hub_.events->listen(
                [weak = weak_from_this(), weak_peer = std::weak_ptr(peer)](const detect::EventNews& news) {
                    auto p = weak_peer.lock();
                    if (!p) return;
                    p->post([weak, news] {
                        if (auto self = weak.lock()) self->send_event(news);
                    });
                });
        }
    }

    void on_close() override {
        stop_watching();
        presence_->unlisten(listener_);
        if (hub_.events != nullptr) {
            hub_.events->unlisten(event_listener_);
        }
        peer_.reset();
    }

    // Rights change while the app stays open: what it is shown follows them.
    bool still_allowed_as(const auth::Principal& who) override {
        who_ = who;
        if (watching_ != 0 && !who_.can(auth::Right::kRecordings, watching_camera_)) {
            stop_watching();
        }
        send_presence();
        return true;
    }

private:
    void stop_watching() {
        if (watching_ == 0) {
            return;
        }
        presence_->remove(watching_);
        watching_ = 0;
        const auto seconds = (hub_.clock->now_us() - watching_since_us_) / 1'000'000;
        audit_camera(hub_, who_.name, "playback.stop", watching_camera_, source_,
                     std::to_string(seconds) + " s");
    }

    void send_error(const std::string& message) {
        if (peer_) {
            peer_->send_text(nlohmann::json{{"type", "error"}, {"error", message}}.dump());
        }
    }

    void send_event(const detect::EventNews& news) {
        const auto camera = news.event.camera;
        if (!peer_ || !camera.valid() ||
            !(who_.can(auth::Right::kLive, camera) || who_.can(auth::Right::kRecordings, camera))) {
            return;
        }
        const char* phase = news.phase == detect::Phase::kStarted   ? "started"
                            : news.phase == detect::Phase::kEnded   ? "ended"
                                                                    : "updated";
        peer_->send_text(
            nlohmann::json{{"type", "event"}, {"phase", phase}, {"event", event_json(news.event)}}.dump());
    }

    void send_presence() {
        if (!peer_) {
            return;
        }
        auto body = presence_json(presence_->list(), who_);
        if (body == last_) {
            return;  // a change on a camera this user cannot see
        }
        last_ = body;
        body.insert(1, R"("type":"presence",)");
        peer_->send_text(std::move(body));
    }

    const HubContext hub_;
    Presence* const presence_;
    auth::Principal who_;
    const std::string source_;
    const std::string user_agent_;
    std::shared_ptr<WebSocketPeer> peer_;
    std::uint64_t listener_ = 0;
    std::uint64_t event_listener_ = 0;
    std::string last_;
    std::uint64_t watching_ = 0;
    core::CameraId watching_camera_;
    core::WallMicros watching_since_us_ = 0;
};

}  // namespace

Response open_shared_live_view(const HubContext& hub, const Request& req, core::CameraId camera,
                               Viewer viewer, std::function<bool()> keep) {
    if (!req.websocket_upgrade) {
        return Response::error(400, "this address speaks WebSocket only", req);
    }
    auto view = hub.subscribe_live ? hub.subscribe_live(camera) : LiveView{};
    if (!view.subscription) {
        return Response::error(404, "this camera is not running", req);
    }
    Response r;
    r.upgrade = std::make_shared<LiveMseHandler>(hub, camera, std::move(viewer), std::move(view),
                                                 std::move(keep));
    return r;
}

void add_live_routes(SecureRouter& router, const HubContext& hub) {
    const Rule kLive{Access::kCamera, auth::Right::kLive, false};
    router.add(Method::kGet, "/api/cameras/{id}/live", kLive,
               [hub](const Request& req, Caller& caller) {
                   return open_live_view<LiveMseHandler>(hub, req, caller);
               });

    // Who is watching: every viewing on the cameras the caller can see.
    router.add(Method::kGet, "/api/presence", Rule{Access::kSession, {}, false},
               [hub](const Request&, Caller& caller) {
                   return Response::json(200, presence_json(hub.presence->list(), *caller.who));
               });

    // The app's live channel: presence now, and again at every change.
    router.add(Method::kGet, "/api/updates", Rule{Access::kSession, {}, false},
               [hub](const Request& req, Caller& caller) {
                   if (!req.websocket_upgrade) {
                       return Response::error(400, "this address speaks WebSocket only", req);
                   }
                   Response r;
                   r.upgrade = std::make_shared<UpdatesHandler>(
                       hub, *caller.who, req.remote_address, device_of(caller.origin.user_agent));
                   return r;
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
