// Detection events and settings: the event list (filtered by camera, kind and time), an
// event's snapshot (decrypted with the household key: 423 while locked), and a camera's
// detection settings (zones, masks, sensitivity; the `manage` right to change them).
#include <charconv>

#include "api/routes.h"
#include "detect/event_log.h"
#include "detect/settings.h"
#include "core/time_text.h"

namespace hearth::api {
namespace {

using nlohmann::json;

// ?name= as an integer in [lo, hi]; nullopt when absent; an error response when bad.
std::variant<std::optional<std::int64_t>, Response> int_query(const Request& req, const char* name,
                                                              std::int64_t lo, std::int64_t hi) {
    const auto it = req.query.find(name);
    if (it == req.query.end()) {
        return std::optional<std::int64_t>{};
    }
    std::int64_t v = 0;
    const auto& t = it->second;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || v < lo || v > hi) {
        return Response::error(400, std::string(name) + " must be a whole number from " + std::to_string(lo) +
                                        " to " + std::to_string(hi), req);
    }
    return std::optional<std::int64_t>{v};
}

}  // namespace


json event_json(const store::Event& e) {
    json j = {{"id", e.id}, {"kind", e.kind}, {"at", core::format_time(e.at_us)},
              {"at_ms", e.at_us / 1000}, {"detail", e.detail}};
    if (e.camera.valid()) {
        j["camera"] = e.camera.value();
    }
    if (e.end_us > 0) {
        j["end"] = core::format_time(e.end_us);
        j["end_ms"] = e.end_us / 1000;
    }
    if (e.confidence > 0) {
        j["confidence"] = std::round(e.confidence * 100) / 100;
    }
    if (!e.snapshot.empty()) {
        j["snapshot"] = "/api/events/" + std::to_string(e.id) + "/snapshot";
    }
    return j;
}

void add_event_routes(SecureRouter& router, const HubContext& hub) {
    const Rule kSession{Access::kSession, {}, false};
    const Rule kSeesCamera{Access::kCamera, {}, false};
    const Rule kManage{Access::kCamera, auth::Right::kManage, false};

    // ?camera=&kind=&start=&end=&limit=: newest first.
    router.add(Method::kGet, "/api/events", kSession, [hub](const Request& req, Caller& caller) {
        store::EventQuery q;
        auto limit = int_query(req, "limit", 1, 1000);
        if (auto* r = std::get_if<Response>(&limit)) return std::move(*r);
        q.limit = static_cast<int>(std::get<0>(limit).value_or(100));
        auto camera = int_query(req, "camera", 1, INT64_MAX);
        if (auto* r = std::get_if<Response>(&camera)) return std::move(*r);
        if (auto c = std::get<0>(camera)) {
            q.camera = core::CameraId(*c);
        }
        if (const auto it = req.query.find("kind"); it != req.query.end()) {
            if (it->second.size() > 40) {
                return Response::error(400, "kind is too long", req);
            }
            q.kind = it->second;
        }
        for (const char* name : {"start", "end"}) {
            if (const auto it = req.query.find(name); it != req.query.end()) {
                auto t = core::parse_time(it->second);
                if (!t) {
                    return Response::error(400, std::string(name) + ": " + t.error().message, req);
                }
                (std::string_view(name) == "start" ? q.from_us : q.to_us) = *t;
            }
        }
        auto events = hub.index->events(q);
        if (!events) {
            return Response::error(500, "internal error", req);
        }
        json out = json::array();
        for (const auto& e : *events) {
            // Hub-wide events (logins, bursts, starts) are the owner's business.
            if (e.camera.valid() ? !caller.who->sees(e.camera) : !caller.who->is_owner()) {
                continue;
            }
            out.push_back(event_json(e));
        }
        return Response::json(200, json{{"events", out}}.dump());
    });

    // The event's picture: only for those who may see the camera's recordings.
    router.add(Method::kGet, "/api/events/{eid}/snapshot", kSession, [hub](const Request& req, Caller& caller) {
        const auto& t = req.params.at("eid");
        std::int64_t id = 0;
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
        if (ec != std::errc() || end != t.data() + t.size() || id <= 0) {
            return Response::error(400, "event id must be a positive integer", req);
        }
        auto e = hub.index->event(id);
        if (!e || !e->camera.valid() || !caller.who->can(auth::Right::kRecordings, e->camera)) {
            return Response::error(404, "no such event", req);  // the same answer: no probing
        }
        auto jpeg = detect::EventLog::read_snapshot(hub.data_dir, *e, key_opener(hub));
        if (!jpeg) {
            if (jpeg.error().code == core::ErrorCode::kNotFound) {
                return Response::error(404, jpeg.error().message, req);
            }
            return playback_error(jpeg.error(), req);
        }
        Response r;
        r.content_type = "image/jpeg";
        r.headers.emplace_back("Cache-Control", "private, no-store");
        r.body.assign(jpeg->begin(), jpeg->end());
        return r;
    });

    router.add(Method::kGet, "/api/cameras/{id}/detection", kSeesCamera, [hub](const Request& req, Caller&) {
        auto s = detect::load_detection_settings(*hub.index, camera_param(req));
        if (!s) {
            return Response::error(500, "the stored detection settings are unreadable: " + s.error().message, req);
        }
        return Response::json(200, detect::to_json(*s));
    });

    router.add(Method::kPut, "/api/cameras/{id}/detection", kManage, [hub](const Request& req, Caller& caller) {
        const auto camera = camera_param(req);
        if (!hub.index->get_camera(camera)) {
            return Response::error(404, "no such camera", req);
        }
        auto s = detect::parse_detection_settings(req.body);
        if (!s) {
            return Response::error(400, s.error().message, req);
        }
        const auto text = detect::to_json(*s);
        if (auto st = detect::save_detection_settings(*hub.index, camera, *s); !st) {
            return Response::error(500, "internal error", req);
        }
        if (hub.detection_changed) {
            hub.detection_changed(camera, *s);
        }
        audit_camera(hub, caller.name(), "detection.settings", camera, req.remote_address,
                     std::to_string(s->zones.size()) + " zones, " + std::to_string(s->masks.size()) +
                         " masks, sensitivity " + std::to_string(s->sensitivity));
        return Response::json(200, text);
    });
}

}  // namespace hearth::api
