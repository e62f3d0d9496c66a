#include "api/routes.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/bodies.h"
#include "api/playback.h"
#include "media/recorder.h"
#include "core/time_text.h"

namespace hearth::api {
namespace {

using nlohmann::json;

json camera_json(const store::Camera& c, const CameraStatus* status) {
    json j = {{"id", c.id.value()},
              {"name", c.name},
              {"kind", store::to_string(c.kind)},
              {"enabled", c.enabled},
              {"state", status ? status->state : (c.enabled ? "stopped" : "disabled")}};
    if (c.kind != store::CameraKind::kSim) {
        j["url"] = c.url;  // stored without credentials
        j["has_credentials"] = !c.username.empty();
    }
    if (status != nullptr && status->speaker) {
        const auto& sp = *status->speaker;
        j["speaker"] = {{"talker", sp.talker},
                        {"level_dbfs", sp.level_dbfs},
                        {"above_threshold", sp.above_threshold},
                        {"threshold_dbfs", media::Speaker::kThresholdDbfs},
                        {"sessions", sp.sessions}};
        if (sp.remote) {
            // An IP camera's ONVIF audio backchannel: whether it has one, and the link.
            const auto& r = *sp.remote;
            j["speaker"]["backchannel"] = {{"capability", media::to_string(r.capability)},
                                           {"link", media::to_string(r.link)},
                                           {"codec", r.codec},
                                           {"error", r.error},
                                           {"sent_packets", r.sent_packets},
                                           {"dropped_samples", r.dropped_samples}};
        }
    }
    return j;
}

json range_json(const store::TimeRange& r) {
    return {{"start", core::format_time(r.start_us)},
            {"end", core::format_time(r.end_us)},
            {"start_ms", r.start_us / 1000},
            {"end_ms", r.end_us / 1000}};
}

// The camera named by {id} in the path, or a ready error response.
std::variant<store::Camera, Response> camera_from(const HubContext& hub, const Request& req) {
    const auto& text = req.params.at("id");
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
        return Response::error(400, "camera id must be a positive integer", req);
    }
    auto cam = hub.index->get_camera(core::CameraId(id));
    if (!cam) {
        return Response::error(404, "no such camera", req);
    }
    return *cam;
}

struct TimeWindow {
    core::WallMicros start_us = 0;
    core::WallMicros end_us = 0;
};

// ?start=&end= (RFC 3339 or Unix seconds). Defaults: the last `default_span_us` until now.
std::variant<TimeWindow, Response> window_from(const HubContext& hub, const Request& req,
                                               std::int64_t default_span_us,
                                               std::int64_t max_span_us) {
    TimeWindow w;
    w.end_us = hub.clock->now_us();
    w.start_us = w.end_us - default_span_us;
    if (auto it = req.query.find("start"); it != req.query.end()) {
        auto t = core::parse_time(it->second);
        if (!t) {
            return Response::error(400, "start: " + t.error().message, req);
        }
        w.start_us = *t;
        if (req.query.find("end") == req.query.end()) {
            w.end_us = std::min(w.start_us + default_span_us, hub.clock->now_us());
        }
    }
    if (auto it = req.query.find("end"); it != req.query.end()) {
        auto t = core::parse_time(it->second);
        if (!t) {
            return Response::error(400, "end: " + t.error().message, req);
        }
        w.end_us = *t;
    }
    if (w.end_us <= w.start_us) {
        return Response::error(400, "end must be after start", req);
    }
    if (max_span_us > 0 && w.end_us - w.start_us > max_span_us) {
        return Response::error(
            400, "range is longer than " + std::to_string(max_span_us / 3'600'000'000) + " hours",
            req);
    }
    return w;
}

Response internal(const Request& req) { return Response::error(500, "internal error", req); }

}  // namespace

media::KeyOpener key_opener(const HubContext& hub) {
    if (hub.household == nullptr) {
        return {};
    }
    return [keys = hub.household](std::span<const std::uint8_t> sealed) {
        return keys->open_sealed(sealed);
    };
}

Response playback_error(const core::Error& e, const Request& req) {
    switch (e.code) {
        case core::ErrorCode::kFailedPrecondition:
            // 423 Locked: the recording exists; a passphrase opens it (the app asks for one).
            return Response::error(423, e.message, req, "\"code\":\"locked\"");
        case core::ErrorCode::kDataLoss:
            return Response::error(500, "this recording is damaged: " + e.message, req,
                                   "\"code\":\"damaged\"");
        case core::ErrorCode::kNotFound:
            return Response::error(404, "the recording's file is missing", req);
        default:
            spdlog::error("playback request_id={}: {}", req.request_id, e.describe());
            return Response::error(500, "recording cannot be read", req);
    }
}

namespace {

Response playback(const HubContext& hub, const Request& req, const Caller& caller, bool download) {
    auto cam = camera_from(hub, req);
    if (auto* r = std::get_if<Response>(&cam)) {
        return std::move(*r);
    }
    const auto& camera = std::get<store::Camera>(cam);
    auto win = window_from(hub, req, 60'000'000, kMaxPlaybackRangeUs);
    if (auto* r = std::get_if<Response>(&win)) {
        return std::move(*r);
    }
    const auto w = std::get<TimeWindow>(win);
    auto pieces = hub.index->playback(camera.id, w.start_us, w.end_us);
    if (!pieces) {
        return internal(req);
    }
    if (pieces->empty()) {
        json nearest = json::array();
        if (auto n = hub.index->nearest_ranges(camera.id, w.start_us)) {
            for (const auto& r : *n) {
                nearest.push_back(range_json(r));
            }
        }
        return Response::error(404, "no recording of this camera in the requested range", req,
                               "\"nearest\":" + nearest.dump());
    }
    // An export may be marked with whom it is for (burned in), and have faces blurred.
    std::string watermark;
    bool blur = false;
    if (download) {
        if (const auto it = req.query.find("watermark"); it != req.query.end()) {
            watermark = it->second;
            const bool printable = std::all_of(watermark.begin(), watermark.end(), [](char c) {
                return c >= 0x20 && c < 0x7f;
            });
            if (watermark.empty() || watermark.size() > 64 || !printable) {
                return Response::error(400, "watermark: 1 to 64 printable ASCII characters", req);
            }
        }
        if (const auto it = req.query.find("blur_faces"); it != req.query.end()) {
            blur = it->second == "1" || it->second == "true";
        }
    }
    auto body = PlaybackBody::open(hub.data_dir, std::move(*pieces), key_opener(hub),
                                   hub.recording_damaged);
    if (!body) {
        return playback_error(body.error(), req);
    }
    const core::WallMicros body_start_us = (*body)->start_us();
    std::unique_ptr<BodySource> stream = std::move(*body);
    if (!watermark.empty() || blur) {
        media::ClipRenderOptions render;
        render.watermark = watermark;
        render.blur_faces = blur;
        auto rendered = RenderedClipBody::open(
            std::unique_ptr<PlaybackBody>(static_cast<PlaybackBody*>(stream.release())),
            std::move(render));
        if (!rendered) {
            spdlog::error("export render: {}", rendered.error().describe());
            return Response::error(500, "the export cannot be prepared", req);
        }
        stream = std::move(*rendered);
    }
    Response res;
    res.content_type = "video/mp4";
    res.headers.emplace_back("X-Hearth-Start", core::format_time(body_start_us));
    res.headers.emplace_back("Cache-Control", "no-store");
    if (download) {
        const auto name = camera.name + "-" + core::format_time(w.start_us) + ".mp4";
        std::string safe;
        for (char c : name) {
            safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
        }
        res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + safe + "\"");
    }
    // Who watched what, kept where nobody can quietly erase it.
    if (hub.audit != nullptr) {
        store::AuditEntry entry;
        entry.at_us = hub.clock->now_us();
        entry.actor = caller.name();
        entry.action = download ? "recording.download" : "recording.play";
        entry.target = "camera " + std::to_string(camera.id.value()) + " " +
                       core::format_time(w.start_us) + " to " + core::format_time(w.end_us);
        entry.source = req.remote_address;
        if (!watermark.empty() || blur) {
            entry.detail = (watermark.empty() ? std::string() : "watermark \"" + watermark + "\"") +
                           (blur ? (watermark.empty() ? "faces blurred" : ", faces blurred") : "");
        }
        if (auto r = hub.audit->append(std::move(entry)); !r) {
            spdlog::error("audit log append failed: {}", r.error().message);
            return Response::error(503, "the audit log cannot be written; playback refused", req);
        }
    }
    res.stream = std::move(stream);
    return res;
}

std::string prometheus_label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
        }
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

