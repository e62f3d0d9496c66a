// PTZ: GET /api/cameras/{id}/ptz (what the camera can do, where it looks, who steers
// it, its presets) for anyone who may watch it, and POST /api/cameras/{id}/ptz (moves,
// presets, letting go) for those with the `ptz` right on it. Both run off the network
// threads: an ONVIF camera may take seconds to answer.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/bodies.h"
#include "api/routes.h"
#include "core/time_text.h"
#include "ptz/service.h"

namespace hearth::api {
namespace {

using nlohmann::json;

json vector_json(const ptz::Vector& v) {
    return json{{"pan", v.pan}, {"tilt", v.tilt}, {"zoom", v.zoom}};
}

json capabilities_json(const ptz::Capabilities& c) {
    return json{{"continuous", c.continuous},
                {"relative", c.relative},
                {"absolute", c.absolute},
                {"home", c.home},
                {"presets", c.presets},
                {"zoom", c.zoom},
                {"position", c.reports_position},
                {"max_presets", std::min(c.max_presets, ptz::kMaxPresets)}};
}

json holder_json(const std::optional<ptz::Hold>& hold, const Caller& caller) {
    if (!hold) {
        return nullptr;
    }
    return json{{"user", hold->who.name},
                {"since", core::format_time(hold->since_us)},
                {"you", caller.who && hold->who.session == caller.who->session}};
}

ptz::Controller controller_of(const Caller& caller) {
    return ptz::Controller{caller.who->user, caller.who->name, caller.who->session,
                           caller.origin.address, caller.origin.user_agent};
}

Response ptz_error(const core::Error& e, const Request& req) {
    using core::ErrorCode;
    switch (e.code) {
        case ErrorCode::kInvalidArgument:
        case ErrorCode::kUnimplemented:
            return Response::error(400, e.message, req);
        case ErrorCode::kNotFound:
            return Response::error(404, e.message, req);
        case ErrorCode::kFailedPrecondition:
            return Response::error(409, e.message, req);
        case ErrorCode::kResourceExhausted: {
            Response r = Response::error(429, e.message, req);
            r.headers.emplace_back("Retry-After", "1");
            return r;
        }
        // The camera refused or did not answer: the hub is a gateway here.
        case ErrorCode::kPermissionDenied:
        case ErrorCode::kUnauthenticated:
        case ErrorCode::kUnavailable:
            return Response::error(502, "the camera: " + e.message, req);
        default:
            break;
    }
    spdlog::error("ptz error request_id={}: {}", req.request_id, e.describe());
    return Response::error(500, "internal error", req);
}

// `with_status` false leaves out the camera's position: a held button's keep-alives need no
// GetStatus round trip each on an ONVIF camera.
json state_json(const HubContext& hub, core::CameraId camera, const Caller& caller,
                bool with_status = true) {
    json out;
    const auto caps = hub.ptz->capabilities(camera);
    out["capabilities"] = caps ? capabilities_json(*caps) : json(nullptr);
    out["can_steer"] = caller.who && caller.who->can(auth::Right::kPtz, camera) && caps;
    out["holder"] = holder_json(hub.ptz->holder(camera), caller);
    out["status"] = nullptr;
    out["presets"] = json::array();
    if (!caps) {
        return out;
    }
    if (!with_status) {
        // presets and capabilities are cheap; the status is asked for on the next GET
    } else if (auto status = hub.ptz->status(camera)) {
        json s{{"moving", status->moving}};
        s["position"] = status->position ? vector_json(*status->position) : json(nullptr);
        out["status"] = std::move(s);
    } else {
        // The reason may name the camera's address, which only owners see elsewhere too.
        out["status_error"] = caller.who && caller.who->is_owner()
                                  ? status.error().message
                                  : std::string("the camera does not report where it looks");
    }
    if (auto presets = hub.ptz->presets(camera)) {
        for (const auto& p : *presets) {
            json j{{"name", p.name}};
            if (p.has_position) {
                j["position"] = vector_json({p.pan, p.tilt, p.zoom});
            }
            out["presets"].push_back(std::move(j));
        }
    }
    return out;
}

std::string describe_body(const PtzBody& b) {
    switch (b.action) {
        case PtzBody::Action::kSavePreset:
            return "save preset " + b.name;
        case PtzBody::Action::kRemovePreset:
            return "remove preset " + b.name;
        default:
            return {};
    }
}

}  // namespace

void add_ptz_routes(SecureRouter& router, const HubContext& hub) {
    if (hub.ptz == nullptr) {
        return;
    }
    router.add(Method::kGet, "/api/cameras/{id}/ptz", Rule{Access::kCamera, auth::Right::kLive},
               [hub](const Request& req, Caller& caller) {
                   Response r;
                   r.deferred = [hub, req_id = req.request_id, camera = camera_param(req), caller] {
                       return Response::json(200, state_json(hub, camera, caller).dump());
                   };
                   return r;
               });

    router.add(Method::kPost, "/api/cameras/{id}/ptz", Rule{Access::kCamera, auth::Right::kPtz},
               [hub](const Request& req, Caller& caller) {
                   auto body = parse_ptz_body(req.body);
                   if (!body) {
                       return Response::error(400, body.error().message, req);
                   }
                   Response r;
                   r.deferred = [hub, req, caller, b = std::move(*body)]() -> Response {
                       const auto camera = camera_param(req);
                       const auto who = controller_of(caller);
                       using A = PtzBody::Action;
                       core::Status done;
                       switch (b.action) {
                           case A::kSavePreset:
                               done = hub.ptz->save_preset(camera, who, b.name);
                               break;
                           case A::kRemovePreset:
                               done = hub.ptz->remove_preset(camera, who, b.name);
                               break;
                           case A::kRelease:
                               hub.ptz->release(camera, who);
                               break;
                           default: {
                               ptz::Command cmd;
                               cmd.vector = {b.pan, b.tilt, b.zoom};
                               cmd.timeout = std::chrono::milliseconds(b.timeout_ms);
                               cmd.preset = b.name;
                               switch (b.action) {
                                   case A::kContinuous:
                                       cmd.kind = ptz::Command::Kind::kContinuous;
                                       break;
                                   case A::kRelative:
                                       cmd.kind = ptz::Command::Kind::kRelative;
                                       break;
                                   case A::kAbsolute:
                                       cmd.kind = ptz::Command::Kind::kAbsolute;
                                       break;
                                   case A::kStop:
                                       cmd.kind = ptz::Command::Kind::kStop;
                                       break;
                                   case A::kHome:
                                       cmd.kind = ptz::Command::Kind::kHome;
                                       break;
                                   case A::kPreset:
                                       cmd.kind = ptz::Command::Kind::kPreset;
                                       break;
                                   default:
                                       break;
                               }
                               done = hub.ptz->command(camera, who, cmd);
                           }
                       }
                       if (!done) {
                           return ptz_error(done.error(), req);
                       }
                       // Presets are stored state: each change is in the audit log like any
                       // other (moves are audited per hold, as it starts and ends).
                       if (auto what = describe_body(b); !what.empty()) {
                           audit_camera(hub, caller.name(), "ptz.preset", camera,
                                        req.remote_address, std::move(what));
                       }
                       return Response::json(
                           200,
                           state_json(hub, camera, caller, b.action != PtzBody::Action::kContinuous)
                               .dump());
                   };
                   return r;
               });
}

}  // namespace hearth::api
