// `hearth`: the hub, its camera management, and the fake IP camera.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <csignal>
#include <unistd.h>

#include "app/account_cli.h"
#include "app/recordings_cli.h"
#include "app/wiring.h"
#include "core/qr.h"
#include "core/config.h"
#include "core/log.h"
#include "media/rtsp_source.h"
#include "media/stream_probe.h"
#include "simcam/simcam.h"
#include "store/audit.h"
#include "store/index.h"

namespace {

using namespace hearth;

constexpr const char* kIntro =
    "Hearth: a home camera hub that records your cameras and keeps your home private.\n\n"
    "Start here:\n"
    "  hearth demo                      run on two simulated cameras in a fresh directory\n"
    "  hearth serve --data-dir DIR      run the hub on the cameras stored in DIR\n"
    "  hearth camera add NAME --kind rtsp --url rtsp://HOST/PATH --credentials-file FILE\n"
    "  hearth camera list | remove NAME\n"
    "  hearth setup --username NAME     create the owner with the hub's one-time setup code\n"
    "  hearth user add|list|passwd|remove, hearth sessions   accounts without a browser\n"
    "  hearth recordings verify|export  check or export encrypted recordings\n"
    "  hearth recover --username NAME   a new owner passphrase with the recovery key\n"
    "  hearth simcam                    a fake IP camera (RTSP) for trying things out\n";

struct Common {
    std::string config_file;
    std::string data_dir;
    std::string listen;
    std::string redirect_listen;
    std::string log_level;
};

void add_common(CLI::App* cmd, Common& c, bool with_listen) {
    cmd->add_option("--config", c.config_file, "Bootstrap configuration file (TOML)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--data-dir", c.data_dir, "Directory for the database and recordings");
    if (with_listen) {
        cmd->add_option("--listen", c.listen,
                        "HOST:PORT for the HTTPS API; port 0 picks a free port (printed on start)");
        cmd->add_option("--redirect-listen", c.redirect_listen,
                        "HOST:PORT for plain HTTP that only redirects to HTTPS (off by default)");
    }
    cmd->add_option("--log-level", c.log_level, "trace, debug, info, warn or error");
}

// The config file first, then command-line overrides.
core::Result<core::Config> resolve(const Common& c) {
    core::Config config;
    if (!c.config_file.empty()) {
        HEARTH_ASSIGN_OR_RETURN(config, core::load_config(c.config_file));
    }
    if (!c.data_dir.empty()) {
        config.data_dir = c.data_dir;
    }
    if (!c.listen.empty()) {
        HEARTH_ASSIGN_OR_RETURN(config.listen, core::parse_listen_address(c.listen));
    }
    if (!c.redirect_listen.empty()) {
        HEARTH_ASSIGN_OR_RETURN(config.redirect_listen,
                                core::parse_listen_address(c.redirect_listen));
    }
    if (!c.log_level.empty()) {
        HEARTH_ASSIGN_OR_RETURN(config.log_level, core::parse_log_level(c.log_level));
    }
    return config;
}

int fail(const core::Error& e) {
    std::fprintf(stderr, "hearth: %s\n", e.message.c_str());
    return e.code == core::ErrorCode::kInvalidArgument ? 2 : 1;
}

int serve(const core::Config& config) {
    auto hub = app::Hub::start(config);
    if (!hub) {
        return fail(hub.error());
    }
    std::printf("data directory %s\n", config.data_dir.c_str());
    std::printf("listening on https://%s/\n", (*hub)->bound().to_string().c_str());
    std::printf("certificate fingerprint (SHA-256) %s\n", (*hub)->tls_fingerprint().c_str());
    if (const auto& redirect = (*hub)->redirect_bound()) {
        std::printf("plain HTTP on http://%s/ redirects to HTTPS\n", redirect->to_string().c_str());
    }
    if (const auto& code = (*hub)->setup_code(); !code.empty()) {
        // Printed, never logged: whoever reads the console of this machine may set it up.
        std::printf("\nNo account exists yet. Create the owner within 30 minutes with this "
                    "one-time setup code:\n\n    setup code: %s\n\n"
                    "in the browser (setup page) or with: hearth setup --username NAME\n",
                    code.c_str());
        if (auto qr = core::qr_terminal(code)) {
            std::printf("%s", qr->c_str());
        }
    }
    std::fflush(stdout);
    (*hub)->run_until_signal();
    return 0;
}

core::Result<std::pair<std::string, std::string>> read_credentials(const std::string& file,
                                                                   bool from_stdin) {
    std::string line;
    if (!file.empty()) {
        std::ifstream in(file);
        if (!in) {
            return core::make_error(core::ErrorCode::kNotFound, "cannot read " + file);
        }
        std::getline(in, line);
    } else if (from_stdin) {
        std::getline(std::cin, line);
    } else {
        return std::pair<std::string, std::string>();
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || line.size() > 512) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "credentials must be one line USER:PASSWORD");
    }
    return std::pair(line.substr(0, colon), line.substr(colon + 1));
}

