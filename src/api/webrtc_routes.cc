// Live view and talk over WebRTC, signalled on an authenticated WebSocket.
//
// GET /api/cameras/{id}/webrtc (right: live). The page sends {"type":"start"}; the hub
// answers {"type":"offer","sdp",...} from a webrtcbin fed by the camera's single live feed;
// the page answers {"type":"answer","sdp"}; both trickle {"type":"ice","candidate",
// "sdpMLineIndex"}. {"type":"talk","on":true|false} opens or closes the viewer's voice to
// the camera's speaker (right: talk). The socket lives as long as the viewing: closing it
// ends the peer connection, the presence entry and any talk session.
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "api/live_viewing.h"
#include "api/routes.h"
#include "media/webrtc_peer.h"

namespace hearth::api {
namespace {

constexpr std::size_t kPipelineBudgetBytes = 2u << 20;
constexpr std::size_t kMaxSignalBytes = 64u << 10;
constexpr int kMaxCandidates = 64;

// Invalid UTF-8 (in a GStreamer error text, say) is replaced, never thrown on.
std::string signal(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class WebRtcHandler final : public LiveViewing, public PrincipalWatcher {
public:
    WebRtcHandler(HubContext hub, core::CameraId camera, Viewer viewer, LiveView view)
        : LiveViewing(std::move(hub), camera, std::move(viewer), std::move(view), "webrtc") {}

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
            if (!rtc_ || !j.contains("sdp") || !j["sdp"].is_string()) {
                return fail("an answer needs an offer first and an \"sdp\" string");
            }
            if (auto r = rtc_->set_answer(j["sdp"].get_ref<const std::string&>()); !r) {
                return fail(r.error().message);
            }
        } else if (type == "ice") {
            if (!rtc_ || !j.contains("candidate") || !j["candidate"].is_string() ||
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
            if (auto r = rtc_->add_remote_candidate(j["sdpMLineIndex"].get<unsigned>(), c); !r) {
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

    // Asked every few seconds: a talk right taken away ends the talk at once.
    bool still_allowed_as(const auth::Principal& who) override {
        may_talk_ = who.can(auth::Right::kTalk, camera_);
        if (talking_ && !may_talk_) {
            set_talk(false);
            peer_->send_text(signal({{"type", "error"},
                                     {"error",
                                      "your right to talk through this camera was "
                                      "withdrawn"}}));
        }
        return true;
    }

private:
    void on_end() override {
        set_talk(false);
        rtc_.reset();  // stops the pipeline; no callback runs after this
    }

    // Runs on the strand: starts the peer once the camera's tracks are known, and feeds it
    // once it is connected (samples sent earlier would be lost before DTLS is up).
    void on_feed() override {
        if (!peer_ || !subscription_) {
            return;
        }
        if (!rtc_ && start_requested_) {
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
        if (rtc_ && connected_) {
            while (rtc_->queued_bytes() < kPipelineBudgetBytes) {
                auto item = subscription_->pop();
                if (!item) {
                    break;
                }
                if (!rtc_->push(*item)) {
                    return fail("the camera's stream changed; reconnect to see it");
                }
            }
        }
        if (subscription_->ended()) {
            peer_->close();
        }
    }

    void make_peer() {
        media::WebRtcOptions options;
        options.tracks = tracks_;
        options.talk = viewer_.who.can(auth::Right::kTalk, camera_) && hub_.speaker &&
                       hub_.speaker(camera_) != nullptr;
        options.offer_candidate = hub_.ice_address_allowed;
        // Callbacks come from GStreamer threads: each only hops to the connection's strand.
        auto post = [weak = weak_from_this(), weak_socket = std::weak_ptr(peer_)](auto work) {
            if (auto s = weak_socket.lock()) {
                s->post([weak, work = std::move(work)]() mutable {
                    if (auto self = weak.lock()) work(static_cast<WebRtcHandler&>(*self));
                });
            }
        };
        media::WebRtcCallbacks cb;
        cb.on_offer = [post](std::string sdp) {
            post([sdp = std::move(sdp)](WebRtcHandler& self) { self.send_offer(sdp); });
        };
        cb.on_ice_candidate = [post](unsigned mline, std::string candidate) {
            post([mline, candidate = std::move(candidate)](WebRtcHandler& self) {
                self.peer_->send_text(
                    signal({{"type", "ice"}, {"candidate", candidate}, {"sdpMLineIndex", mline}}));
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
            cb.on_talk_audio = [speaker = hub_.speaker(camera_), id = talk_session_id()](
                                   std::span<const std::int16_t> pcm) { speaker->write(id, pcm); };
        }
        auto peer = media::WebRtcPeer::start(std::move(options), std::move(cb));
        if (!peer) {
            return fail(peer.error().message);
        }
        rtc_ = std::move(*peer);
    }

    void send_offer(const std::string& sdp) {
        if (!peer_ || !rtc_) {
            return;
        }
        const auto& o = rtc_->offer();
        peer_->send_text(signal({{"type", "offer"},
                                 {"sdp", sdp},
                                 {"video", video_note_},
                                 {"audio", o.camera_audio},
                                 {"talk", o.talk}}));
    }

    void on_state(const std::string& state) {
        if (!peer_) {
            return;
        }
        peer_->send_text(signal({{"type", "state"}, {"state", state}}));
        if (state == "connected" && !connected_) {
            connected_ = true;
            on_feed();
        } else if (state == "failed" || state == "closed") {
            peer_->close();
        }
    }

    void set_talk(bool on) {
        if (on == talking_ || !rtc_) {
            if (on && !rtc_ && peer_) fail("talk needs a connected live view");
            return;
        }
        auto speaker = hub_.speaker ? hub_.speaker(camera_) : nullptr;
        if (on) {
            if (!rtc_->offer().talk || !may_talk_ || speaker == nullptr) {
                audit_camera(hub_, viewer_.who.name, "talk.refused", camera_, viewer_.source,
                             "no talk right");
                peer_->send_text(
                    signal({{"type", "error"}, {"error", "you may not talk through this camera"}}));
                return;
            }
            if (auto holder = speaker->begin(talk_session_id(), viewer_.who.name)) {
                peer_->send_text(signal(
                    {{"type", "error"}, {"error", *holder + " is talking through this camera"}}));
                return;
            }
            talking_ = true;
            talk_started_us_ = hub_.clock->now_us();
            rtc_->set_talking(true);
            audit_camera(hub_, viewer_.who.name, "talk.start", camera_, viewer_.source, {});
            if (hub_.presence != nullptr) {
                talk_presence_id_ =
                    hub_.presence->add({0, viewer_.who.name, camera_, "talk", talk_started_us_,
                                        viewer_.source, viewer_.user_agent},
                                       peer_);
            }
        } else {
            talking_ = false;
            rtc_->set_talking(false);
            if (speaker != nullptr) {
                speaker->end(talk_session_id());
            }
            if (hub_.presence != nullptr && talk_presence_id_ != 0) {
                hub_.presence->remove(talk_presence_id_);
                talk_presence_id_ = 0;
            }
            const auto seconds = (hub_.clock->now_us() - talk_started_us_) / 1'000'000;
            audit_camera(hub_, viewer_.who.name, "talk.stop", camera_, viewer_.source,
                         std::to_string(seconds) + " s");
        }
        if (peer_) {
            peer_->send_text(signal({{"type", "talk"}, {"on", talking_}}));
        }
    }

    // Unique per connection for the speaker's one-talker lock.
    std::uint64_t talk_session_id() const { return reinterpret_cast<std::uintptr_t>(this); }

    void fail(const std::string& message) {
        if (!peer_) {
            return;
        }
        spdlog::info("webrtc {} camera {}: {}", viewer_.who.name, camera_.value(), message);
        peer_->send_text(signal({{"type", "error"}, {"error", message}}));
        peer_->close();
    }

    std::unique_ptr<media::WebRtcPeer> rtc_;
    std::vector<media::TrackInfo> tracks_;
    bool start_requested_ = false;
    bool connected_ = false;
    bool talking_ = false;
    bool may_talk_ = true;  // as of the last check; the offer had the right to begin with
    int candidates_ = 0;
    std::uint64_t talk_presence_id_ = 0;
    core::WallMicros talk_started_us_ = 0;
};

}  // namespace

void add_webrtc_routes(SecureRouter& router, const HubContext& hub) {
    router.add(Method::kGet, "/api/cameras/{id}/webrtc",
               Rule{Access::kCamera, auth::Right::kLive, false},
               [hub](const Request& req, Caller& caller) {
                   return open_live_view<WebRtcHandler>(hub, req, caller);
               });
}

}  // namespace hearth::api
