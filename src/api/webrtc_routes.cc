// Live view and talk over WebRTC, signalled on an authenticated WebSocket.
//
// GET /api/cameras/{id}/webrtc (right: live). The page sends {"type":"start"}; the hub
// answers {"type":"offer","sdp",...} from a webrtcbin fed by the camera's single live feed;
// the page answers {"type":"answer","sdp"}; both trickle {"type":"ice","candidate",
// "sdpMLineIndex"}. {"type":"talk","on":true|false} opens or closes the viewer's voice to
// the camera's speaker (right: talk). The socket lives as long as the viewing: closing it
// ends the peer connection, the presence entry and any talk session.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "api/routes.h"
#include "media/webrtc_peer.h"

namespace hearth::api {
namespace {

constexpr std::size_t kPipelineBudgetBytes = 2u << 20;
constexpr std::size_t kMaxSignalBytes = 64u << 10;
constexpr int kMaxCandidates = 64;

std::string signal(const nlohmann::json& j) { return j.dump(); }

class WebRtcHandler final : public WebSocketHandler,
                            public std::enable_shared_from_this<WebRtcHandler> {
public:
    WebRtcHandler(HubContext hub, core::CameraId camera, auth::Principal who, std::string source,
                  std::string user_agent, LiveView view)
        : hub_(std::move(hub)),
          camera_(camera),
          who_(std::move(who)),
          source_(std::move(source)),
          user_agent_(std::move(user_agent)),
          subscription_(std::move(view.subscription)),
          video_note_(std::move(view.video_note)) {}

    void on_open(std::shared_ptr<WebSocketPeer> socket) override {
        socket_ = socket;
        started_us_ = hub_.clock->now_us();
        audit_camera(hub_, who_.name, "live.start", camera_, source_, "webrtc");
        if (hub_.presence != nullptr) {
            presence_id_ = hub_.presence->add(
                {0, who_.name, camera_, "live", started_us_, source_, user_agent_}, socket);
        }
        subscription_->set_notify([weak = weak_from_this(), weak_socket = std::weak_ptr(socket)] {
            if (auto s = weak_socket.lock()) {
                s->post([weak] {
                    if (auto self = weak.lock()) self->on_feed();
                });
            }
        });
    }

    void on_text(std::string_view text) override {
        if (text.size() > kMaxSignalBytes) {
            return fail("signalling message too large");
        }
        const auto j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
            return fail("signalling message must be a JSON object with a \"type\"");
        }
        const auto& type = j["type"].get_ref<const std::string&>();
        if (type == "start") {
            start_requested_ = true;
            on_feed();
        } else if (type == "answer") {
            if (!peer_ || !j.contains("sdp") || !j["sdp"].is_string()) {
                return fail("an answer needs an offer first and an \"sdp\" string");
            }
            if (auto r = peer_->set_answer(j["sdp"].get_ref<const std::string&>()); !r) {
                return fail(r.error().message);
            }
        } else if (type == "ice") {
            if (!peer_ || !j.contains("candidate") || !j["candidate"].is_string() ||
                !j.contains("sdpMLineIndex") || !j["sdpMLineIndex"].is_number_unsigned()) {
                return fail("ice needs an offer first, a \"candidate\" and \"sdpMLineIndex\"");
            }
            if (++candidates_ > kMaxCandidates) {
                return;  // a browser sends a handful; more is noise
            }
            const auto& c = j["candidate"].get_ref<const std::string&>();
            if (c.empty()) {
                return;  // end of candidates
            }
            if (auto r = peer_->add_remote_candidate(j["sdpMLineIndex"].get<unsigned>(), c); !r) {
                return fail(r.error().message);
            }
        } else if (type == "talk") {
            if (!j.contains("on") || !j["on"].is_boolean()) {
                return fail("talk needs \"on\": true or false");
            }
            set_talk(j["on"].get<bool>());
        } else {
            fail("unknown signalling message type");
        }
    }

    void on_writable() override { on_feed(); }

