// Routes for setup, login, sessions, the second factor, users and the audit log.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>

#include "api/bodies.h"
#include "api/http_parse.h"
#include "api/routes.h"
#include "core/qr.h"
#include "crypto/recovery_words.h"
#include "core/time_text.h"

namespace hearth::api {
namespace {

using nlohmann::json;
using auth::AccountService;

// Maps an error from the accounts to an HTTP answer whose message the client may see.
Response from_error(const core::Error& e, const Request& req) {
    using core::ErrorCode;
    switch (e.code) {
        case ErrorCode::kInvalidArgument: return Response::error(400, e.message, req);
        // Credentials were given but are not good enough: 403 (RFC 9110 §15.5.4). 401 would
        // promise an HTTP authentication scheme (WWW-Authenticate) that does not exist here.
        case ErrorCode::kUnauthenticated: return Response::error(403, e.message, req);
        case ErrorCode::kPermissionDenied: return Response::error(403, e.message, req);
        case ErrorCode::kNotFound: return Response::error(404, e.message, req);
        case ErrorCode::kAlreadyExists:
        case ErrorCode::kFailedPrecondition: return Response::error(409, e.message, req);
        case ErrorCode::kResourceExhausted: {
            Response r = Response::error(429, e.message, req);
            r.headers.emplace_back("Retry-After", "60");
            return r;
        }
        default: break;
    }
    spdlog::error("accounts error request_id={}: {}", req.request_id, e.describe());
    return Response::error(500, "internal error", req);
}

bool is_json(const Request& req) {
    const auto ct = req.header("content-type").value_or("");
    return ct.substr(0, 16) == "application/json";
}

Response need_json(const Request& req) {
    return Response::error(415, "send the body as application/json", req);
}

Response no_content() {
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
}

json rights_json(const store::CameraRights& rights) {
    json out = json::object();
    for (const auto& [camera, bits] : rights) {
        out[camera == 0 ? "all" : std::to_string(camera)] = auth::right_names(bits);
    }
    return out;
}

core::Result<store::CameraRights> rights_from(const RightsByCamera& body) {
    store::CameraRights out;
    for (const auto& [camera, names] : body) {
        HEARTH_ASSIGN_OR_RETURN(out[camera], auth::parse_rights(names));
    }
    return out;
}

json session_json(const auth::Principal& who, const AccountService& accounts) {
    return {{"user", who.name},
            {"role", auth::to_string(who.role)},
            {"csrf_token", who.csrf_token},
            {"totp_enabled", who.totp_enabled},
            {"reauth_until", core::format_time(who.reauth_us + accounts.policy().reauth_window_us)},
            {"rights", who.is_owner() ? json{{"all", auth::right_names(auth::kAllRights)}}
                                      : rights_json(who.rights)}};
}

// The answer to a successful login or setup: the session (and device) cookies and who.
Response logged_in(const auth::Principal& who, const std::string& token,
                   const std::string& device, const AccountService& accounts, int status) {
    Response r = Response::json(status, session_json(who, accounts).dump());
    r.headers.emplace_back("Set-Cookie", session_cookie(token));
    if (!device.empty()) {
        r.headers.emplace_back("Set-Cookie", device_cookie(device));
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

// `body` (a JSON object) with "recovery_key": {"words", "qr_svg"} added, shown once.
std::string with_recovery_key(const std::string& body, const crypto::SecretBytes& key) {
    auto words = crypto::recovery_words_from_key(key);
    if (!words) {
        spdlog::error("recovery key not shown: {}", words.error().message);
        return body;
    }
    auto svg = core::qr_svg(*words);
    json j = json::parse(body);
    j["recovery_key"] = {{"words", *words}, {"qr_svg", svg ? *svg : std::string()}};
    crypto::wipe(*words);
    if (svg) {
        crypto::wipe(*svg);
    }
    return j.dump();
}

core::UserId user_param(const Request& req) {
    const auto& t = req.params.at("uid");
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
    return ec == std::errc() && end == t.data() + t.size() && id > 0 ? core::UserId(id)
                                                                     : core::UserId();
}

}  // namespace

void add_account_routes(SecureRouter& router, const HubContext& hub) {
    const Rule kPublic{Access::kPublic, {}, false};
    const Rule kSession{Access::kSession, {}, false};
    const Rule kSessionReauth{Access::kSession, {}, true};
    const Rule kOwner{Access::kOwner, {}, false};
    const Rule kOwnerReauth{Access::kOwner, {}, true};
    AccountService* accounts = hub.accounts;

    // ---- first run ----
    router.add(Method::kGet, "/api/setup", kPublic, [hub, accounts](const Request& req, Caller&) {
        auto needed = accounts->needs_setup();
        if (!needed) {
            return from_error(needed.error(), req);
        }
        return Response::json(
            200, json{{"needed", *needed}, {"fingerprint", hub.tls_fingerprint}}.dump());
    });

    router.add(Method::kPost, "/api/setup", kPublic, [accounts](const Request& req, Caller& c) {
        if (!is_json(req)) {
            return need_json(req);
        }
        auto body = parse_setup_body(req.body);
        if (!body) {
            return from_error(body.error(), req);
        }
        auto shared = std::make_shared<SetupBody>(std::move(*body));
        return Response::later([accounts, shared, origin = c.origin, stub = stub_of(req)] {
            crypto::SecretBytes recovery;
            auto who = accounts->complete_setup(shared->code, shared->username, shared->password,
                                                origin, &recovery);
            if (!who) {
                return from_error(who.error(), stub);
            }
            auth::Principal filled;
            auto token = accounts->start_session(*who, origin, &filled);
            if (!token) {
                return from_error(token.error(), stub);
            }
            // The device the owner set up from is a known device from the start.
            auto r = logged_in(filled, *token, accounts->device_cookie_for(filled.name), *accounts,
                               201);
            if (!recovery.empty()) {
                r.body = with_recovery_key(r.body, recovery);
            }
            return r;
        });
    });

    // ---- login and sessions ----
    router.add(Method::kPost, "/api/login", kPublic, [accounts](const Request& req, Caller& c) {
        const auto ct = req.header("content-type").value_or("");
        const bool form = ct.substr(0, 33) == "application/x-www-form-urlencoded";
        if (!form && !is_json(req)) {
            return need_json(req);
        }
        auto body = parse_login_body(req.body, form);
        if (!body) {
            return from_error(body.error(), req);
        }
        const auto cookies = parse_cookies(req.header("cookie").value_or(""));
        auto login = std::make_shared<auth::LoginRequest>();
        login->username = std::move(body->username);
        login->password = std::move(body->password);
        login->second_factor = std::move(body->code);
        login->origin = c.origin;
        if (const auto it = cookies.find(std::string(kDeviceCookie)); it != cookies.end()) {
            login->device_cookie = it->second;
        }
        // Whatever session the browser held before is ended, never reused (no fixation).
        std::optional<auth::Principal> previous = c.who;
        return Response::later([accounts, login, previous, stub = stub_of(req)] {
            using Status = auth::LoginOutcome::Status;
            const auth::Origin origin = login->origin;
            auto out = accounts->login(std::move(*login));
            switch (out.status) {
                case Status::kOk: {
                    if (previous) {
                        (void)accounts->logout(*previous, origin);
                    }
                    return logged_in(out.principal, out.token, out.device_cookie, *accounts, 200);
                }
                case Status::kThrottled: {
                    const auto seconds = out.retry_after_us / 1'000'000 + 1;
                    Response r = Response::error(
                        429, "too many failed logins; try again in " + std::to_string(seconds) +
                                 " s",
                        stub);
                    r.headers.emplace_back("Retry-After", std::to_string(seconds));
                    return r;
                }
                // 403, not 401: see from_error.
                case Status::kSecondFactorNeeded:
                    return Response::error(
                        403, "enter the six-digit code from your authenticator app or a recovery code",
                        stub, "\"second_factor\":true");
                case Status::kSecondFactorWrong:
                    return Response::error(403, "wrong two-factor code", stub,
                                           "\"second_factor\":true");
                case Status::kRejected:
                    return Response::error(403, "wrong user name or passphrase", stub);
                default: return Response::error(500, "internal error", stub);
            }
        });
    });

    router.add(Method::kPost, "/api/logout", kSession, [accounts](const Request& req, Caller& c) {
        if (auto r = accounts->logout(*c.who, c.origin); !r) {
            return from_error(r.error(), req);
        }
        Response r = no_content();
        r.headers.emplace_back("Set-Cookie", session_cookie(""));
        return r;
    });

    router.add(Method::kGet, "/api/session", kSession, [accounts](const Request&, Caller& c) {
        Response r = Response::json(200, session_json(*c.who, *accounts).dump());
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
    });

    router.add(Method::kGet, "/api/sessions", kSession, [accounts](const Request& req, Caller& c) {
        auto list = accounts->sessions(*c.who);
        if (!list) {
            return from_error(list.error(), req);
        }
        json out = json::array();
        for (const auto& s : *list) {
            out.push_back({{"id", s.record.id.value()},
                           {"created", core::format_time(s.record.created_us)},
                           {"last_seen", core::format_time(s.record.last_seen_us)},
                           {"source", s.record.source},
                           {"user_agent", s.record.user_agent},
                           {"current", s.current}});
        }
        return Response::json(200, json{{"sessions", out}}.dump());
    });

    router.add(Method::kDelete, "/api/sessions/{sid}", kSession,
               [accounts](const Request& req, Caller& c) {
                   const auto& t = req.params.at("sid");
                   std::int64_t id = 0;
                   const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
                   if (ec != std::errc() || end != t.data() + t.size() || id <= 0) {
                       return Response::error(400, "session id must be a positive integer", req);
                   }
                   if (auto r = accounts->revoke_session(*c.who, core::SessionId(id), c.origin);
                       !r) {
                       return from_error(r.error(), req);
                   }
                   return no_content();
               });

    router.add(Method::kPost, "/api/reauth", kSession, [accounts](const Request& req, Caller& c) {
        if (!is_json(req)) {
            return need_json(req);
        }
        auto body = parse_reauth_body(req.body);
        if (!body) {
            return from_error(body.error(), req);
        }
        auto shared = std::make_shared<ReauthBody>(std::move(*body));
        return Response::later([accounts, shared, who = *c.who, origin = c.origin,
                                stub = stub_of(req)]() mutable {
            if (auto r = accounts->reauthenticate(who, shared->password, shared->code, origin);
                !r) {
                return from_error(r.error(), stub);
            }
            return Response::json(200, session_json(who, *accounts).dump());
        });
    });

    router.add(Method::kPost, "/api/password", kSession, [accounts](const Request& req, Caller& c) {
        if (!is_json(req)) {
            return need_json(req);
        }
        auto body = parse_password_change_body(req.body);
        if (!body) {
            return from_error(body.error(), req);
        }
        auto shared = std::make_shared<PasswordChangeBody>(std::move(*body));
        return Response::later([accounts, shared, who = *c.who, origin = c.origin,
                                stub = stub_of(req)] {
            if (auto r = accounts->change_password(who, shared->old_password,
                                                   shared->new_password, origin);
                !r) {
                return from_error(r.error(), stub);
            }
            return no_content();
        });
    });

    // ---- the household key: its state, the recovery key ----
    router.add(Method::kGet, "/api/household", kSession, [hub](const Request&, Caller&) {
        const bool unlocked = hub.household != nullptr && hub.household->unlocked();
        return Response::json(200, json{{"encrypted", hub.household != nullptr},
                                        {"unlocked", unlocked},
                                        {"message", unlocked ? "" : auth::kLockedMessage}}
                                       .dump());
    });

    // A forgotten passphrase: the recovery key shown at setup sets a new one (owners only).
    router.add(Method::kPost, "/api/recover", kPublic, [accounts](const Request& req, Caller& c) {
        if (!is_json(req)) {
            return need_json(req);
        }
        auto body = parse_recover_body(req.body);
        if (!body) {
            return from_error(body.error(), req);
        }
        auto shared = std::make_shared<RecoverBody>(std::move(*body));
        return Response::later([accounts, shared, origin = c.origin, stub = stub_of(req)] {
            auto key = crypto::recovery_key_from_words(std::string_view(
                reinterpret_cast<const char*>(shared->recovery_key.data()),
                shared->recovery_key.size()));
            if (!key) {
                return from_error(key.error(), stub);  // names the mistyped word, to the typist
            }
            if (auto r = accounts->recover(shared->username, *key, shared->password, origin);
                !r) {
                return from_error(r.error(), stub);
            }
            return Response::json(200, json{{"recovered", shared->username}}.dump());
        });
    });

    router.add(Method::kPost, "/api/household/recovery-key", kOwnerReauth,
               [accounts](const Request& req, Caller& c) {
                   auto key = accounts->new_recovery_key(*c.who, c.origin);
                   if (!key) {
                       return from_error(key.error(), req);
                   }
                   Response r = Response::json(200, with_recovery_key("{}", *key));
                   r.headers.emplace_back("Cache-Control", "no-store");
                   return r;
               });

    // ---- second factor ----
    router.add(Method::kPost, "/api/totp", kSessionReauth,
               [accounts](const Request& req, Caller& c) {
                   auto e = accounts->begin_totp(*c.who);
                   if (!e) {
                       return from_error(e.error(), req);
                   }
                   auto svg = core::qr_svg(e->otpauth_uri);
                   Response r = Response::json(
                       200, json{{"secret", e->secret_base32},
                                 {"otpauth_uri", e->otpauth_uri},
                                 {"qr_svg", svg ? *svg : std::string()}}
                                .dump());
                   crypto::wipe(e->secret_base32);
                   crypto::wipe(e->otpauth_uri);
                   r.headers.emplace_back("Cache-Control", "no-store");
                   return r;
               });

    router.add(Method::kPost, "/api/totp/confirm", kSession,
               [accounts](const Request& req, Caller& c) {
                   if (!is_json(req)) {
                       return need_json(req);
                   }
                   auto body = parse_code_body(req.body);
                   if (!body) {
                       return from_error(body.error(), req);
                   }
                   auto codes = accounts->confirm_totp(*c.who, body->code, c.origin);
                   if (!codes) {
                       return from_error(codes.error(), req);
                   }
                   Response r = Response::json(200, json{{"recovery_codes", *codes}}.dump());
                   r.headers.emplace_back("Cache-Control", "no-store");
                   return r;
               });

    router.add(Method::kDelete, "/api/totp", kSessionReauth,
               [accounts](const Request& req, Caller& c) {
                   if (auto r = accounts->disable_totp(*c.who, c.origin); !r) {
                       return from_error(r.error(), req);
                   }
                   return no_content();
               });

    // ---- users ----
    router.add(Method::kGet, "/api/users", kOwner, [accounts, hub](const Request& req, Caller&) {
        auto users = accounts->users();
        if (!users) {
            return from_error(users.error(), req);
        }
        json out = json::array();
        for (const auto& u : *users) {
            json j = {{"id", u.id.value()},
                      {"name", u.name},
                      {"role", u.role},
                      {"totp_enabled", u.totp_enabled},
                      {"created", core::format_time(u.created_us)},
                      {"password_changed", core::format_time(u.password_changed_us)}};
            if (u.role != "owner") {
                auto rights = accounts->rights_of(u.id);
                j["rights"] = rights ? rights_json(*rights) : json::object();
            }
            out.push_back(std::move(j));
        }
        return Response::json(200, json{{"users", out}}.dump());
    });

    router.add(Method::kPost, "/api/users", kOwnerReauth,
               [accounts](const Request& req, Caller& c) {
                   if (!is_json(req)) {
                       return need_json(req);
                   }
                   auto body = parse_new_user_body(req.body);
                   if (!body) {
                       return from_error(body.error(), req);
                   }
                   auto role = auth::parse_role(body->role);
                   if (!role) {
                       return from_error(role.error(), req);
                   }
                   auto rights = rights_from(body->rights);
                   if (!rights) {
                       return from_error(rights.error(), req);
                   }
                   auto user = std::make_shared<auth::NewUser>();
                   user->name = std::move(body->username);
                   user->role = *role;
                   user->password = std::move(body->password);
                   user->rights = std::move(*rights);
                   return Response::later([accounts, user, actor = c.name(), origin = c.origin,
                                           stub = stub_of(req)] {
                       auto id = accounts->add_user(actor, *user, origin);
                       if (!id) {
                           return from_error(id.error(), stub);
                       }
                       return Response::json(201, json{{"id", id->value()}}.dump());
                   });
               });

    router.add(Method::kPatch, "/api/users/{uid}", kOwnerReauth,
               [accounts](const Request& req, Caller& c) {
                   const auto id = user_param(req);
                   if (!id.valid()) {
                       return Response::error(400, "user id must be a positive integer", req);
                   }
                   if (!is_json(req)) {
                       return need_json(req);
                   }
                   auto body = parse_user_patch_body(req.body);
                   if (!body) {
                       return from_error(body.error(), req);
                   }
                   std::optional<auth::Role> role;
                   if (body->role) {
                       auto parsed = auth::parse_role(*body->role);
                       if (!parsed) {
                           return from_error(parsed.error(), req);
                       }
                       role = *parsed;
                   }
                   std::optional<store::CameraRights> rights;
                   if (body->rights) {
                       auto parsed = rights_from(*body->rights);
                       if (!parsed) {
                           return from_error(parsed.error(), req);
                       }
                       rights = std::move(*parsed);
                   }
                   // One change, checked as a whole: nothing is applied when any part is wrong.
                   if (auto r = accounts->update_user(c.name(), id, role, rights, c.origin); !r) {
                       return from_error(r.error(), req);
                   }
                   return no_content();
               });

    router.add(Method::kDelete, "/api/users/{uid}", kOwnerReauth,
               [accounts](const Request& req, Caller& c) {
                   const auto id = user_param(req);
                   if (!id.valid()) {
                       return Response::error(400, "user id must be a positive integer", req);
                   }
                   if (auto r = accounts->remove_user(c.name(), id, c.origin); !r) {
                       return from_error(r.error(), req);
                   }
                   return no_content();
               });

    // Logs someone out everywhere, e.g. a lost phone: their open views close too.
    router.add(Method::kDelete, "/api/users/{uid}/sessions", kOwnerReauth,
               [accounts](const Request& req, Caller& c) {
                   const auto id = user_param(req);
                   if (!id.valid()) {
                       return Response::error(400, "user id must be a positive integer", req);
                   }
                   auto ended = accounts->end_sessions_of(c.name(), id, c.origin);
                   if (!ended) {
                       return from_error(ended.error(), req);
                   }
                   return Response::json(200, json{{"ended", *ended}}.dump());
               });

    // ---- audit log ----
    router.add(Method::kGet, "/api/audit", kOwner, [hub](const Request& req, Caller&) {
        store::AuditQuery q;
        if (auto it = req.query.find("actor"); it != req.query.end()) {
            q.actor = it->second.substr(0, store::kMaxAuditFieldBytes);
        }
        if (auto it = req.query.find("action"); it != req.query.end()) {
            q.action = it->second.substr(0, store::kMaxAuditFieldBytes);
        }
        for (const auto& [name, field] : {std::pair{"from", &q.from_us}, std::pair{"to", &q.to_us}}) {
            if (auto it = req.query.find(name); it != req.query.end()) {
                auto t = core::parse_time(it->second);
                if (!t) {
                    return Response::error(400, std::string(name) + ": " + t.error().message, req);
                }
                *field = *t;
            }
        }
        if (auto it = req.query.find("limit"); it != req.query.end()) {
            const auto& t = it->second;
            const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), q.limit);
            if (ec != std::errc() || end != t.data() + t.size() || q.limit < 1 ||
                q.limit > 10000) {
                return Response::error(400, "limit must be 1..10000", req);
            }
        }
        auto entries = hub.audit->query(q);
        if (!entries) {
            return from_error(entries.error(), req);
        }
        json out = json::array();
        for (const auto& e : *entries) {
            out.push_back({{"id", e.id},
                           {"at", core::format_time(e.at_us)},
                           {"actor", e.actor},
                           {"action", e.action},
                           {"target", e.target},
                           {"source", e.source},
                           {"detail", e.detail},
                           {"hash", e.hash}});
        }
        return Response::json(200, json{{"entries", out}}.dump());
    });
}

}  // namespace hearth::api