// Records a change made from the command line in the audit log, as the Unix user.
core::Status audit_cli_change(const core::Config& config, std::string action,
                              std::string target) {
    HEARTH_ASSIGN_OR_RETURN(auto log, store::AuditLog::open(config.data_dir / "hearth.db"));
    store::AuditEntry entry;
    entry.at_us = core::SystemClock().now_us();
    const char* user = std::getenv("USER");
    entry.actor = "cli:" + std::string(user && *user ? user : std::to_string(::getuid()));
    entry.action = std::move(action);
    entry.target = std::move(target);
    entry.source = "local";
    return log->append(std::move(entry));
}

core::Result<std::unique_ptr<store::Index>> open_index(const core::Config& config) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
        return core::make_error(core::ErrorCode::kUnavailable,
                                "cannot create " + config.data_dir.string() + ": " + ec.message());
    }
    return store::Index::open(config.data_dir / "hearth.db");
}

}  // namespace

int main(int argc, char** argv) {
    app::block_stop_signals();
    CLI::App cli{kIntro, "hearth"};
    cli.require_subcommand(1);
    cli.set_version_flag("--version", std::string("hearth ") + HEARTH_VERSION);

    Common common;
    auto* serve_cmd = cli.add_subcommand("serve", "Run the hub: record cameras, serve the API");
    add_common(serve_cmd, common, true);

    auto* demo_cmd = cli.add_subcommand(
        "demo", "Run the hub on two simulated cameras in a fresh data directory");
    add_common(demo_cmd, common, true);

    auto* version_cmd = cli.add_subcommand("version", "Print the version");

    auto* camera_cmd = cli.add_subcommand("camera", "Add, list or remove cameras");
    camera_cmd->require_subcommand(1);
    std::string cam_name, cam_kind = "rtsp", cam_url, cam_options, cred_file, cam_transport;
    bool cred_stdin = false;
    auto* cam_add = camera_cmd->add_subcommand("add", "Add a camera");
    add_common(cam_add, common, false);
    cam_add->add_option("name", cam_name, "A name for the camera, e.g. porch")->required();
    cam_add->add_option("--kind", cam_kind, "sim, rtsp or v4l2")
        ->check(CLI::IsMember({"sim", "rtsp", "v4l2"}));
    cam_add->add_option("--url", cam_url,
                        "rtsp:// or rtsps:// URL (without credentials), or a V4L2 device path");
    cam_add->add_option("--transport", cam_transport, "RTSP transport: tcp (default) or udp")
        ->check(CLI::IsMember({"tcp", "udp"}));
    cam_add->add_option("--options", cam_options, "Kind-specific options as a JSON object");
    cam_add->add_option("--credentials-file", cred_file,
                        "File whose first line is USER:PASSWORD for the camera");
    cam_add->add_flag("--credentials-stdin", cred_stdin, "Read USER:PASSWORD from standard input");
    bool skip_check = false;
    cam_add->add_flag("--skip-check", skip_check,
                      "Save an RTSP camera without first checking that its stream plays (a "
                      "camera that is switched off now)");
    auto* cam_list = camera_cmd->add_subcommand("list", "List cameras");
    add_common(cam_list, common, false);
    std::string cam_target;
    auto* cam_remove = camera_cmd->add_subcommand(
        "remove", "Remove a camera and delete its recordings");
    add_common(cam_remove, common, false);
    cam_remove->add_option("camera", cam_target, "Camera id or name")->required();

    auto* retention_cmd = cli.add_subcommand(
        "retention", "Show or set how long recordings are kept and how much disk they may use");
    add_common(retention_cmd, common, false);
    std::optional<std::int64_t> max_age_days, max_disk_mb, min_free_mb;
    retention_cmd->add_option("--max-age-days", max_age_days, "Delete recordings older than this")
        ->check(CLI::Range(1, 3650));
    retention_cmd->add_option("--max-disk-mb", max_disk_mb, "Total budget (0: none)")
        ->check(CLI::Range(0LL, 1LL << 40));
    retention_cmd->add_option("--min-free-mb", min_free_mb, "Always keep this much disk free")
        ->check(CLI::Range(0LL, 1LL << 40));

    auto* simcam_cmd = cli.add_subcommand(
        "simcam",
        "A fake IP camera: the simulated scene over RTSP with digest authentication, ONVIF "
        "(device, media, PTZ with WS-Security) and WS-Discovery");
    std::string simcam_listen = "127.0.0.1:8554", simcam_creds;
    media::SimCameraOptions sim_options;
    bool simcam_no_audio = false;
    simcam_cmd->add_option("--listen", simcam_listen, "HOST:PORT for RTSP; port 0 picks one");
    simcam_cmd->add_option("--credentials-file", simcam_creds,
                           "File whose first line is USER:PASSWORD; without it, no authentication");
    simcam_cmd->add_option("--width", sim_options.scene.width)->check(CLI::Range(160, 3840));
    simcam_cmd->add_option("--height", sim_options.scene.height)->check(CLI::Range(120, 2160));
    simcam_cmd->add_option("--fps", sim_options.scene.fps)->check(CLI::Range(1, 60));
    simcam_cmd->add_option("--kbps", sim_options.video_kbps)->check(CLI::Range(100, 50000));
    simcam_cmd->add_flag("--no-audio", simcam_no_audio);
    std::string simcam_file, simcam_video = "h264", simcam_audio = "aac";
    simcam_cmd->add_option("--video-codec", simcam_video, "h264 or h265")
        ->check(CLI::IsMember({"h264", "h265"}));
    simcam_cmd->add_option("--audio-codec", simcam_audio, "aac, opus, pcmu or pcma")
        ->check(CLI::IsMember({"aac", "opus", "pcmu", "pcma"}));
    simcam_cmd->add_option("--file", simcam_file,
                           "Serve this MP4's H.264 video as it is instead of the live scene")
        ->check(CLI::ExistingFile);
    std::string simcam_backchannel_wav;
    bool simcam_no_backchannel = false;
    simcam_cmd->add_option("--backchannel-wav", simcam_backchannel_wav,
                           "Keep the ONVIF audio backchannel's audio in this WAV file (replaced "
                           "at each talk); without it, the audio is only measured");
    simcam_cmd->add_flag("--no-backchannel", simcam_no_backchannel,
                         "Offer no ONVIF audio backchannel (a camera without a loudspeaker)");
    std::string simcam_onvif_listen, simcam_discovery = "3702";
    simcam_cmd->add_option("--onvif-listen", simcam_onvif_listen,
                           "HOST:PORT for the ONVIF services (plain HTTP, as cameras serve them; "
                           "default: the RTSP host and port + 1, or port 0 when the RTSP port is "
                           "0); 'off' for none");
    simcam_cmd->add_option("--discovery-listen", simcam_discovery,
                           "UDP port of the WS-Discovery responder on the ONVIF host (default "
                           "3702, 0 picks one); 'off' for none");

    auto* config_cmd = cli.add_subcommand("config", "Configuration help");
    auto* config_ref = config_cmd->add_subcommand("reference", "Print every setting (Markdown)");
    config_cmd->require_subcommand(1);

    auto* audit_cmd = cli.add_subcommand("audit-log", "Check the tamper-evident audit log");
    audit_cmd->require_subcommand(1);
    auto* audit_verify = audit_cmd->add_subcommand(
        "verify", "Walk the hash chain; exit 1 if any entry was altered or removed");
    add_common(audit_verify, common, false);

    app::AccountCommands account_commands;
    app::add_account_commands(cli, account_commands,
                              [&common](CLI::App* cmd) { add_common(cmd, common, false); });
    app::RecordingCommands recording_commands;
    app::add_recording_commands(cli, recording_commands,
                                [&common](CLI::App* cmd) { add_common(cmd, common, false); });

    CLI11_PARSE(cli, argc, argv);

    if (version_cmd->parsed()) {
        std::printf("hearth %s\n", HEARTH_VERSION);
        return 0;
    }
    if (config_ref->parsed()) {
        std::printf("%s", core::config_reference().c_str());
        return 0;
    }
    if (simcam_cmd->parsed()) {
        core::init_logging(core::LogLevel::kInfo);
        simcam::SimcamOptions o;
        auto listen = core::parse_listen_address(simcam_listen);
        if (!listen) {
            return fail(listen.error());
        }
        o.listen = *listen;
        o.camera = sim_options;
        o.camera.audio = !simcam_no_audio;
        o.file = simcam_file;
        o.backchannel = !simcam_no_backchannel;
        o.backchannel_wav = simcam_backchannel_wav;
        o.camera.video_codec = *media::parse_sim_codec(simcam_video, true);
        o.camera.audio_codec = *media::parse_sim_codec(simcam_audio, false);
        auto creds = read_credentials(simcam_creds, false);
        if (!creds) {
            return fail(creds.error());
        }
        std::tie(o.username, o.password) = *creds;
        if (o.username.empty()) {
            spdlog::warn("simcam: no credentials given: anyone can watch this stream");
        }
        if (simcam_onvif_listen != "off") {
            core::ListenAddress onvif = o.listen;
            onvif.port = (o.listen.port == 0 || o.listen.port == 65535) ? 0 : o.listen.port + 1;
            if (!simcam_onvif_listen.empty()) {
                auto parsed = core::parse_listen_address(simcam_onvif_listen);
                if (!parsed) {
                    return fail(parsed.error());
                }
                onvif = *parsed;
            }
            o.onvif_listen = onvif;
            if (simcam_discovery != "off") {
                unsigned port = 0;
                const auto [end, ec] = std::from_chars(
                    simcam_discovery.data(), simcam_discovery.data() + simcam_discovery.size(), port);
                if (ec != std::errc() || end != simcam_discovery.data() + simcam_discovery.size() ||
                    port > 65535) {
                    return fail(core::make_error(core::ErrorCode::kInvalidArgument,
                                                 "--discovery-listen takes a UDP port or 'off'"));
                }
                o.discovery_port = static_cast<std::uint16_t>(port);
            }
        }
        simcam::Simcam simcam(o);
        auto url = simcam.start();
        if (!url) {
            return fail(url.error());
        }
        if (!simcam.onvif_url().empty()) {
            std::printf("onvif listening on %s\n", simcam.onvif_url().c_str());
            if (simcam.discovery_port() != 0) {
                std::printf("discovery listening on udp port %u\n",
                            static_cast<unsigned>(simcam.discovery_port()));
            }
        }
        std::printf("rtsp listening on %s\n", url->c_str());
        std::fflush(stdout);
        app::wait_for_stop_signal();
        simcam.stop();
        return 0;
    }

    auto config = resolve(common);
    if (!config) {
        return fail(config.error());
    }
    core::init_logging(config->log_level);

    if (serve_cmd->parsed()) {
        return serve(*config);
    }
    if (demo_cmd->parsed()) {
        if (common.data_dir.empty()) {
            char tmpl[] = "/tmp/hearth-demo-XXXXXX";
            if (::mkdtemp(tmpl) == nullptr) {
                return fail(core::make_error(core::ErrorCode::kUnavailable,
                                             "cannot create a demo directory in /tmp"));
            }
            config->data_dir = tmpl;
        }
        auto index = open_index(*config);
        if (!index) {
            return fail(index.error());
        }
        auto cams = (*index)->list_cameras();
        if (cams && cams->empty()) {
            for (const char* name : {"living-room", "front-door"}) {
                store::Camera c;
                c.name = name;
                c.kind = store::CameraKind::kSim;
                // Opus, as browsers take it over WebRTC without a transcode.
                c.options = R"({"audio_codec":"opus"})";
                if (auto r = (*index)->add_camera(c); !r) {
                    return fail(r.error());
                }
            }
            std::printf("demo: created two simulated cameras in %s\n",
                        config->data_dir.c_str());
        }
        index->reset();
        return serve(*config);
    }

    if (auto done = app::run_account_commands(account_commands, *config)) {
        return *done;
    }
    if (auto done = app::run_recording_commands(recording_commands, *config)) {
        return *done;
    }
    auto index = open_index(*config);
    if (!index) {
        return fail(index.error());
    }
    if (audit_verify->parsed()) {
        auto log = store::AuditLog::open(config->data_dir / "hearth.db");
        if (!log) {
            return fail(log.error());
        }
        auto report = (*log)->verify();
        if (!report) {
            return fail(report.error());
        }
        if (!report->ok) {
            std::printf("audit log BROKEN at entry %lld: %s\n",
                        static_cast<long long>(report->first_broken_id), report->reason.c_str());
            return 1;
        }
        std::printf("audit log intact: %lld entries\n", static_cast<long long>(report->rows));
        return 0;
    }
    if (cam_add->parsed()) {
        store::Camera c;
        c.name = cam_name;
        if (c.name.empty() || c.name.size() > 64) {
            return fail(core::make_error(core::ErrorCode::kInvalidArgument,
                                         "camera name must be 1 to 64 characters"));
        }
        c.kind = *store::parse_camera_kind(cam_kind);
        c.options = cam_options.empty() ? "{}" : cam_options;
        if (c.kind == store::CameraKind::kRtsp) {
            auto parsed = media::parse_rtsp_url(cam_url);
            if (!parsed) {
                return fail(parsed.error());
            }
            if (!parsed->username.empty()) {
                return fail(core::make_error(
                    core::ErrorCode::kInvalidArgument,
                    "put camera credentials in a file (--credentials-file) or on standard input "
                    "(--credentials-stdin), not in the URL: command lines are visible to every "
                    "user of this machine"));
            }
            c.url = parsed->url;
            if (!cam_transport.empty()) {
                c.options = nlohmann::json{{"transport", cam_transport}}.dump();
            }
            media::RtspOptions check;
            if (auto r = media::apply_rtsp_options(c.options, check); !r) {
                return fail(r.error());
            }
        } else if (c.kind == store::CameraKind::kV4l2) {
            c.url = cam_url.empty() ? "/dev/video0" : cam_url;
        }
        auto creds = read_credentials(cred_file, cred_stdin);
        if (!creds) {
            return fail(creds.error());
        }
        std::tie(c.username, c.password) = *creds;
        c.id = core::CameraId(1);  // validated by building its source once
        if (auto s = app::make_source(c); !s) {
            return fail(s.error());
        }
        if (c.kind == store::CameraKind::kRtsp && !skip_check) {
            // A typo or a wrong password is found now, not as an offline camera later.
            media::RtspOptions o;
            o.url = c.url;
            o.username = c.username;
            o.password = c.password;
            (void)media::apply_rtsp_options(c.options, o);
            auto probe = media::probe_stream(o, std::chrono::seconds(10));
            if (!probe) {
                return fail(core::make_error(
                    core::ErrorCode::kUnavailable,
                    "camera not added: its stream does not play: " + probe.error().message +
                        " (--skip-check adds it anyway)"));
            }
            std::printf("stream plays: %s\n", probe->summary().c_str());
        }
        auto id = (*index)->add_camera(c);
        if (!id) {
            return fail(id.error());
        }
        if (auto a = audit_cli_change(*config, "camera.add", c.name); !a) {
            return fail(a.error());
        }
        std::printf("added camera %lld %s\n", static_cast<long long>(id->value()), c.name.c_str());
        return 0;
    }
    if (cam_list->parsed()) {
        auto cams = (*index)->list_cameras();
        if (!cams) {
            return fail(cams.error());
        }
        std::printf("%-4s %-20s %-5s %s\n", "ID", "NAME", "KIND", "SOURCE");
        for (const auto& c : *cams) {
            std::printf("%-4lld %-20s %-5s %s%s\n", static_cast<long long>(c.id.value()),
                        c.name.c_str(), store::to_string(c.kind), c.url.c_str(),
                        c.username.empty() ? "" : " (with credentials)");
        }
        return 0;
    }
    if (cam_remove->parsed()) {
        auto cam = (*index)->find_camera(cam_target);
        if (!cam) {
            return fail(cam.error());
        }
        auto paths = (*index)->remove_camera(cam->id);
        if (!paths) {
            return fail(paths.error());
        }
        std::error_code ec;
        for (const auto& p : *paths) {
            std::filesystem::remove(config->data_dir / p, ec);
        }
        std::filesystem::remove_all(config->data_dir / "recordings" / std::to_string(cam->id.value()),
                                    ec);
        if (auto a = audit_cli_change(*config, "camera.remove", cam->name); !a) {
            return fail(a.error());
        }
        std::printf("removed camera %s and %zu recordings\n", cam->name.c_str(), paths->size());
        return 0;
    }
    if (retention_cmd->parsed()) {
        if (max_age_days) {
            (void)(*index)->set_setting("retention.max_age_days", std::to_string(*max_age_days));
        }
        if (max_disk_mb) {
            (void)(*index)->set_setting("retention.max_disk_mb", std::to_string(*max_disk_mb));
        }
        if (min_free_mb) {
            (void)(*index)->set_setting("retention.min_free_mb", std::to_string(*min_free_mb));
        }
        if (max_age_days || max_disk_mb || min_free_mb) {
            const std::string change =
                std::string(max_age_days ? "max_age_days=" + std::to_string(*max_age_days) + " " : "") +
                (max_disk_mb ? "max_disk_mb=" + std::to_string(*max_disk_mb) + " " : "") +
                (min_free_mb ? "min_free_mb=" + std::to_string(*min_free_mb) : "");
            if (auto a = audit_cli_change(*config, "retention.set", change); !a) {
                return fail(a.error());
            }
        }
        auto p = app::load_retention(**index);
        std::printf("max age: %lld days\nmax disk: %lld MB (0: no budget)\nmin free: %lld MB\n",
                    static_cast<long long>(p->max_age_us / (24LL * 3600 * 1'000'000)),
                    static_cast<long long>(p->max_disk_bytes >> 20),
                    static_cast<long long>(p->min_free_bytes >> 20));
        return 0;
    }
    return 0;
}
