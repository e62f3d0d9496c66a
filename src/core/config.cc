#include "core/config.h"

#include <fstream>
#include <functional>
#include <sstream>

#include <toml++/toml.h>

namespace hearth::core {
namespace {

struct Setting {
    std::string_view key;
    std::string_view type;  // as shown to people
    std::string_view default_text;
    std::string_view meaning;
    // Applies the node to the config; returns what was expected on failure.
    std::function<Result<void>(const toml::node&, Config&)> apply;
};

Error expected(std::string_view what) {
    return make_error(ErrorCode::kInvalidArgument, "expected " + std::string(what));
}

Result<void> apply_path(const toml::node& n, std::filesystem::path& out) {
    const auto s = n.value<std::string>();
    if (!s || s->empty()) {
        return expected("a non-empty path string");
    }
    out = *s;
    return {};
}

// The default of ice_networks as the reference prints it, made from the list itself.
const std::string& home_networks_text() {
    static const std::string text = [] {
        std::string t = "[";
        for (const auto& n : home_networks()) {
            t += (t.size() > 1 ? ", \"" : "\"") + n.to_string() + "\"";
        }
        return t + "]";
    }();
    return text;
}

const Setting kSettings[] = {
    {"listen", "string", "\"127.0.0.1:8443\"",
     "Address and port of the HTTPS API (the hub serves HTTPS only), HOST:PORT or "
     "[IPv6]:PORT; port 0 picks a free port. Nothing is served without an account.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto s = n.value<std::string>();
         if (!s) {
             return expected("a string like \"127.0.0.1:8080\"");
         }
         auto a = parse_listen_address(*s);
         if (!a) {
             return a.error();
         }
         c.listen = *a;
         return {};
     }},
    {"data_dir", "string", "\"/var/lib/hearth\"",
     "Directory for the database and recordings; created if missing.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto s = n.value<std::string>();
         if (!s || s->empty()) {
             return expected("a non-empty path string");
         }
         c.data_dir = *s;
         return {};
     }},
    {"log_level", "string", "\"info\"", "One of trace, debug, info, warn, error.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto s = n.value<std::string>();
         if (!s) {
             return expected("one of \"trace\", \"debug\", \"info\", \"warn\", \"error\"");
         }
         auto l = parse_log_level(*s);
         if (!l) {
             return l.error();
         }
         c.log_level = *l;
         return {};
     }},
    {"segment_seconds", "integer", "60",
     "Length of each recording file in seconds (2 to 600); files are cut at a keyframe.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto v = n.value<std::int64_t>();
         if (!n.is_integer() || !v || *v < 2 || *v > 600) {
             return expected("an integer from 2 to 600");
         }
         c.segment_length = std::chrono::seconds(*v);
         return {};
     }},
    {"client_requests_per_second", "integer", "50",
     "Requests per second one client address may make on average (bursts of four times as "
     "many pass); over it, answers are 429. 0 turns the limit off.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto v = n.value<std::int64_t>();
         if (!n.is_integer() || !v || *v < 0 || *v > 100000) {
             return expected("an integer from 0 to 100000");
         }
         c.client_requests_per_second = static_cast<int>(*v);
         return {};
     }},
    {"tls_cert", "string", "(none)",
     "PEM file with the hub's certificate chain, server certificate first; set together with "
     "`tls_key`. Without both, the hub makes its own ECDSA certificate in `<data_dir>/tls/` "
     "and prints its SHA-256 fingerprint.",
     [](const toml::node& n, Config& c) -> Result<void> { return apply_path(n, c.tls_cert); }},
    {"tls_key", "string", "(none)",
     "PEM file with the private key of `tls_cert` (unencrypted; keep it mode 0600).",
     [](const toml::node& n, Config& c) -> Result<void> { return apply_path(n, c.tls_key); }},
    {"redirect_listen", "string", "(off)",
     "HOST:PORT of a plain-HTTP listener that answers every request with a redirect to the "
     "HTTPS address and serves nothing else.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto s = n.value<std::string>();
         if (!s) {
             return expected("a string like \"127.0.0.1:8081\"");
         }
         auto a = parse_listen_address(*s);
         if (!a) {
             return a.error();
         }
         c.redirect_listen = *a;
         return {};
     }},
    {"ice_networks", "array of strings", home_networks_text(),
     "Networks (CIDR) whose hub addresses a browser is told to reach for WebRTC live view; "
     "browser candidates outside them are ignored. Other addresses of the hub are never "
     "revealed; where WebRTC cannot connect, the app falls back to live view over HTTPS.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto* array = n.as_array();
         if (array == nullptr || array->empty() || array->size() > 32) {
             return expected("an array of 1 to 32 CIDR strings like \"192.168.0.0/16\"");
         }
         std::vector<IpNetwork> networks;
         for (const auto& item : *array) {
             const auto s = item.value<std::string>();
             if (!s) {
                 return expected("CIDR strings like \"192.168.0.0/16\"");
             }
             auto net = parse_ip_network(*s);
             if (!net) {
                 return net.error();
             }
             networks.push_back(*net);
         }
         c.ice_networks = std::move(networks);
         return {};
     }},
    {"onvif_discovery", "string", "\"239.255.255.250:3702\"",
     "HOST:PORT where \"find cameras\" sends its ONVIF WS-Discovery probe: the multicast "
     "group (the local network only: probes carry a TTL of 1), or one camera's address on "
     "another subnet.",
     [](const toml::node& n, Config& c) -> Result<void> {
         const auto s = n.value<std::string>();
         if (!s) {
             return expected("a string like \"239.255.255.250:3702\"");
         }
         auto a = parse_listen_address(*s);
         if (!a) {
             return a.error();
         }
         if (a->port == 0) {
             return expected("a port from 1 to 65535");
         }
         c.onvif_discovery = *a;
         return {};
     }},
    {"web_root", "string", "(web/dist of the source tree)",
     "Directory of the built household app (`index.html`, `assets/`, `icons/`), read once at "
     "start and served at `/`; without `index.html` the hub answers `/` with 503.",
     [](const toml::node& n, Config& c) -> Result<void> { return apply_path(n, c.web_root); }},
};

