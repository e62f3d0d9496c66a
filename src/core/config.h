// The bootstrap configuration: only what is needed before the database opens.
//
// Everything a household manages (cameras, users, retention) lives in SQLite.
// One table of settings (kSettings in config.cc) drives parsing, defaults,
// validation and the generated reference (`hearth config reference`).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/result.h"

namespace hearth::core {

// The built household app in this source tree (web/dist), fixed when the hub is compiled.
std::filesystem::path default_web_root();

enum class LogLevel : int { kInvalid = 0, kTrace, kDebug, kInfo, kWarn, kError };

struct Config {
    ListenAddress listen{"127.0.0.1", 8443};
    std::filesystem::path data_dir = "/var/lib/hearth";
    LogLevel log_level = LogLevel::kInfo;
    std::chrono::seconds segment_length{60};  // recording file length, cut at a keyframe
    int client_requests_per_second = 50;       // per client IP; 0: no limit
    // A household's own certificate chain and key (PEM); both empty: the hub's own
    // self-signed identity in <data_dir>/tls. Never one without the other.
    std::filesystem::path tls_cert;
    std::filesystem::path tls_key;
    // A plain-HTTP listener that only redirects to HTTPS; off when unset.
    std::optional<ListenAddress> redirect_listen;
    // The hub addresses a browser is told to reach for WebRTC live view.
    std::vector<IpNetwork> ice_networks = home_networks();
    // Where the hub's ONVIF discovery probes go: the WS-Discovery multicast group, or one
    // host (a camera on another subnet).
    ListenAddress onvif_discovery{"239.255.255.250", 3702};
    // The built household app (index.html, assets/, icons/), served at "/".
    std::filesystem::path web_root = default_web_root();
};

// Files larger than this are refused before parsing: a config is a few lines.
inline constexpr std::size_t kMaxConfigBytes = 64 * 1024;

// Parses TOML text. `origin` names the file in errors ("hearth.toml:3: ...").
// Errors: kInvalidArgument with file, line, key and what was expected; unknown
// keys are errors, never ignored.
Result<Config> parse_config(std::string_view text, std::string_view origin);

// Reads and parses a file. Errors: kNotFound, kInvalidArgument as above.
Result<Config> load_config(const std::filesystem::path& path);

// Markdown table of every setting: name, type, default, meaning.
std::string config_reference();

Result<LogLevel> parse_log_level(std::string_view text);
const char* to_string(LogLevel level);

}  // namespace hearth::core