    void on_close() override {
        set_talk(false);
        subscription_->set_notify(nullptr);
        peer_.reset();  // stops the pipeline; no callback runs after this
        if (hub_.presence != nullptr && presence_id_ != 0) {
            hub_.presence->remove(presence_id_);
        }
        const auto seconds = (hub_.clock->now_us() - started_us_) / 1'000'000;
        audit_camera(hub_, who_.name, "live.stop", camera_, source_,
                     "webrtc, " + std::to_string(seconds) + " s, " +
                         std::to_string(subscription_->dropped()) + " samples skipped");
        subscription_.reset();
        socket_.reset();
    }

private:
    // Runs on the strand: starts the peer once the camera's tracks are known, and feeds it
    // once it is connected (samples sent earlier would be lost before DTLS is up).
    void on_feed() {
        if (!socket_ || !subscription_) {
            return;
        }
        if (!peer_ && start_requested_) {
            while (tracks_.empty()) {
                auto item = subscription_->pop();
                if (!item) {
                    break;  // the camera is still connecting: wait for its tracks
                }
                if (auto* t = std::get_if<media::LiveTracks>(&*item)) {
                    tracks_ = t->tracks;
                }
            }
            if (!tracks_.empty()) {
                make_peer();
            }
        }
        if (peer_ && connected_) {
            while (peer_->queued_bytes() < kPipelineBudgetBytes) {
                auto item = subscription_->pop();
                if (!item) {
                    break;
                }
                if (!peer_->push(*item)) {
                    return fail("the camera's stream changed; reconnect to see it");
                }
            }
        }
        if (subscription_->ended()) {
            socket_->close();
        }
    }

    void make_peer() {
        media::WebRtcOptions options;
        options.tracks = tracks_;
        options.talk = who_.can(auth::Right::kTalk, camera_) && hub_.speaker &&
                       hub_.speaker(camera_) != nullptr;
        options.offer_candidate = hub_.ice_address_allowed;
        auto weak = weak_from_this();
        auto post = [weak, weak_socket = std::weak_ptr(socket_)](auto work) {
            if (auto s = weak_socket.lock()) {
                s->post([weak, work = std::move(work)]() mutable {
                    if (auto self = weak.lock()) work(*self);
                });
            }
        };
        media::WebRtcCallbacks cb;
        cb.on_offer = [post](std::string sdp) {
            post([sdp = std::move(sdp)](WebRtcHandler& self) { self.send_offer(sdp); });
        };
        cb.on_ice_candidate = [post](unsigned mline, std::string candidate) {
            post([mline, candidate = std::move(candidate)](WebRtcHandler& self) {
                self.socket_->send_text(signal(
                    {{"type", "ice"}, {"candidate", candidate}, {"sdpMLineIndex", mline}}));
            });
        };
        cb.on_state = [post](std::string state) {
            post([state = std::move(state)](WebRtcHandler& self) { self.on_state(state); });
        };
        cb.on_error = [post](std::string message) {
            post([message = std::move(message)](WebRtcHandler& self) { self.fail(message); });
        };
        if (options.talk) {
            // From a GStreamer thread, straight to the speaker (it locks; it never blocks long).
            cb.on_talk_audio = [speaker = hub_.speaker(camera_),
                                id = talk_session_id()](std::span<const std::int16_t> pcm) {
                speaker->write(id, pcm);
            };
        }
        auto peer = media::WebRtcPeer::start(std::move(options), std::move(cb));
        if (!peer) {
            return fail(peer.error().message);
        }
        peer_ = std::move(*peer);
    }

    void send_offer(const std::string& sdp) {
        if (!socket_ || !peer_) {
            return;
        }
        const auto& o = peer_->offer();
        socket_->send_text(signal({{"type", "offer"},
                                   {"sdp", sdp},
                                   {"video", video_note_},
                                   {"audio", o.camera_audio},
                                   {"talk", o.talk}}));
    }

    void on_state(const std::string& state) {
        if (!socket_) {
            return;
        }
        socket_->send_text(signal({{"type", "state"}, {"state", state}}));
        if (state == "connected" && !connected_) {
            connected_ = true;
            on_feed();
        } else if (state == "failed" || state == "closed") {
            socket_->close();
        }
    }