std::string where(std::string_view origin, const toml::source_region& src) {
    std::ostringstream out;
    out << origin << ":" << src.begin.line;
    return out.str();
}

}  // namespace

std::filesystem::path default_web_root() {
    return HEARTH_DEFAULT_WEB_ROOT;
}

Result<LogLevel> parse_log_level(std::string_view text) {
    if (text == "trace") return LogLevel::kTrace;
    if (text == "debug") return LogLevel::kDebug;
    if (text == "info") return LogLevel::kInfo;
    if (text == "warn") return LogLevel::kWarn;
    if (text == "error") return LogLevel::kError;
    return make_error(ErrorCode::kInvalidArgument,
                      "expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\"");
}

const char* to_string(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace: return "trace";
        case LogLevel::kDebug: return "debug";
        case LogLevel::kInfo: return "info";
        case LogLevel::kWarn: return "warn";
        case LogLevel::kError: return "error";
        case LogLevel::kInvalid: break;
    }
    return "invalid";
}

Result<Config> parse_config(std::string_view text, std::string_view origin) {
    if (text.size() > kMaxConfigBytes) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(origin) + ": file is larger than " +
                              std::to_string(kMaxConfigBytes) + " bytes");
    }
    toml::table table;
    try {
        table = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        return make_error(ErrorCode::kInvalidArgument,
                          where(origin, e.source()) + ": " + std::string(e.description()));
    }
    Config config;
    for (const auto& [key, node] : table) {
        const Setting* setting = nullptr;
        for (const auto& s : kSettings) {
            if (s.key == key.str()) {
                setting = &s;
            }
        }
        if (setting == nullptr) {
            std::string known;
            for (const auto& s : kSettings) {
                known += (known.empty() ? "" : ", ") + std::string(s.key);
            }
            return make_error(ErrorCode::kInvalidArgument,
                              where(origin, key.source()) + ": unknown key '" +
                                  std::string(key.str()) + "' (known keys: " + known + ")");
        }
        auto applied = setting->apply(node, config);
        if (!applied) {
            return make_error(ErrorCode::kInvalidArgument,
                              where(origin, node.source()) + ": key '" + std::string(key.str()) +
                                  "': " + applied.error().message);
        }
    }
    if (config.tls_cert.empty() != config.tls_key.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(origin) +
                              ": 'tls_cert' and 'tls_key' go together: set both or neither");
    }
    return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(ErrorCode::kNotFound, path.string() + ": cannot open config file");
    }
    std::string text(kMaxConfigBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return parse_config(text, path.string());
}

std::string config_reference() {
    std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& s : kSettings) {
        out += "| `" + std::string(s.key) + "` | " + std::string(s.type) + " | `" +
               std::string(s.default_text) + "` | " + std::string(s.meaning) + " |\n";
    }
    return out;
}

}  // namespace hearth::core
