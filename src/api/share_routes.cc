// Share links: made by members with the `share` right, opened by anyone holding the token.
//
//   POST   /api/cameras/{id}/shares   make a link (clip or live); the token is shown once
//   GET    /api/shares                the caller's links (owners: every link)
//   DELETE /api/shares/{sid}          withdraw a link at once
//   POST   /api/shared/open           (anonymous) token + passcode -> a viewing ticket
//   GET    /api/shared/clip?ticket=   (anonymous) the clip, watermarked, faces blurred if asked
//   GET    /api/shared/live?ticket=   (anonymous) the live view over a WebSocket (fMP4)
//
// A closed link (expired, revoked, used up) answers 410 with a plain sentence.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>

#include "api/bodies.h"
#include "api/live_viewing.h"
#include "api/playback.h"
#include "api/routes.h"
#include "core/time_text.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

std::string state_name(const store::Share& s, core::WallMicros now) {
    switch (store::state_of(s, now)) {
        case store::ShareState::kOpen: return "open";
        case store::ShareState::kExpired: return "expired";
        case store::ShareState::kRevoked: return "revoked";
        case store::ShareState::kExhausted: return "used up";
        default: return "unknown";
    }
}

json share_json(const store::Share& s, core::WallMicros now) {
    json j{{"id", s.id},
           {"kind", s.kind},
           {"camera", s.camera.value()},
           {"label", s.label},
           {"created_by", s.created_by_name},
           {"created", core::format_time(s.created_us)},
           {"expires", core::format_time(s.expires_us)},
           {"passcode", !s.passcode_hash.empty()},
           {"max_views", s.max_views},
           {"views", s.views},
           {"state", state_name(s, now)}};
    if (s.kind == "clip") {
        j["start"] = core::format_time(s.start_us);
        j["end"] = core::format_time(s.end_us);
        j["blur_faces"] = s.blur_faces;
    }
    if (s.last_opened_us != 0) {
        j["last_opened"] = core::format_time(s.last_opened_us);
    }
    return j;
}

Response share_error(const core::Error& e, const Request& req) {
    using core::ErrorCode;
    switch (e.code) {
        case ErrorCode::kInvalidArgument: return Response::error(400, e.message, req);
        case ErrorCode::kNotFound: return Response::error(404, e.message, req);
        case ErrorCode::kUnauthenticated:
            return Response::error(403, e.message, req, "\"passcode_required\":true");
        case ErrorCode::kPermissionDenied: return Response::error(403, e.message, req);
        case ErrorCode::kFailedPrecondition: return Response::error(410, e.message, req);
        case ErrorCode::kResourceExhausted: {
            Response r = Response::error(429, e.message, req);
            r.headers.emplace_back("Retry-After", "30");
            return r;
        }
        default:
            spdlog::error("share request_id={}: {}", req.request_id, e.describe());
            return Response::error(500, "internal error", req);
    }
}

// The clip as it streams: stops (cutting the connection) once the link is withdrawn or
// expires, checked about once a second.
class SharedClipBody final : public BodySource {
public:
    SharedClipBody(std::unique_ptr<BodySource> inner, share::ShareService* shares, std::int64_t id,
                   const core::Clock* clock)
        : inner_(std::move(inner)), shares_(shares), id_(id), clock_(clock) {}
    std::optional<std::uint64_t> size() const override { return inner_->size(); }
    std::vector<std::uint8_t> next() override {
        const auto now = clock_->now_us();
        if (now - checked_us_ >= 1'000'000) {
            checked_us_ = now;
            if (!shares_->still_open(id_)) {
                throw std::runtime_error("the share link was withdrawn");
            }
        }
        return inner_->next();
    }

private:
    std::unique_ptr<BodySource> inner_;
    share::ShareService* shares_;
    const std::int64_t id_;
    const core::Clock* clock_;
    core::WallMicros checked_us_ = 0;
};

std::int64_t share_param(const Request& req) {
    const auto& t = req.params.at("sid");
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
    return ec == std::errc() && end == t.data() + t.size() && id > 0 ? id : 0;
}

std::string ticket_of(const Request& req) {
    const auto it = req.query.find("ticket");
    return it == req.query.end() ? std::string() : it->second.substr(0, 128);
}

}  // namespace