    void set_talk(bool on) {
        if (on == talking_ || !peer_) {
            if (on && !peer_ && socket_) fail("talk needs a connected live view");
            return;
        }
        auto speaker = hub_.speaker ? hub_.speaker(camera_) : nullptr;
        if (on) {
            if (!peer_->offer().talk || speaker == nullptr) {
                audit_camera(hub_, who_.name, "talk.refused", camera_, source_, "no talk right");
                socket_->send_text(signal({{"type", "error"},
                                           {"error", "you may not talk through this camera"}}));
                return;
            }
            if (auto holder = speaker->begin(talk_session_id(), who_.name)) {
                socket_->send_text(signal(
                    {{"type", "error"}, {"error", *holder + " is talking through this camera"}}));
                return;
            }
            talking_ = true;
            talk_started_us_ = hub_.clock->now_us();
            peer_->set_talking(true);
            audit_camera(hub_, who_.name, "talk.start", camera_, source_, {});
            if (hub_.presence != nullptr) {
                talk_presence_id_ = hub_.presence->add(
                    {0, who_.name, camera_, "talk", talk_started_us_, source_, user_agent_},
                    socket_);
            }
        } else {
            talking_ = false;
            peer_->set_talking(false);
            if (speaker != nullptr) {
                speaker->end(talk_session_id());
            }
            if (hub_.presence != nullptr && talk_presence_id_ != 0) {
                hub_.presence->remove(talk_presence_id_);
                talk_presence_id_ = 0;
            }
            const auto seconds = (hub_.clock->now_us() - talk_started_us_) / 1'000'000;
            audit_camera(hub_, who_.name, "talk.stop", camera_, source_,
                         std::to_string(seconds) + " s");
        }
        if (socket_) {
            socket_->send_text(signal({{"type", "talk"}, {"on", talking_}}));
        }
    }

    // Unique per connection for the speaker's one-talker lock.
    std::uint64_t talk_session_id() const { return reinterpret_cast<std::uintptr_t>(this); }

    void fail(const std::string& message) {
        if (!socket_) {
            return;
        }
        spdlog::info("webrtc {} camera {}: {}", who_.name, camera_.value(), message);
        socket_->send_text(signal({{"type", "error"}, {"error", message}}));
        socket_->close();
    }

    const HubContext hub_;
    const core::CameraId camera_;
    const auth::Principal who_;
    const std::string source_;
    const std::string user_agent_;
    std::shared_ptr<media::LiveSubscription> subscription_;
    const std::string video_note_;
    std::shared_ptr<WebSocketPeer> socket_;
    std::unique_ptr<media::WebRtcPeer> peer_;
    std::vector<media::TrackInfo> tracks_;
    bool start_requested_ = false;
    bool connected_ = false;
    bool talking_ = false;
    int candidates_ = 0;
    std::uint64_t presence_id_ = 0;
    std::uint64_t talk_presence_id_ = 0;
    core::WallMicros started_us_ = 0;
    core::WallMicros talk_started_us_ = 0;
};

}  // namespace

void add_webrtc_routes(SecureRouter& router, const HubContext& hub) {
    router.add(Method::kGet, "/api/cameras/{id}/webrtc",
               Rule{Access::kCamera, auth::Right::kLive, false},
               [hub](const Request& req, Caller& caller) {
                   if (!req.websocket_upgrade) {
                       return Response::error(400, "this address speaks WebSocket only", req);
                   }
                   const auto camera = camera_param(req);
                   auto view = hub.subscribe_live ? hub.subscribe_live(camera) : LiveView{};
                   if (!view.subscription) {
                       return Response::error(404, "this camera is not running", req);
                   }
                   Response r;
                   r.upgrade = std::make_shared<WebRtcHandler>(
                       hub, camera, *caller.who, req.remote_address,
                       caller.origin.user_agent.substr(0, 160), std::move(view));
                   return r;
               });
}

}  // namespace hearth::api
