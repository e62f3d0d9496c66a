// The one place that builds the hub: index, cameras (source + recorder each),
// retention, TLS identity, HTTPS server (and the optional plain-HTTP redirect). It stops
// things in the reverse order of starting.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "api/access.h"
#include "api/http_server.h"
#include "api/routes.h"
#include "auth/accounts.h"
#include "auth/household_keys.h"
#include "share/share_service.h"
#include "store/shares.h"
#include "core/clock.h"
#include "core/config.h"
#include "detect/camera_detector.h"
#include "detect/event_log.h"
#include "media/browser_feed.h"
#include "media/live_feed.h"
#include "media/recorder.h"
#include "media/source.h"
#include "onvif/transport.h"
#include "ptz/service.h"
#include "store/audit.h"
#include "store/index.h"

namespace hearth::app {

// Blocks SIGINT/SIGTERM in the calling thread and every thread it starts later,
// so that a stop request is never lost before the hub is ready to wait for it.
// Call first thing in main().
void block_stop_signals();
// Waits for SIGINT or SIGTERM (blocked by block_stop_signals) and returns it.
int wait_for_stop_signal();

// Builds the Source for a stored camera. Errors: kInvalidArgument for bad options.
core::Result<std::unique_ptr<media::Source>> make_source(const store::Camera& camera);

struct RetentionPolicy {
    std::int64_t max_age_us = 30LL * 24 * 3600 * 1'000'000;
    std::int64_t max_disk_bytes = 0;                    // 0: no budget beyond free space
    std::int64_t min_free_bytes = 512LL * 1024 * 1024;  // never fill the disk
};
core::Result<RetentionPolicy> load_retention(store::Index& index);

// One pass of retention: deletes files, then their index rows. Returns bytes freed.
core::Result<std::int64_t> apply_retention(store::Index& index,
                                           const std::filesystem::path& data_dir,
                                           const core::Clock& clock);

class Hub {
public:
    // Thread: control. Opens the data directory, recovers after a crash, starts
    // every enabled camera and the HTTP server.
    static core::Result<std::unique_ptr<Hub>> start(const core::Config& config);
    ~Hub();

    const core::ListenAddress& bound() const { return bound_; }
    // The one-time setup code when the hub has no account yet (empty once set up).
    const std::string& setup_code() const { return setup_code_; }
    // The plain-HTTP redirect listener's address, when config.redirect_listen is set.
    const std::optional<core::ListenAddress>& redirect_bound() const { return redirect_bound_; }
    // SHA-256 of the certificate the hub serves, "AA:BB:..." as `openssl x509 -fingerprint
    // -sha256` prints it: printed at start and shown on the setup page, so people can check
    // that they talk to their own hub.
    const std::string& tls_fingerprint() const { return tls_fingerprint_; }
    // Runs until SIGINT/SIGTERM, then stops everything.
    void run_until_signal();
    void stop();

private:
    struct Camera {
        store::Camera stored;
        std::unique_ptr<media::Recorder> recorder;
        // The live branch: one per camera, whatever the number of viewers (GOP cache).
        std::unique_ptr<media::LiveFeed> live;
        std::unique_ptr<media::SinkTee> tee;      // source -> recorder + live
        std::shared_ptr<media::Speaker> speaker;  // talk output; null: the camera has none
        // What browsers can play when the camera sends H.265 or AAC; made at the first viewer.
        std::unique_ptr<media::BrowserFeed> browser;
        // Motion, people, sound and tampering: events with encrypted snapshots.
        std::unique_ptr<detect::CameraDetector> detector;
        std::unique_ptr<media::Source> source;
    };

    explicit Hub(const core::Config& config) : config_(config) {}
    void reconcile_cameras();  // starts added cameras, stops removed ones
    std::shared_ptr<media::Speaker> make_speaker(const store::Camera& camera);
    void housekeeping();      // thread: reconcile + retention, every few seconds
    void renew_setup_code();  // a fresh code when the printed one expired unused
    void start_ptz();         // the PTZ service, its audit and its presence entries
    // The ONVIF PTZ driver of a camera added through ONVIF; null for others.
    std::unique_ptr<ptz::Driver> make_onvif_ptz(const store::Camera& camera);
    void audit_ptz(core::CameraId camera, const ptz::Controller& who, std::string action,
                   std::string detail);
    std::vector<api::CameraStatus> camera_status();
    // A recorded fragment that failed its integrity check: one camera event per fragment.
    void report_damage(const store::PlaybackPiece& piece, const core::Error& why);

    core::Config config_;
    core::SystemClock clock_;
    std::unique_ptr<store::Index> index_;
    std::unique_ptr<store::AuditLog> audit_;
    std::unique_ptr<store::AccountStore> account_store_;
    std::unique_ptr<auth::HouseholdKeys> household_;  // recordings are encrypted to it
    std::unique_ptr<auth::AccountService> accounts_;
    std::unique_ptr<store::ShareStore> share_store_;
    std::unique_ptr<share::ShareService> shares_;  // links for people outside the household
    std::unique_ptr<detect::EventLog> events_;  // detection events and their snapshots
    std::unique_ptr<ptz::Service> ptz_;  // steering: holds, rate limits, presets
    std::shared_ptr<onvif::Transport> onvif_transport_ = std::make_shared<onvif::HttpTransport>();
    std::string setup_code_;             // only the housekeeper thread changes it after start
    core::WallMicros setup_issued_us_ = 0;
    // Password hashing runs here, never on the net threads (64 MiB and ~0.1-0.5 s each).
    std::unique_ptr<boost::asio::thread_pool> cpu_;
    std::mutex cameras_mu_;
    std::map<core::CameraId, Camera> cameras_;  // GUARDED_BY(cameras_mu_)

    boost::asio::io_context io_;
    std::unique_ptr<api::Router> router_;
    std::unique_ptr<api::SecureRouter> secure_router_;
    api::Presence presence_;
    std::unique_ptr<api::HttpServer> server_;
    std::unique_ptr<api::Router> redirect_router_;
    std::unique_ptr<api::HttpServer> redirect_server_;
    std::vector<std::thread> net_threads_;
    core::ListenAddress bound_;
    std::optional<core::ListenAddress> redirect_bound_;
    std::string tls_fingerprint_;

    std::mutex damage_mu_;
    std::set<std::pair<std::int64_t, std::int64_t>> damage_reported_;  // GUARDED_BY(damage_mu_)

    std::thread housekeeper_;
    std::mutex stop_mu_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;  // GUARDED_BY(stop_mu_)
    bool reconcile_soon_ = false;  // GUARDED_BY(stop_mu_): a camera was added or changed
    std::atomic<bool> stopped_{false};
};

}  // namespace hearth::app