void add_share_routes(SecureRouter& router, const HubContext& hub) {
    if (hub.shares == nullptr) {
        return;
    }
    const Rule kPublic{Access::kPublic, {}, false};
    const Rule kSession{Access::kSession, {}, false};
    const Rule kShare{Access::kCamera, auth::Right::kShare, false};
    share::ShareService* shares = hub.shares;

    router.add(Method::kPost, "/api/cameras/{id}/shares", kShare,
               [hub, shares](const Request& req, Caller& caller) {
                   auto body = parse_new_share_body(req.body);
                   if (!body) {
                       return Response::error(400, body.error().message, req);
                   }
                   auto shared = std::make_shared<NewShareBody>(std::move(*body));
                   return Response::later([shares, shared, camera = camera_param(req),
                                           who = *caller.who, origin = caller.origin,
                                           clock = hub.clock, stub = stub_of(req)]() mutable {
                       share::NewShare n;
                       n.kind = shared->kind;
                       n.camera = camera;
                       n.start_us = shared->start_us;
                       n.end_us = shared->end_us;
                       n.lifetime_us = shared->expires_in_s * 1'000'000;
                       n.passcode = std::move(shared->passcode);
                       n.max_views = shared->max_views;
                       n.blur_faces = shared->blur_faces;
                       n.label = shared->label;
                       auto made = shares->create(who, std::move(n), origin);
                       if (!made) {
                           if (made.error().code == core::ErrorCode::kFailedPrecondition) {
                               return playback_error(made.error(), stub);  // 423 locked
                           }
                           return share_error(made.error(), stub);
                       }
                       json j = share_json(made->share, clock->now_us());
                       j["token"] = made->token;
                       j["path"] = "/#/shared/" + made->token;  // the token stays in the fragment
                       Response r = Response::json(201, j.dump());
                       r.headers.emplace_back("Cache-Control", "no-store");
                       return r;
                   });
               });

    router.add(Method::kGet, "/api/shares", kSession,
               [hub, shares](const Request& req, Caller& caller) {
                   auto list = shares->list(*caller.who);
                   if (!list) {
                       return share_error(list.error(), req);
                   }
                   json out = json::array();
                   const auto now = hub.clock->now_us();
                   for (const auto& s : *list) {
                       out.push_back(share_json(s, now));
                   }
                   return Response::json(200, json{{"shares", out}}.dump());
               });

    router.add(Method::kDelete, "/api/shares/{sid}", kSession,
               [shares](const Request& req, Caller& caller) {
                   const auto id = share_param(req);
                   if (id == 0) {
                       return Response::error(400, "a link id is a positive number", req);
                   }
                   if (auto r = shares->revoke(*caller.who, id, caller.origin); !r) {
                       return share_error(r.error(), req);
                   }
                   Response r;
                   r.status = 204;
                   return r;
               });

    router.add(Method::kPost, "/api/shared/open", kPublic,
               [hub, shares](const Request& req, Caller& caller) {
                   auto body = parse_share_open_body(req.body);
                   if (!body) {
                       return Response::error(400, body.error().message, req);
                   }
                   auto shared = std::make_shared<ShareOpenBody>(std::move(*body));
                   return Response::later([shares, shared, origin = caller.origin,
                                           clock = hub.clock, stub = stub_of(req)] {
                       auto opened = shares->open(shared->token, shared->passcode, origin);
                       if (!opened) {
                           return share_error(opened.error(), stub);
                       }
                       json j = share_json(opened->share, clock->now_us());
                       j["camera_name"] = opened->camera_name;
                       j["ticket"] = opened->ticket;
                       j["ticket_expires"] = core::format_time(opened->ticket_expires_us);
                       Response r = Response::json(200, j.dump());
                       r.headers.emplace_back("Cache-Control", "no-store");
                       return r;
                   });
               });

    router.add(Method::kGet, "/api/shared/clip", kPublic, [hub, shares](const Request& req,
                                                                         Caller&) {
        auto view = shares->use_ticket(ticket_of(req));
        if (!view) {
            return share_error(view.error(), req);
        }
        if (view->share.kind != "clip") {
            return Response::error(400, "this link shares the live view", req);
        }
        auto pieces = hub.index->playback(view->share.camera, view->share.start_us,
                                          view->share.end_us);
        auto keys = shares->keys(view->share.id);
        if (!pieces || !keys) {
            return Response::error(500, "the clip cannot be read", req);
        }
        // Only what the link was made for: the keys re-sealed for it.
        std::vector<store::PlaybackPiece> mine;
        for (auto& p : *pieces) {
            const auto it = keys->find(p.segment.value());
            if (it == keys->end()) {
                continue;
            }
            p.sealed_key = it->second == "clear"
                               ? std::vector<std::uint8_t>()
                               : std::vector<std::uint8_t>(it->second.begin(), it->second.end());
            mine.push_back(std::move(p));
        }
        auto body = PlaybackBody::open(hub.data_dir, std::move(mine), view->opener,
                                       hub.recording_damaged);
        if (!body) {
            return playback_error(body.error(), req);
        }
        // Re-encoded on its way out: the recipient's name in every frame, faces blurred if
        // the sharer asked. Nothing of the clip leaves without them.
        media::ClipRenderOptions render;
        render.watermark = "Shared by " + view->share.created_by_name + " with " +
                           view->share.label + " - " +
                           core::format_time(view->share.created_us).substr(0, 10);
        render.blur_faces = view->share.blur_faces;
        auto rendered = RenderedClipBody::open(std::move(*body), std::move(render));
        if (!rendered) {
            spdlog::error("shared clip {}: {}", view->share.id, rendered.error().describe());
            return Response::error(500, "the clip cannot be prepared", req);
        }
        Response res;
        res.content_type = "video/mp4";
        res.headers.emplace_back("Cache-Control", "no-store");
        res.stream = std::make_unique<SharedClipBody>(std::move(*rendered), shares,
                                                      view->share.id, hub.clock);
        return res;
    });

    router.add(Method::kGet, "/api/shared/live", kPublic, [hub, shares](const Request& req,
                                                                         Caller& caller) {
        auto view = shares->use_ticket(ticket_of(req));
        if (!view) {
            return share_error(view.error(), req);
        }
        if (view->share.kind != "live") {
            return Response::error(400, "this link shares a clip", req);
        }
        Viewer viewer;
        viewer.who.name = "link: " + view->share.label + " (shared by " +
                          view->share.created_by_name + ")";
        viewer.source = req.remote_address;
        viewer.user_agent = device_of(caller.origin.user_agent);
        return open_shared_live_view(hub, req, view->share.camera, std::move(viewer),
                                     [shares, id = view->share.id] { return shares->still_open(id); });
    });
}

}  // namespace hearth::api