void audit_camera(const HubContext& hub, std::string_view actor, std::string_view action,
                  core::CameraId camera, std::string_view source, std::string detail) {
    if (hub.audit == nullptr) {
        return;
    }
    store::AuditEntry e;
    e.at_us = hub.clock->now_us();
    e.actor = actor;
    e.action = action;
    e.target = "camera " + std::to_string(camera.value());
    e.source = source;
    e.detail = std::move(detail);
    if (auto r = hub.audit->append(std::move(e)); !r) {
        spdlog::error("audit log append failed: {}", r.error().message);
    }
}

void add_hub_routes(SecureRouter& router, const HubContext& hub) {
    // Someone tried to look, steer or talk without leave: the household should know.
    // At most one entry per person, camera and kind of refusal a minute: a member looping a
    // refused request must not bury the log (nor fill the disk) with it.
    struct Recent {
        std::mutex mu;
        std::map<std::string, core::WallMicros> last_us;  // GUARDED_BY(mu)
    };
    router.on_denied([hub, recent = std::make_shared<Recent>()](
                         const Request& req, const Caller& caller, const Rule& rule) {
        const auto camera = camera_param(req);
        const auto now = hub.clock->now_us();
        {
            std::lock_guard lock(recent->mu);
            const std::string key =
                caller.name() + "\n" + std::to_string(camera.value()) + "\n" + describe(rule);
            auto& last = recent->last_us[key];
            if (last != 0 && now >= last && now - last < 60'000'000) {
                return;
            }
            last = now;
            if (recent->last_us.size() > 4096) {
                recent->last_us.clear();
            }
        }
        audit_camera(hub, caller.name(), "access.denied", camera, req.remote_address,
                     describe(rule) + ": " + std::string(to_string(req.method)) + " " +
                         std::string(req.path.substr(0, 200)));
    });
    add_routes(router, hub);
    add_account_routes(router, hub);
    add_setup_page(router, hub);
    add_live_routes(router, hub);
    add_webrtc_routes(router, hub);
    add_ptz_routes(router, hub);
    add_onboard_routes(router, hub);
    add_share_routes(router, hub);
    add_event_routes(router, hub);
    add_web_app(router, hub.web_root);
}

