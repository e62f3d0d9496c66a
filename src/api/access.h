// The one place where the API decides who may call what.
//
// Every route is registered through SecureRouter::add with a Rule; the gate that
// wraps each handler finds the session from the cookie, checks Origin and the
// CSRF token on state-changing requests, then the rule: public, any logged-in
// user, owners only, or a right on the camera named by {id}; and, for
// dangerous actions, a recent re-authentication. Handlers receive the Caller
// and never check permissions themselves. table() lists every route with its
// rule, so a test can call each one as each role.
//
// Thread: add() on the control thread before the server starts; the gate runs on
// net threads.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "auth/accounts.h"
#include "auth/permissions.h"

namespace hearth::api {

inline constexpr std::string_view kSessionCookie = "__Host-hearth-session";
inline constexpr std::string_view kDeviceCookie = "__Host-hearth-device";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

enum class Access : std::uint8_t {
    kInvalid = 0,
    kPublic,   // anyone, logged in or not
    kSession,  // any logged-in user
    kOwner,    // owners only
    kCamera,   // a right on the camera in {id} (any right when `right` is unset)
};

struct Rule {
    Access access = Access::kInvalid;
    std::optional<auth::Right> right;  // for kCamera
    bool reauth = false;               // dangerous: needs a recent passphrase/TOTP proof
};

std::string describe(const Rule& rule);  // "owner+reauth", "camera:recordings", ...

// Who is calling: the principal when logged in, and where from.
struct Caller {
    std::optional<auth::Principal> who;
    auth::Origin origin;
    const std::string& name() const;  // user name, or "anonymous"
};

using SecureHandler = std::function<Response(const Request&, Caller&)>;

// A WebSocket handler that wants to hear who its caller is now, each time the gate checks an
// open socket again (every few seconds): rights may have changed since it opened.
class PrincipalWatcher {
public:
    virtual ~PrincipalWatcher() = default;
    // False closes the socket.
    virtual bool still_allowed_as(const auth::Principal& who) = 0;
};

struct RouteInfo {
    Method method = Method::kInvalid;
    std::string pattern;
    Rule rule;
};

class SecureRouter {
public:
    // `accounts` may be null only in tests of public routes; it must outlive the router.
    SecureRouter(Router& router, auth::AccountService* accounts)
        : router_(router), accounts_(accounts) {}

    void add(Method method, std::string pattern, Rule rule, SecureHandler handler);
    const std::vector<RouteInfo>& table() const { return table_; }

    // Called when a logged-in caller is refused a right on a camera (the hub audits these:
    // someone tried to steer, talk or look without leave). Set before the server starts.
    using DeniedHook = std::function<void(const Request&, const Caller&, const Rule&)>;
    void on_denied(DeniedHook hook) { *denied_ = std::move(hook); }

private:
    Router& router_;
    auth::AccountService* accounts_;
    std::vector<RouteInfo> table_;
    std::shared_ptr<DeniedHook> denied_ = std::make_shared<DeniedHook>();
};

// Set-Cookie values for the session and device cookies (Secure, HttpOnly, SameSite=Strict,
// Path=/, no Domain: the __Host- prefix demands it). An empty value clears the cookie.
std::string session_cookie(std::string_view token);
std::string device_cookie(std::string_view value);

// A camera id from the path parameter {id}; invalid when it is not a positive integer.
core::CameraId camera_param(const Request& req);

}  // namespace hearth::api
