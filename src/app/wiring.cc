#include "app/wiring.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>

#include "api/http_redirect.h"
#include "api/live_viewing.h"
#include "core/time_text.h"
#include "crypto/tls_identity.h"
#include "media/backchannel_speaker.h"
#include "media/rtsp_client_source.h"
#include "media/rtsp_source.h"
#include "media/sim_source.h"
#include "media/v4l2_source.h"
#include "onvif/transport.h"
#include "ptz/onvif_driver.h"
#include "ptz/sim_driver.h"

namespace hearth::app {
namespace {

constexpr auto kHousekeepingInterval = std::chrono::seconds(2);
constexpr int kRetentionEvery = 15;  // housekeeping rounds (30 s)

bool unspecified(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

core::Result<crypto::TlsIdentity> tls_identity(const core::Config& config) {
    if (!config.tls_cert.empty() || !config.tls_key.empty()) {
        return crypto::load_tls_identity(config.tls_cert, config.tls_key);
    }
    const auto dir = config.data_dir / "tls";
    HEARTH_ASSIGN_OR_RETURN(auto id, crypto::load_or_create_tls_identity(dir));
    if (id.origin == crypto::TlsIdentityOrigin::kCreated) {
        spdlog::info("tls: created a self-signed certificate in {}", dir.string());
    } else if (id.origin == crypto::TlsIdentityOrigin::kRenewed) {
        spdlog::warn(
            "tls: the certificate in {} was about to expire and was renewed: its "
            "fingerprint has changed",
            dir.string());
    }
    return id;
}

std::int64_t setting_int(store::Index& index, const char* key, std::int64_t fallback) {
    auto v = index.setting(key);
    if (!v || !v->has_value()) {
        return fallback;
    }
    std::int64_t out = 0;
    const auto& s = **v;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() ? out : fallback;
}

}  // namespace

core::Result<std::unique_ptr<media::Source>> make_source(const store::Camera& c) {
    switch (c.kind) {
        case store::CameraKind::kSim: {
            HEARTH_ASSIGN_OR_RETURN(auto options, media::parse_sim_options(c.options));
            if (options.scene.seed == 1) {
                options.scene.seed = static_cast<std::uint32_t>(c.id.value());
            }
            return std::unique_ptr<media::Source>(
                std::make_unique<media::SimSource>(c.name, options));
        }
        case store::CameraKind::kRtsp: {
            if (!c.credentials_problem.empty()) {
                return core::make_error(core::ErrorCode::kFailedPrecondition,
                                        c.credentials_problem);
            }
            media::RtspOptions o;
            o.url = c.url;
            o.username = c.username;
            o.password = c.password;
            HEARTH_TRY(media::apply_rtsp_options(c.options, o));
            // The lean built-in client records TCP streams at a fraction of rtspsrc's CPU;
            // rtspsrc stays for UDP transport and for rtsps:// (TLS).
            if (o.transport == media::RtspTransport::kTcp && o.url.rfind("rtsp://", 0) == 0) {
                return std::unique_ptr<media::Source>(
                    std::make_unique<media::RtspClientSource>(c.name, std::move(o)));
            }
            return std::unique_ptr<media::Source>(
                std::make_unique<media::RtspSource>(c.name, std::move(o)));
        }
        case store::CameraKind::kV4l2: {
            media::V4l2Options o;
            o.device = c.url;
            HEARTH_TRY(media::apply_v4l2_options(c.options, o));
            return std::unique_ptr<media::Source>(
                std::make_unique<media::V4l2Source>(c.name, std::move(o)));
        }
        case store::CameraKind::kInvalid:
            break;
    }
    return core::make_error(core::ErrorCode::kInvalidArgument, "camera has an unknown kind");
}

core::Result<RetentionPolicy> load_retention(store::Index& index) {
    RetentionPolicy p;
    p.max_age_us = setting_int(index, "retention.max_age_days", 30) * 24 * 3600 * 1'000'000;
    p.max_disk_bytes = setting_int(index, "retention.max_disk_mb", 0) * 1024 * 1024;
    p.min_free_bytes = setting_int(index, "retention.min_free_mb", 512) * 1024 * 1024;
    return p;
}

core::Result<std::int64_t> apply_retention(store::Index& index,
                                           const std::filesystem::path& data_dir,
                                           const core::Clock& clock) {
    HEARTH_ASSIGN_OR_RETURN(auto policy, load_retention(index));
    HEARTH_ASSIGN_OR_RETURN(std::int64_t total, index.total_bytes());
    std::int64_t budget = policy.max_disk_bytes;
    struct statvfs fs {};
    if (::statvfs(data_dir.c_str(), &fs) == 0) {
        const auto free_bytes = static_cast<std::int64_t>(fs.f_bavail * fs.f_frsize);
        if (free_bytes < policy.min_free_bytes) {
            // Shrink the budget so that deleting brings free space back above the floor.
            const auto fit =
                std::max<std::int64_t>(0, total - (policy.min_free_bytes - free_bytes));
            budget = budget > 0 ? std::min(budget, fit) : std::max<std::int64_t>(fit, 1);
        }
    }
    HEARTH_ASSIGN_OR_RETURN(auto victims,
                            index.retention_candidates(clock.now_us(), policy.max_age_us, budget));
    std::int64_t freed = 0;
    for (const auto& seg : victims) {
        // The key first (the row holds it), then the file: what is left can never be read.
        HEARTH_TRY(index.delete_segment(seg.id));
        std::error_code ec;
        std::filesystem::remove(data_dir / seg.path, ec);
        if (ec) {
            spdlog::warn("retention: cannot delete {}: {}", seg.path, ec.message());
        }
        freed += seg.bytes;
    }
    if (!victims.empty()) {
        spdlog::info("retention: deleted {} segments, {} bytes", victims.size(), freed);
    }
    return freed;
}

core::Result<std::unique_ptr<Hub>> Hub::start(const core::Config& config) {
    std::unique_ptr<Hub> hub(new Hub(config));
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
        return core::make_error(
            core::ErrorCode::kUnavailable,
            "cannot create data directory " + config.data_dir.string() + ": " + ec.message());
    }
    std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    HEARTH_ASSIGN_OR_RETURN(hub->index_, store::Index::open(config.data_dir / "hearth.db"));
    HEARTH_ASSIGN_OR_RETURN(hub->audit_, store::AuditLog::open(config.data_dir / "hearth.db"));
    HEARTH_ASSIGN_OR_RETURN(auto recovered, media::recover_segments(*hub->index_, config.data_dir));
    for (const auto& line : recovered) {
        spdlog::info("recovered {}", line);
    }
    (void)hub->index_->add_event(
        {0, core::CameraId(), "hub.started", hub->clock_.now_us(), HEARTH_VERSION});

