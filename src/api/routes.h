// The hub's HTTP routes: health, metrics, cameras, recordings and playback, and
// (account_routes.cc) setup, login, sessions, second factor, users and the audit log.
// Each is registered with its access rule in one table (api/access.h).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/access.h"
#include "api/http.h"
#include "api/presence.h"
#include "auth/accounts.h"
#include "auth/household_keys.h"
#include <nlohmann/json.hpp>
#include "share/share_service.h"
#include "core/clock.h"
#include "media/live_feed.h"
#include "media/segment_reader.h"
#include "media/speaker.h"
#include "onvif/discovery.h"
#include "onvif/transport.h"
#include "ptz/service.h"
#include "store/audit.h"
#include "store/index.h"

namespace hearth::detect {
class EventLog;
struct DetectionSettings;
}  // namespace hearth::detect

namespace hearth::api {

// Live state of one camera, gathered by the app from its source and recorder.
struct CameraStatus {
    core::CameraId id;
    std::string state;  // connecting, online, offline, stopped, disabled
    std::uint64_t frames = 0;
    std::uint64_t source_bytes = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t recorded_bytes = 0;
    std::uint64_t fragments = 0;
    std::uint64_t dropped_samples = 0;
    std::uint64_t write_errors = 0;
    core::WallMicros last_written_us = 0;
    std::uint64_t live_viewers = 0;
    std::uint64_t live_cache_bytes = 0;           // the GOP kept for new viewers
    std::optional<media::SpeakerStatus> speaker;  // cameras with a loudspeaker for talk
};

struct LiveView {
    std::shared_ptr<media::LiveSubscription> subscription;
    std::string video_note;  // what the page says about the picture
};

struct HubContext {
    store::Index* index = nullptr;
    std::filesystem::path data_dir;
    const core::Clock* clock = nullptr;
    store::AuditLog* audit = nullptr;  // every playback and download is recorded here
    std::function<std::vector<CameraStatus>()> camera_status;  // thread-safe
    auth::AccountService* accounts = nullptr;
    std::string tls_fingerprint;  // SHA-256 of the hub's certificate, shown at setup
    // A new browser viewer of the camera's live feed (H.264: an H.265 camera's is transcoded
    // once for all its browser viewers); a null subscription when the camera is not running.
    std::function<LiveView(core::CameraId)> subscribe_live;
    Presence* presence = nullptr;  // who is watching now
    // The camera's loudspeaker for talk; null when it has none the hub can drive.
    std::function<std::shared_ptr<media::Speaker>(core::CameraId)> speaker;
    // Which of the hub's addresses a browser is told to reach for WebRTC (config
    // `ice_networks`); null allows every address.
    std::function<bool(std::string_view address)> ice_address_allowed;
    std::filesystem::path web_root;  // the built app, served at "/"
    ptz::Service* ptz = nullptr;     // who steers which camera; null: no PTZ routes
    // Talking to IP cameras when adding them; null: no onboarding routes.
    std::shared_ptr<onvif::Transport> onvif;
    onvif::discovery::DiscoverOptions discovery;  // where GET /api/cameras/discover asks
    std::function<void()> cameras_changed;        // starts an added camera at once
    share::ShareService* shares = nullptr;  // share links; null: no share routes
    // Opens segment keys for playback; null: recordings are in the clear (tools, tests).
    auth::HouseholdKeys* household = nullptr;
    // A recorded fragment failed its integrity check during playback (reported once each).
    std::function<void(const store::PlaybackPiece&, const core::Error&)> recording_damaged;
    // Detection events as they happen (the app's live channel listens); null: none.
    detect::EventLog* events = nullptr;
    // A camera's detection settings were changed: the running detector takes them now.
    std::function<void(core::CameraId, const detect::DetectionSettings&)> detection_changed;
};

// An event as the app and notifications see it (no snapshot key, a snapshot URL).
nlohmann::json event_json(const store::Event& e);

// Appends "<action> camera <id>" by `actor` to the audit log (failures are logged).
void audit_camera(const HubContext& hub, std::string_view actor, std::string_view action,
                  core::CameraId camera, std::string_view source, std::string detail);

// How playback opens segment keys: through the household key (null when none is attached).
media::KeyOpener key_opener(const HubContext& hub);
// A recording that cannot be served: 423 locked, 500 damaged, 404 missing file.
Response playback_error(const core::Error& e, const Request& req);

// Longest range one playback or download request may cover.
inline constexpr std::int64_t kMaxPlaybackRangeUs = 24LL * 3600 * 1'000'000;

// Every route of the hub: what the server, the access matrix test and the fuzzers register.
void add_hub_routes(SecureRouter& router, const HubContext& hub);

void add_routes(SecureRouter& router, const HubContext& hub);
void add_account_routes(SecureRouter& router, const HubContext& hub);
// GET /api/cameras/{id}/live: live view as fMP4 over a WebSocket (the MSE path).
void add_live_routes(SecureRouter& router, const HubContext& hub);
// GET/POST /api/cameras/{id}/ptz: steering, presets and who holds the camera.
void add_ptz_routes(SecureRouter& router, const HubContext& hub);
// GET /api/cameras/discover, POST /api/cameras: adding real cameras (owners).
void add_onboard_routes(SecureRouter& router, const HubContext& hub);
// GET /api/cameras/{id}/webrtc: live view and talk over WebRTC, signalled on a WebSocket.
void add_webrtc_routes(SecureRouter& router, const HubContext& hub);
// GET /api/events, GET /api/events/{eid}/snapshot, GET/PUT /api/cameras/{id}/detection.
void add_event_routes(SecureRouter& router, const HubContext& hub);
// Share links: made by members with the `share` right, opened without an account.
void add_share_routes(SecureRouter& router, const HubContext& hub);
// GET /setup (+ /setup.js, /setup.css): the first-run page with the certificate fingerprint.
void add_setup_page(SecureRouter& router, const HubContext& hub);
// GET / (index.html), /sw.js, /manifest.webmanifest, /assets/{file}, /icons/{file}: the
// household app, read from `web_root` once, at start (only those files are ever served).
// Without index.html, GET / answers 503 "the app is not built: run make".
void add_web_app(SecureRouter& router, const std::filesystem::path& web_root);

}  // namespace hearth::api
