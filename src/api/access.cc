#include "api/access.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "api/http_parse.h"
#include "crypto/secret.h"

namespace hearth::api {
namespace {

bool changes_state(Method m) {
    return m == Method::kPost || m == Method::kPut || m == Method::kPatch || m == Method::kDelete;
}

// Cross-site requests carry a foreign Origin (or Sec-Fetch-Site: cross-site/same-site);
// tools like curl send neither and are judged by the CSRF token alone.
bool same_origin(const Request& req) {
    if (const auto site = req.header("sec-fetch-site")) {
        if (*site != "same-origin" && *site != "none") {
            return false;
        }
    }
    const auto origin = req.header("origin");
    if (!origin) {
        return true;
    }
    const auto host = req.header("host");
    return host && *origin == "https://" + std::string(*host);
}

Response denied(int status, std::string_view message, const Request& req,
                std::string_view extra = {}) {
    return Response::error(status, message, req, extra);
}

}  // namespace

std::string describe(const Rule& rule) {
    std::string out;
    switch (rule.access) {
        case Access::kPublic:
            out = "public";
            break;
        case Access::kSession:
            out = "session";
            break;
        case Access::kOwner:
            out = "owner";
            break;
        case Access::kCamera:
            out = std::string("camera:") + (rule.right ? auth::to_string(*rule.right) : "any");
            break;
        case Access::kInvalid:
            out = "invalid";
            break;
    }
    return rule.reauth ? out + "+reauth" : out;
}

const std::string& Caller::name() const {
    static const std::string kAnonymous = "anonymous";
    return who ? who->name : kAnonymous;
}

core::CameraId camera_param(const Request& req) {
    const auto it = req.params.find("id");
    if (it == req.params.end()) {
        return {};
    }
    std::int64_t id = 0;
    const auto& t = it->second;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
    if (ec != std::errc() || end != t.data() + t.size() || id <= 0) {
        return {};
    }
    return core::CameraId(id);
}

std::string session_cookie(std::string_view token) {
    return std::string(kSessionCookie) + "=" + std::string(token) +
           "; Path=/; Secure; HttpOnly; SameSite=Strict" + (token.empty() ? "; Max-Age=0" : "");
}

std::string device_cookie(std::string_view value) {
    // A year: the device stays known between visits, which is what keeps the owner in.
    return std::string(kDeviceCookie) + "=" + std::string(value) +
           "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
           (value.empty() ? "0" : "31536000");
}

namespace {

bool permits(const Rule& rule, const auth::Principal& who, core::CameraId camera) {
    switch (rule.access) {
        case Access::kSession:
            return true;
        case Access::kOwner:
            return who.is_owner();
        case Access::kCamera:
            return camera.valid() && (rule.right ? who.can(*rule.right, camera) : who.sees(camera));
        default:
            return false;
    }
}

// A WebSocket handler whose access is checked again while it is open.
// What the gate says of an open socket's caller now.
struct Recheck {
    bool keep = true;                    // false: the session is gone or the right withdrawn
    std::optional<auth::Principal> who;  // absent when the store could not be asked this time
};

class GatedHandler final : public WebSocketHandler {
public:
    GatedHandler(std::shared_ptr<WebSocketHandler> inner, std::function<Recheck()> check)
        : inner_(std::move(inner)), check_(std::move(check)) {}
    void on_open(std::shared_ptr<WebSocketPeer> peer) override { inner_->on_open(std::move(peer)); }
    void on_text(std::string_view text) override { inner_->on_text(text); }
    void on_writable() override { inner_->on_writable(); }
    void on_close() override { inner_->on_close(); }
    bool still_allowed() override {
        const auto r = check_();
        if (!r.keep) {
            return false;
        }
        auto* watcher = dynamic_cast<PrincipalWatcher*>(inner_.get());
        if (r.who && watcher != nullptr && !watcher->still_allowed_as(*r.who)) {
            return false;
        }
        return inner_->still_allowed();
    }

private:
    std::shared_ptr<WebSocketHandler> inner_;
    std::function<Recheck()> check_;
};

}  // namespace

void SecureRouter::add(Method method, std::string pattern, Rule rule, SecureHandler handler) {
    table_.push_back({method, pattern, rule});
    auth::AccountService* accounts = accounts_;
    router_.add(
        method, std::move(pattern),
        [rule, accounts, denied_hook = denied_,
         handler = std::move(handler)](const Request& req) -> Response {
            Caller caller;
            caller.origin.address = req.remote_address;
            caller.origin.user_agent = std::string(req.header("user-agent").value_or(""));
            bool stale_cookie = false;
            const auto cookies = parse_cookies(req.header("cookie").value_or(""));
            if (const auto it = cookies.find(std::string(kSessionCookie));
                it != cookies.end() && accounts != nullptr) {
                auto who = accounts->authenticate(it->second);
                if (who) {
                    caller.who = std::move(*who);
                } else if (who.error().code == core::ErrorCode::kUnauthenticated) {
                    stale_cookie = true;
                } else {
                    spdlog::error("session lookup failed: {}", who.error().message);
                    return Response::error(503, "accounts are unavailable", req);
                }
            }
            // A WebSocket handshake is a GET, but what follows can change state and
            // carries the cookie: cross-site WebSocket hijacking is refused here too.
            if ((changes_state(req.method) || req.websocket_upgrade) && !same_origin(req)) {
                return denied(403, "cross-site request refused", req);
            }
            if (rule.access != Access::kPublic) {
                if (!caller.who) {
                    Response r = denied(
                        401, stale_cookie ? "your session has ended; log in again" : "log in first",
                        req);
                    if (stale_cookie) {
                        r.headers.emplace_back("Set-Cookie", session_cookie(""));
                    }
                    return r;
                }
                if (changes_state(req.method)) {
                    const auto token = req.header(kCsrfHeader).value_or("");
                    if (!crypto::constant_time_equal(token, caller.who->csrf_token)) {
                        return denied(403, "missing or wrong CSRF token (X-CSRF-Token)", req);
                    }
                }
                const auto camera = camera_param(req);
                if (rule.access == Access::kCamera && !camera.valid()) {
                    return denied(400, "camera id must be a positive integer", req);
                }
                const auto& who = *caller.who;
                const bool allowed = permits(rule, who, camera);
                if (!allowed) {
                    if (rule.access == Access::kCamera && *denied_hook) {
                        (*denied_hook)(req, caller, rule);
                    }
                    return denied(403, "your account may not do this", req);
                }
                if (rule.reauth && !accounts->recently_authenticated(who)) {
                    return denied(403, "confirm your passphrase first (POST /api/reauth)", req,
                                  "\"reauth_required\":true");
                }
            }
            Response r = handler(req, caller);
            if (r.upgrade && rule.access != Access::kPublic) {
                // The socket outlives this check: it is asked again while it is open.
                const auto token = cookies.at(std::string(kSessionCookie));
                const auto camera = camera_param(req);
                r.upgrade = std::make_shared<GatedHandler>(
                    std::move(r.upgrade), [accounts, token, rule, camera]() -> Recheck {
                        // Not a touch: an open socket alone keeps no session alive.
                        auto who = accounts->authenticate(token, false);
                        if (!who) {
                            // Only a session that is gone ends the socket; a store
                            // hiccup is asked again at the next check.
                            const bool gone = who.error().code == core::ErrorCode::kUnauthenticated;
                            if (!gone) {
                                spdlog::warn("session check failed: {}", who.error().message);
                            }
                            return {!gone, std::nullopt};
                        }
                        if (!permits(rule, *who, camera)) {
                            return {false, std::nullopt};
                        }
                        return {true, std::move(*who)};
                    });
            }
            if (stale_cookie && rule.access == Access::kPublic) {
                r.headers.emplace_back("Set-Cookie", session_cookie(""));
            }
            return r;
        });
}

}  // namespace hearth::api