    HEARTH_ASSIGN_OR_RETURN(hub->account_store_,
                            store::AccountStore::open(config.data_dir / "hearth.db"));
    // Before any camera starts: every recording is encrypted to the household from its
    // first second.
    HEARTH_ASSIGN_OR_RETURN(hub->household_,
                            auth::HouseholdKeys::open(*hub->account_store_, config.data_dir,
                                                      hub->clock_, auth::AccountPolicy{}.cost));
    hub->start_ptz();
    hub->events_ = std::make_unique<detect::EventLog>(*hub->index_, config.data_dir,
                                                      hub->household_->public_key());
    hub->reconcile_cameras();

    HEARTH_ASSIGN_OR_RETURN(hub->accounts_,
                            auth::AccountService::open(*hub->account_store_, *hub->audit_,
                                                       hub->index_.get(), hub->clock_));
    hub->accounts_->attach_household_keys(hub->household_.get());
    HEARTH_ASSIGN_OR_RETURN(hub->share_store_,
                            store::ShareStore::open(config.data_dir / "hearth.db"));
    hub->shares_ = std::make_unique<share::ShareService>(
        *hub->share_store_, *hub->index_, *hub->household_, hub->audit_.get(), hub->clock_,
        auth::AccountPolicy{}.cost);
    hub->shares_->shred_expired();
    if (auto r = hub->accounts_->expire_sessions(); !r) {
        spdlog::warn("cannot expire old sessions: {}", r.error().message);
    }
    HEARTH_ASSIGN_OR_RETURN(auto code, hub->accounts_->issue_setup_code());
    hub->setup_code_ = code.value_or("");
    hub->setup_issued_us_ = hub->clock_.now_us();
    hub->cpu_ = std::make_unique<boost::asio::thread_pool>(2);

