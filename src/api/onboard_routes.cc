// Adding real cameras, for owners: GET /api/cameras/discover (the ONVIF cameras answering
// on the home network) and POST /api/cameras (add one by its ONVIF address or its RTSP
// address, after checking that its stream plays). Both wait on the network, off the
// network threads.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/bodies.h"
#include "api/routes.h"
#include "media/rtsp_source.h"
#include "onboard/onboard.h"

namespace hearth::api {
namespace {

using nlohmann::json;

Response onboard_error(const core::Error& e, const Request& req) {
    using core::ErrorCode;
    switch (e.code) {
        case ErrorCode::kInvalidArgument:
            return Response::error(400, e.message, req);
        case ErrorCode::kAlreadyExists:
            return Response::error(409, e.message, req);
        // The camera's answer, not the hub's: a gateway error with the camera's reason.
        case ErrorCode::kPermissionDenied:
        case ErrorCode::kUnauthenticated:
        case ErrorCode::kNotFound:
        case ErrorCode::kFailedPrecondition:
        case ErrorCode::kUnimplemented:
        case ErrorCode::kUnavailable:
            return Response::error(502, "the camera: " + e.message, req);
        default:
            break;
    }
    spdlog::error("adding a camera failed request_id={}: {}", req.request_id, e.describe());
    return Response::error(500, "internal error", req);
}

}  // namespace

void add_onboard_routes(SecureRouter& router, const HubContext& hub) {
    if (!hub.onvif) {
        return;
    }
    const Rule kOwner{Access::kOwner, {}, false};
    // Adding a camera brings a new eye into the home: it needs a fresh proof.
    const Rule kOwnerReauth{Access::kOwner, {}, true};

    router.add(Method::kGet, "/api/cameras/discover", kOwner, [hub](const Request& req, Caller&) {
        Response r;
        r.deferred = [hub, req_id = req.request_id]() {
            json out = json::array();
            auto found = onboard::discover(hub.discovery);
            if (!found) {
                spdlog::warn("discovery failed request_id={}: {}", req_id, found.error().message);
                return Response::json(
                    503, json{{"error", "discovery failed: " + found.error().message}}.dump());
            }
            auto cams = hub.index->list_cameras();
            for (const auto& f : *found) {
                bool added = false;
                if (cams) {
                    for (const auto& c : *cams) {
                        media::RtspOptions o;
                        added = added || (media::apply_rtsp_options(c.options, o) &&
                                          o.onvif_url == f.device_url);
                    }
                }
                out.push_back({{"device_url", f.device_url},
                               {"address", f.address},
                               {"name", f.name},
                               {"hardware", f.hardware},
                               {"added", added}});
            }
            return Response::json(200, json{{"cameras", out}}.dump());
        };
        return r;
    });

    router.add(Method::kPost, "/api/cameras", kOwnerReauth,
               [hub](const Request& req, Caller& caller) {
                   auto body = parse_new_camera_body(req.body);
                   if (!body) {
                       return Response::error(400, body.error().message, req);
                   }
                   auto shared = std::make_shared<NewCameraBody>(std::move(*body));
                   Response r;
                   r.deferred = [hub, req, actor = caller.name(), shared]() -> Response {
                       onboard::NewCamera cam;
                       cam.name = shared->name;
                       cam.onvif_url = shared->onvif;
                       cam.rtsp_url = shared->rtsp;
                       cam.username = shared->username;
                       cam.password = std::move(shared->password);
                       cam.check_stream = shared->check;
                       auto plan = onboard::plan(cam, hub.onvif);
                       if (!plan) {
                           return onboard_error(plan.error(), req);
                       }
                       auto id = hub.index->add_camera(plan->camera);
                       crypto::wipe(plan->camera.password);
                       if (!id) {
                           if (id.error().code == core::ErrorCode::kAlreadyExists) {
                               return Response::error(409, id.error().message, req);
                           }
                           return onboard_error(id.error(), req);
                       }
                       audit_camera(hub, actor, "camera.add", *id, req.remote_address,
                                    plan->camera.name + " " + plan->camera.url +
                                        (plan->device.empty() ? "" : " (" + plan->device + ")"));
                       if (hub.cameras_changed) {
                           hub.cameras_changed();
                       }
                       json out{{"id", id->value()},
                                {"name", plan->camera.name},
                                {"kind", "rtsp"},
                                {"url", plan->camera.url},
                                {"has_credentials", !plan->camera.username.empty()},
                                {"stream", plan->stream_summary},
                                {"device", plan->device},
                                {"ptz", plan->ptz}};
                       return Response::json(201, out.dump());
                   };
                   return r;
               });
}

}  // namespace hearth::api
