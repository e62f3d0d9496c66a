// The household app (web/, built to web/dist): the static shell the browser loads at "/".
//
// At start the web root is read once into an allow-list (name -> bytes, type, ETag): only
// the files found then are ever served, so no request path reaches the file system and no
// traversal is possible by construction. Everything here is public: the shell holds no
// household data; the API behind it checks every call.
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <memory>

#include "api/routes.h"
#include "crypto/secret.h"

namespace hearth::api {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileBytes = 8ULL << 20;    // one file of the shell
constexpr std::uintmax_t kMaxTotalBytes = 64ULL << 20;  // the whole shell
constexpr std::size_t kMaxFiles = 512;

constexpr const char* kNoCache = "no-cache";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kIcons = "public, max-age=86400";

struct StaticFile {
    std::string bytes;
    std::string content_type;
    std::string etag;
    const char* cache_control = kNoCache;
};

// name ("index.html", "assets/index-abc.js") -> file. Built once, then only read.
using Shell = std::map<std::string, StaticFile, std::less<>>;

const char* content_type_of(const fs::path& p) {
    const auto ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".png") return "image/png";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".webmanifest") return "application/manifest+json";
    if (ext == ".json") return "application/json";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    return nullptr;  // not part of a shell: not served
}

bool plain_name(std::string_view name) {
    if (name.empty() || name.front() == '.' || name.size() > 128) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Reads one regular file into the shell under `key`; false (with a log line) when refused.
bool load(Shell& shell, std::uintmax_t& total, const fs::path& path, std::string key,
          const char* cache_control) {
    std::error_code ec;
    const auto status = fs::symlink_status(path, ec);
    if (ec || !fs::is_regular_file(status)) {
        return false;
    }
    const char* type = content_type_of(path);
    const auto size = fs::file_size(path, ec);
    if (type == nullptr || ec || !plain_name(path.filename().string())) {
        return false;
    }
    if (size > kMaxFileBytes || total + size > kMaxTotalBytes || shell.size() >= kMaxFiles) {
        spdlog::warn("web app: {} left out (over the size limits)", path.string());
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes(size, '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
        spdlog::warn("web app: cannot read {}", path.string());
        return false;
    }
    total += size;
    StaticFile f;
    f.etag = "\"" + crypto::sha256_hex(bytes).substr(0, 32) + "\"";
    f.bytes = std::move(bytes);
    f.content_type = type;
    f.cache_control = cache_control;
    shell.emplace(std::move(key), std::move(f));
    return true;
}

std::shared_ptr<const Shell> read_shell(const fs::path& root) {
    auto shell = std::make_shared<Shell>();
    std::uintmax_t total = 0;
    for (const char* name : {"index.html", "sw.js", "manifest.webmanifest"}) {
        load(*shell, total, root / name, name, kNoCache);
    }
    for (const auto& [dir, cache] : {std::pair{"assets", kImmutable}, std::pair{"icons", kIcons}}) {
        std::error_code ec;
        for (fs::directory_iterator it(root / dir, ec), end; !ec && it != end; it.increment(ec)) {
            const auto name = it->path().filename().string();
            load(*shell, total, it->path(), std::string(dir) + "/" + name, cache);
        }
    }
    return shell;
}

Response serve(const Shell& shell, std::string_view key, const Request& req) {
    const auto it = shell.find(key);
    if (it == shell.end()) {
        return Response::error(404, "not found", req);
    }
    const StaticFile& f = it->second;
    Response r;
    r.headers.emplace_back("Cache-Control", f.cache_control);
    r.headers.emplace_back("ETag", f.etag);
    if (req.header("if-none-match").value_or("") == f.etag) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    r.content_type = f.content_type;
    r.body = f.bytes;
    return r;
}

}  // namespace

void add_web_app(SecureRouter& router, const fs::path& web_root) {
    const Rule kPublic{Access::kPublic, {}, false};
    std::shared_ptr<const Shell> shell = read_shell(web_root);
    if (shell->count("index.html") == 0) {
        spdlog::warn("web app: no index.html in {}; the app is not built (run make)",
                     web_root.string());
    } else {
        spdlog::info("web app: {} files from {}", shell->size(), web_root.string());
    }

    router.add(Method::kGet, "/", kPublic, [shell](const Request& req, Caller&) {
        if (shell->count("index.html") == 0) {
            Response r;
            r.status = 503;
            r.content_type = "text/plain; charset=utf-8";
            r.body = "the app is not built: run make\n";
            r.headers.emplace_back("Cache-Control", "no-store");
            return r;
        }
        return serve(*shell, "index.html", req);
    });
    for (const char* name : {"sw.js", "manifest.webmanifest"}) {
        router.add(Method::kGet, std::string("/") + name, kPublic,
                   [shell, name](const Request& req, Caller&) { return serve(*shell, name, req); });
    }
    for (const char* dir : {"assets", "icons"}) {
        router.add(Method::kGet, std::string("/") + dir + "/{file}", kPublic,
                   [shell, dir](const Request& req, Caller&) {
                       return serve(*shell, std::string(dir) + "/" + req.params.at("file"), req);
                   });
    }
}

}  // namespace hearth::api