    hub->router_ = std::make_unique<api::Router>();
    hub->secure_router_ = std::make_unique<api::SecureRouter>(*hub->router_, hub->accounts_.get());
    api::HubContext ctx;
    ctx.index = hub->index_.get();
    ctx.data_dir = config.data_dir;
    ctx.clock = &hub->clock_;
    ctx.audit = hub->audit_.get();
    Hub* raw = hub.get();
    ctx.camera_status = [raw] { return raw->camera_status(); };
    ctx.subscribe_live = [raw](core::CameraId id) -> api::LiveView {
        std::lock_guard lock(raw->cameras_mu_);
        const auto it = raw->cameras_.find(id);
        if (it == raw->cameras_.end()) {
            return {};
        }
        auto& cam = it->second;
        const auto tracks = cam.live->tracks();
        // Before the camera has said what it sends, the browser feed decides when it knows
        // (it passes through what needs no converting).
        if (!tracks.empty() && !media::needs_browser_feed(tracks)) {
            return {cam.live->subscribe(), media::browser_video_note(tracks)};
        }
        if (!cam.browser) {
            cam.browser = std::make_unique<media::BrowserFeed>(*cam.live);
        }
        return {cam.browser->subscribe(), media::browser_video_note(tracks)};
    };
    ctx.speaker = [raw](core::CameraId id) -> std::shared_ptr<media::Speaker> {
        std::lock_guard lock(raw->cameras_mu_);
        const auto it = raw->cameras_.find(id);
        if (it == raw->cameras_.end() || !it->second.speaker) {
            return nullptr;
        }
        // An IP camera known to have no audio backchannel: no talk line, no talk button.
        return it->second.speaker->offers_talk() ? it->second.speaker : nullptr;
    };
    ctx.ice_address_allowed = [networks = config.ice_networks](std::string_view address) {
        return std::any_of(networks.begin(), networks.end(),
                           [&](const core::IpNetwork& n) { return n.contains(address); });
    };
    ctx.accounts = hub->accounts_.get();
    ctx.presence = &hub->presence_;
    ctx.web_root = config.web_root;
    ctx.ptz = hub->ptz_.get();
    ctx.onvif = hub->onvif_transport_;
    ctx.discovery.target_address = config.onvif_discovery.host;
    ctx.discovery.target_port = config.onvif_discovery.port;
    ctx.household = hub->household_.get();
    ctx.shares = hub->shares_.get();
    ctx.events = hub->events_.get();
    ctx.detection_changed = [raw](core::CameraId id, const detect::DetectionSettings& settings) {
        std::lock_guard lock(raw->cameras_mu_);
        if (const auto it = raw->cameras_.find(id); it != raw->cameras_.end() && it->second.detector) {
            it->second.detector->set_settings(settings);
        }
    };
    ctx.recording_damaged = [raw](const store::PlaybackPiece& piece, const core::Error& why) {
        raw->report_damage(piece, why);
    };
    ctx.cameras_changed = [raw] {
        {
            std::lock_guard lock(raw->stop_mu_);
            raw->reconcile_soon_ = true;
        }
        raw->stop_cv_.notify_all();
    };
    auto identity = tls_identity(config);
    if (!identity) {
        hub->stop();
        return identity.error();
    }
    hub->tls_fingerprint_ = identity->fingerprint_sha256;
    ctx.tls_fingerprint = hub->tls_fingerprint_;
    api::add_hub_routes(*hub->secure_router_, ctx);
    api::ServerLimits limits;
    limits.requests_per_second_per_client = config.client_requests_per_second;
    limits.request_burst_per_client = 4.0 * config.client_requests_per_second;
    hub->server_ = std::make_unique<api::HttpServer>(hub->io_, *hub->router_, limits);
    hub->server_->set_offload([pool = hub->cpu_.get()](std::function<void()> job) {
        boost::asio::post(*pool, std::move(job));
    });
    hub->server_->set_default_headers(api::security_headers());
    auto bound = hub->server_->start(
        config.listen, api::TlsSettings{identity->cert_chain_pem, identity->key_pem.view()});
    identity->key_pem = crypto::SecretBytes();  // OpenSSL holds its own copy from here on
    if (!bound) {
        hub->stop();
        return bound.error();
    }
    hub->bound_ = *bound;
    // Running before the redirect listener starts, so stop() can drain if that fails.
    for (int i = 0; i < 2; ++i) {
        hub->net_threads_.emplace_back([raw] { raw->io_.run(); });
    }
    if (config.redirect_listen) {
        // Location names a host people can reach: the HTTPS host unless it is a wildcard.
        std::string host = bound->host;
        if (unspecified(host)) {
            host = unspecified(config.redirect_listen->host) ? "localhost"
                                                             : config.redirect_listen->host;
        }
        hub->redirect_router_ = std::make_unique<api::Router>();
        hub->redirect_router_->set_fallback(api::https_redirect(host, bound->port));
        hub->redirect_server_ = std::make_unique<api::HttpServer>(hub->io_, *hub->redirect_router_);
        hub->redirect_server_->set_default_headers(api::security_headers());
        auto redirect = hub->redirect_server_->start(*config.redirect_listen);
        if (!redirect) {
            hub->stop();
            return redirect.error();
        }
        hub->redirect_bound_ = *redirect;
    }
    hub->housekeeper_ = std::thread([raw] { raw->housekeeping(); });
    return hub;
}

Hub::~Hub() { stop(); }

void Hub::report_damage(const store::PlaybackPiece& piece, const core::Error& why) {
    {
        std::lock_guard lock(damage_mu_);
        // Once per fragment: replaying the range must not flood the events.
        if (damage_reported_.size() >= 10'000 ||
            !damage_reported_.emplace(piece.segment.value(), piece.fragment.seq).second) {
            return;
        }
    }
    store::Event e;
    e.camera = piece.camera;
    e.kind = "recording.damaged";
    e.at_us = piece.fragment.start_us;
    e.detail = core::format_time(piece.fragment.start_us) + " (" +
               std::to_string(piece.fragment.duration_us / 1000) +
               " ms) was left out of playback: " + why.message;
    (void)index_->add_event(e);
}

void Hub::reconcile_cameras() {
    auto stored = index_->list_cameras();
    if (!stored) {
        spdlog::error("cannot list cameras: {}", stored.error().message);
        return;
    }
    std::map<core::CameraId, store::Camera> wanted;
    for (auto& c : *stored) {
        if (c.enabled) {
            wanted.emplace(c.id, c);
        }
    }
    std::vector<Camera> to_stop;
    {
        std::lock_guard lock(cameras_mu_);
        for (auto it = cameras_.begin(); it != cameras_.end();) {
            if (!wanted.count(it->first)) {
                to_stop.push_back(std::move(it->second));
                it = cameras_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& cam : to_stop) {
        spdlog::info("camera={} stopping", cam.stored.id.value());
        ptz_->detach(cam.stored.id);
        cam.source->stop();
        cam.recorder->stop();
        cam.detector.reset();  // closes its open events
    }
    for (auto& [id, stored_camera] : wanted) {
        {
            std::lock_guard lock(cameras_mu_);
            if (cameras_.count(id)) {
                continue;
            }
        }
        auto source = make_source(stored_camera);
        if (!source) {
            spdlog::error("camera={} name={} not started: {}", id.value(), stored_camera.name,
                          source.error().message);
            continue;
        }
        Camera cam;
        cam.stored = stored_camera;
        cam.source = std::move(*source);
        media::RecorderOptions options;
        options.segment_target = config_.segment_length;
        options.household = household_->public_key();
        cam.recorder =
            std::make_unique<media::Recorder>(id, *index_, config_.data_dir, clock_, options);
        cam.recorder->start();
        cam.live = std::make_unique<media::LiveFeed>();
        auto detection = detect::load_detection_settings(*index_, id);
        if (!detection) {
            spdlog::warn("camera={} detection settings unreadable, using defaults: {}", id.value(),
                         detection.error().message);
        }
        cam.detector = std::make_unique<detect::CameraDetector>(
            detection ? *detection : detect::DetectionSettings{}, clock_,
            [log = events_.get(), id](const detect::DetectedEvent& e) { log->record(id, e); });
        cam.tee = std::make_unique<media::SinkTee>(std::vector<media::SourceSink*>{
            cam.recorder.get(), cam.live.get(), cam.detector.get()});
        cam.speaker = make_speaker(stored_camera);
        cam.source->start(cam.tee.get());
        if (const auto* sim = dynamic_cast<const media::SimSource*>(cam.source.get())) {
            ptz_->attach(id, ptz::make_sim_driver(sim->ptz()));
        } else if (auto driver = make_onvif_ptz(stored_camera)) {
            ptz_->attach(id, std::move(driver));
        }
        spdlog::info("camera={} name={} started: {}", id.value(), stored_camera.name,
                     cam.source->describe());
        std::lock_guard lock(cameras_mu_);
        cameras_.emplace(id, std::move(cam));
    }
}

std::shared_ptr<media::Speaker> Hub::make_speaker(const store::Camera& camera) {
    if (camera.kind == store::CameraKind::kSim) {
        // The simulated camera's loudspeaker: what it hears goes to a WAV file.
        return std::make_shared<media::WavSpeaker>(
            &clock_, config_.data_dir / "sim" /
                         ("camera-" + std::to_string(camera.id.value()) + "-speaker.wav"));
    }
    if (camera.kind == store::CameraKind::kV4l2) {
        media::V4l2Options o;
        if (media::apply_v4l2_options(camera.options, o) && !o.speaker_device.empty()) {
            return std::make_shared<media::AlsaSpeaker>(&clock_, o.speaker_device);
        }
    }
    if (camera.kind == store::CameraKind::kRtsp) {
        // The ONVIF audio backchannel: the speaker asks the camera whether it has one (off
        // this thread) and says so in its status. The built-in client speaks rtsp:// only.
        media::RtspOptions o;
        o.url = camera.url;
        o.username = camera.username;
        o.password = camera.password;
        if (media::apply_rtsp_options(camera.options, o) && o.url.rfind("rtsp://", 0) == 0) {
            return std::make_shared<media::BackchannelSpeaker>(&clock_, camera.name,
                                                               std::move(o));
        }
    }
    return nullptr;
}

void Hub::housekeeping() {
    int round = 0;
    for (;;) {
        {
            std::unique_lock lock(stop_mu_);
            stop_cv_.wait_for(lock, kHousekeepingInterval,
                              [this] { return stopping_ || reconcile_soon_; });
            if (stopping_) {
                return;
            }
            reconcile_soon_ = false;
        }
        reconcile_cameras();
        renew_setup_code();
        ptz_->expire();
        if (++round % kRetentionEvery == 1) {
            if (auto r = accounts_->expire_sessions(); !r) {
                spdlog::warn("session expiry failed: {}", r.error().message);
            }
            if (auto r = apply_retention(*index_, config_.data_dir, clock_); !r) {
                spdlog::warn("retention failed: {}", r.error().message);
            }
            shares_->shred_expired();  // an expired link's clip keys go for good
        }
    }
}

std::unique_ptr<ptz::Driver> Hub::make_onvif_ptz(const store::Camera& camera) {
    media::RtspOptions o;
    if (camera.kind != store::CameraKind::kRtsp || !media::apply_rtsp_options(camera.options, o) ||
        o.onvif_url.empty()) {
        return nullptr;
    }
    auto password = crypto::SecretBytes::copy_of(camera.password);
    if (!password) {
        return nullptr;
    }
    // Connects on first use: an ONVIF service that is down does not hold up recording.
    return ptz::make_onvif_driver(
        onvif_transport_,
        ptz::OnvifTarget{o.onvif_url, o.onvif_profile, camera.username, std::move(*password)});
}

void Hub::start_ptz() {
    ptz::HoldCallbacks callbacks;
    callbacks.started = [this](core::CameraId camera, const ptz::Hold& hold) {
        api::PresenceEntry entry;
        entry.user = hold.who.name;
        entry.camera = camera;
        entry.kind = "ptz";
        entry.since_us = hold.since_us;
        entry.source = hold.who.source;
        entry.user_agent = api::device_of(hold.who.user_agent);  // printable, bounded
        audit_ptz(camera, hold.who, "ptz.control", "started steering");
        // Someone with `manage` may end it from the app, like a viewing.
        return presence_.add(std::move(entry), [this, camera] { ptz_->end_hold(camera); });
    };
    callbacks.ended = [this](core::CameraId camera, const ptz::Hold& hold, ptz::HoldEnd why) {
        presence_.remove(hold.tag);
        audit_ptz(camera, hold.who, "ptz.release",
                  std::string(ptz::to_string(why)) + " after " + std::to_string(hold.commands) +
                      " command" + (hold.commands == 1 ? "" : "s") + " in " +
                      std::to_string((hold.last_us - hold.since_us) / 1'000'000) + " s");
    };
    ptz_ = std::make_unique<ptz::Service>(index_.get(), &clock_, ptz::ServiceOptions{},
                                          std::move(callbacks));
}

void Hub::audit_ptz(core::CameraId camera, const ptz::Controller& who, std::string action,
                    std::string detail) {
    store::AuditEntry e;
    e.at_us = clock_.now_us();
    e.actor = who.name;
    e.action = std::move(action);
    e.target = "camera " + std::to_string(camera.value());
    e.source = who.source;
    e.detail = std::move(detail);
    if (auto r = audit_->append(std::move(e)); !r) {
        spdlog::error("audit log append failed: {}", r.error().message);
    }
}

void Hub::renew_setup_code() {
    if (setup_code_.empty()) {
        return;
    }
    const auto needed = accounts_->needs_setup();
    if (needed && !*needed) {
        setup_code_.clear();  // the owner exists: the code is gone from the database too
        return;
    }
    if (clock_.now_us() - setup_issued_us_ < accounts_->policy().setup_code_lifetime_us) {
        return;
    }
    auto code = accounts_->issue_setup_code();
    if (!code || !*code) {
        return;
    }
    setup_code_ = **code;
    setup_issued_us_ = clock_.now_us();
    // Printed, never logged, like the first one.
    std::printf(
        "\nThe setup code expired. New one-time setup code, valid 30 minutes:\n\n"
        "    setup code: %s\n\n",
        setup_code_.c_str());
    std::fflush(stdout);
}

std::vector<api::CameraStatus> Hub::camera_status() {
    std::vector<api::CameraStatus> out;
    std::lock_guard lock(cameras_mu_);
    for (const auto& [id, cam] : cameras_) {
        const auto& ss = cam.source->stats();
        const auto& rs = cam.recorder->stats();
        api::CameraStatus s;
        s.id = id;
        s.state = rs.online ? "online" : "offline";
        s.frames = ss.frames;
        s.source_bytes = ss.bytes;
        s.reconnects = ss.reconnects;
        s.recorded_bytes = rs.bytes;
        s.fragments = rs.fragments;
        s.dropped_samples = rs.dropped_samples;
        s.write_errors = rs.write_errors;
        s.last_written_us = rs.last_written_us;
        const auto live = cam.live->stats();
        s.live_viewers = live.viewers;
        s.live_cache_bytes = live.gop_bytes;
        if (cam.speaker) {
            s.speaker = cam.speaker->status();
        }
        out.push_back(s);
    }
    return out;
}

void block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

void Hub::run_until_signal() {
    const int sig = wait_for_stop_signal();
    spdlog::info("signal {}: stopping", sig);
    stop();
}

void Hub::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    {
        std::lock_guard lock(stop_mu_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (housekeeper_.joinable()) {
        housekeeper_.join();
    }
    if (redirect_server_) {
        redirect_server_->stop();
    }
    if (server_) {
        server_->stop();
    }
    if (cpu_) {
        cpu_->join();  // deferred work still queued finishes; its answers go nowhere
    }
    io_.stop();
    for (auto& t : net_threads_) {
        t.join();
    }
    std::map<core::CameraId, Camera> cameras;
    {
        std::lock_guard lock(cameras_mu_);
        cameras.swap(cameras_);
    }
    // Sources first so nothing feeds a recorder that is closing its segment.
    for (auto& [id, cam] : cameras) {
        cam.source->stop();
    }
    for (auto& [id, cam] : cameras) {
        cam.recorder->stop();
    }
    if (index_) {
        (void)index_->add_event({0, core::CameraId(), "hub.stopped", clock_.now_us(), ""});
    }
}

}  // namespace hearth::app