void add_routes(SecureRouter& router, const HubContext& hub) {
    const Rule kPublic{Access::kPublic, {}, false};
    const Rule kSession{Access::kSession, {}, false};
    const Rule kOwner{Access::kOwner, {}, false};
    const Rule kOwnerReauth{Access::kOwner, {}, true};
    const Rule kSeesCamera{Access::kCamera, {}, false};
    const Rule kRecordings{Access::kCamera, auth::Right::kRecordings, false};
    // A download leaves the hub for good: an export, so it needs a fresh proof.
    const Rule kExport{Access::kCamera, auth::Right::kRecordings, true};

    router.add(Method::kGet, "/healthz", kPublic,
               [](const Request&, Caller&) { return Response::json(200, R"({"status":"ok"})"); });

    router.add(Method::kGet, "/api/cameras", kSession, [hub](const Request& req, Caller& caller) {
        auto cams = hub.index->list_cameras();
        if (!cams) {
            return internal(req);
        }
        const auto statuses = hub.camera_status();
        json out = json::array();
        for (const auto& c : *cams) {
            if (!caller.who->sees(c.id)) {
                continue;  // a camera one has no right on is not even listed
            }
            const CameraStatus* st = nullptr;
            for (const auto& s : statuses) {
                if (s.id == c.id) {
                    st = &s;
                }
            }
            out.push_back(camera_json(c, st));
        }
        return Response::json(200, json{{"cameras", out}}.dump());
    });

    router.add(Method::kGet, "/api/cameras/{id}", kSeesCamera, [hub](const Request& req, Caller&) {
        auto cam = camera_from(hub, req);
        if (auto* r = std::get_if<Response>(&cam)) {
            return std::move(*r);
        }
        const auto& c = std::get<store::Camera>(cam);
        const auto statuses = hub.camera_status();
        const CameraStatus* st = nullptr;
        for (const auto& s : statuses) {
            if (s.id == c.id) {
                st = &s;
            }
        }
        return Response::json(200, camera_json(c, st).dump());
    });

    // Renames a camera or stops and starts it (a stopped camera neither records nor streams).
    router.add(Method::kPatch, "/api/cameras/{id}",
               Rule{Access::kCamera, auth::Right::kManage, true},
               [hub](const Request& req, Caller& caller) {
                   auto body = parse_camera_patch_body(req.body);
                   if (!body) {
                       return Response::error(400, body.error().message, req);
                   }
                   const auto id = camera_param(req);
                   auto updated = hub.index->update_camera(id, body->name, body->enabled);
                   if (!updated) {
                       const auto code = updated.error().code;
                       if (code == core::ErrorCode::kNotFound) {
                           return Response::error(404, "no such camera", req);
                       }
                       if (code == core::ErrorCode::kAlreadyExists) {
                           return Response::error(409, updated.error().message, req);
                       }
                       return internal(req);
                   }
                   std::string detail;
                   if (body->name) {
                       detail += "name " + *body->name;
                   }
                   if (body->enabled) {
                       detail += std::string(detail.empty() ? "" : ", ") +
                                 (*body->enabled ? "started" : "stopped");
                   }
                   audit_camera(hub, caller.name(), "camera.update", id, req.remote_address,
                                std::move(detail));
                   return Response::json(200, camera_json(*updated, nullptr).dump());
               });

    router.add(Method::kGet, "/api/cameras/{id}/recordings", kRecordings,
               [hub](const Request& req, Caller&) {
                   auto cam = camera_from(hub, req);
                   if (auto* r = std::get_if<Response>(&cam)) {
                       return std::move(*r);
                   }
                   const auto& c = std::get<store::Camera>(cam);
                   auto win =
                       window_from(hub, req, 24LL * 3600 * 1'000'000, 31LL * 24 * 3600 * 1'000'000);
                   if (auto* r = std::get_if<Response>(&win)) {
                       return std::move(*r);
                   }
                   const auto w = std::get<TimeWindow>(win);
                   auto ranges = hub.index->ranges(c.id, w.start_us, w.end_us);
                   auto segments = hub.index->segments(c.id, w.start_us, w.end_us, 2000);
                   if (!ranges || !segments) {
                       return internal(req);
                   }
                   json r = json::array(), s = json::array();
                   for (const auto& x : *ranges) {
                       r.push_back(range_json(x));
                   }
                   for (const auto& x : *segments) {
                       auto j = range_json({x.start_us, x.end_us});
                       j["bytes"] = x.bytes;
                       j["codecs"] = x.codecs;
                       s.push_back(std::move(j));
                   }
                   return Response::json(200, json{{"camera", c.id.value()},
                                                   {"start", core::format_time(w.start_us)},
                                                   {"end", core::format_time(w.end_us)},
                                                   {"ranges", r},
                                                   {"segments", s},
                                                   {"segments_truncated", segments->size() >= 2000}}
                                                  .dump());
               });

    // Deleting recordings: owners only, with a fresh proof; keys first, then files.
    router.add(Method::kPost, "/api/recordings/delete", kOwnerReauth,
               [hub](const Request& req, Caller& caller) {
                   auto body = parse_delete_recordings_body(req.body);
                   if (!body) {
                       return Response::error(400, body.error().message, req);
                   }
                   std::optional<core::CameraId> camera;
                   if (body->camera) {
                       auto found = hub.index->get_camera(core::CameraId(*body->camera));
                       if (!found) {
                           return Response::error(404, "no such camera", req);
                       }
                       camera = found->id;
                   }
                   const auto from = body->all ? std::numeric_limits<std::int64_t>::min()
                                               : body->start_us;
                   const auto to = body->all ? std::numeric_limits<std::int64_t>::max()
                                             : body->end_us;
                   auto report = media::shred_recordings(*hub.index, hub.data_dir, camera, from, to);
                   if (!report) {
                       spdlog::error("delete recordings: {}", report.error().message);
                       return internal(req);
                   }
                   const std::string what =
                       (camera ? "camera " + std::to_string(camera->value()) : "all cameras") +
                       (body->all ? ", everything"
                                  : ", " + core::format_time(from) + " to " + core::format_time(to));
                   audit_camera(hub, caller.name(), "recording.delete",
                                camera.value_or(core::CameraId()), req.remote_address,
                                what + ": " + report->describe() + "; keys destroyed");
                   json out{{"deleted_files", report->segments},
                            {"deleted_bytes", report->bytes},
                            {"keys_destroyed", report->segments},
                            {"files_left", report->files_left},
                            {"deleted_snapshots", report->snapshots},
                            {"summary", report->describe()}};
                   if (report->segments > 0) {
                       out["from"] = core::format_time(report->first_us);
                       out["to"] = core::format_time(report->last_us);
                   }
                   return Response::json(200, out.dump());
               });

    router.add(
        Method::kGet, "/api/cameras/{id}/stream", kRecordings,
        [hub](const Request& req, Caller& caller) { return playback(hub, req, caller, false); });
    router.add(
        Method::kGet, "/api/cameras/{id}/download", kExport,
        [hub](const Request& req, Caller& caller) { return playback(hub, req, caller, true); });

    router.add(Method::kGet, "/metrics", kOwner, [hub](const Request& req, Caller&) {
        // Bitrate over the interval since the previous scrape (or since start).
        static std::mutex mu;
        static std::map<std::int64_t, std::pair<core::WallMicros, std::uint64_t>> previous;
        auto cams = hub.index->list_cameras();
        if (!cams) {
            return internal(req);
        }
        const auto now = hub.clock->now_us();
        std::map<std::int64_t, std::string> names;
        for (const auto& c : *cams) {
            names[c.id.value()] = prometheus_label(c.name);
        }
        std::string out;
        auto family = [&out](const char* name, const char* type, const char* help) {
            out +=
                std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        };
        const auto statuses = hub.camera_status();
        auto each = [&](const char* name, const char* type, const char* help, auto value) {
            family(name, type, help);
            for (const auto& s : statuses) {
                out += std::string(name) + "{camera=\"" + std::to_string(s.id.value()) +
                       "\",name=\"" + names[s.id.value()] + "\"} " + value(s) + "\n";
            }
        };
        auto num = [](auto v) { return std::to_string(v); };
        each("hearth_camera_online", "gauge", "1 when the camera is delivering media.",
             [&](const CameraStatus& s) { return num(s.state == "online" ? 1 : 0); });
        each("hearth_camera_frames_total", "counter", "Video frames received from the camera.",
             [&](const CameraStatus& s) { return num(s.frames); });
        each("hearth_camera_received_bytes_total", "counter", "Media bytes received.",
             [&](const CameraStatus& s) { return num(s.source_bytes); });
        {
            std::lock_guard lock(mu);
            each("hearth_camera_bitrate_bits_per_second", "gauge",
                 "Received bitrate since the previous scrape.", [&](const CameraStatus& s) {
                     auto& [t, b] = previous[s.id.value()];
                     double rate = 0;
                     if (t != 0 && now > t && s.source_bytes >= b) {
                         rate = double(s.source_bytes - b) * 8e6 / double(now - t);
                     }
                     t = now;
                     b = s.source_bytes;
                     return std::to_string(static_cast<std::int64_t>(rate));
                 });
        }
        each("hearth_camera_reconnects_total", "counter", "Reconnections to the camera.",
             [&](const CameraStatus& s) { return num(s.reconnects); });
        each("hearth_recording_written_bytes_total", "counter", "Bytes written to recordings.",
             [&](const CameraStatus& s) { return num(s.recorded_bytes); });
        each("hearth_recording_fragments_total", "counter", "Fragments written and indexed.",
             [&](const CameraStatus& s) { return num(s.fragments); });
        each("hearth_recording_dropped_samples_total", "counter",
             "Samples dropped because the disk could not keep up.",
             [&](const CameraStatus& s) { return num(s.dropped_samples); });
        each("hearth_recording_write_errors_total", "counter", "Failed writes (disk full, ...).",
             [&](const CameraStatus& s) { return num(s.write_errors); });
        each("hearth_live_viewers", "gauge", "Live viewers of the camera (one pipeline for all).",
             [&](const CameraStatus& s) { return num(s.live_viewers); });
        each("hearth_live_cache_bytes", "gauge",
             "Bytes of the GOP kept so a new viewer starts at once.",
             [&](const CameraStatus& s) { return num(s.live_cache_bytes); });
        each("hearth_speaker_level_dbfs", "gauge",
             "Level of the household's voice at the camera's speaker (-100: silence).",
             [&](const CameraStatus& s) {
                 return s.speaker ? std::to_string(s.speaker->level_dbfs) : std::string("NaN");
             });
        each("hearth_recording_lag_seconds", "gauge",
             "Seconds between now and the end of the last indexed fragment.",
             [&](const CameraStatus& s) {
                 if (s.last_written_us == 0) {
                     return std::string("NaN");
                 }
                 return std::to_string(double(now - s.last_written_us) / 1e6);
             });
        each("hearth_recording_disk_bytes", "gauge", "Bytes of recordings on disk.",
             [&](const CameraStatus& s) {
                 auto b = hub.index->total_bytes(s.id);
                 return num(b ? *b : 0);
             });
        Response res;
        res.content_type = "text/plain; version=0.0.4";
        res.body = std::move(out);
        return res;
    });
}

}  // namespace hearth::api
