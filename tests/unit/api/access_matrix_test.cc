// Calls every route as every role and anonymously, and checks the outcome against the
// table below, written independently of the route definitions. A route added to the
// API without a row here fails RouteTableIsComplete.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "../support/account_world.h"
#include "api/access.h"
#include "api/http_parse.h"
#include "api/routes.h"
#include "crypto/totp.h"
#include "ptz/sim_driver.h"

namespace hearth::api {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1'800'000'000LL * 1'000'000;
const char* const kPass = "violet-kettle-orbit-9-sparrow";
using hearth::testing::secret;

enum class Who { kAnonymous, kGuest, kMember, kOwner };
const char* name_of(Who w) {
    switch (w) {
        case Who::kAnonymous:
            return "anonymous";
        case Who::kGuest:
            return "guest";
        case Who::kMember:
            return "member";
        case Who::kOwner:
            return "owner";
    }
    return "?";
}

// What the gate lets through, per caller: true = reaches the handler.
struct Expect {
    const char* method;
    const char* pattern;
    const char* target;  // a concrete request for it (camera 1: guest has live, member more)
    bool anonymous, guest, member, owner;
};

// Camera 1: guest may watch live; member may watch live and recordings and steer.
// Camera 2: guest and member have no rights at all.
const Expect kTable[] = {
    {"GET", "/healthz", "/healthz", true, true, true, true},
    {"GET", "/metrics", "/metrics", false, false, false, true},
    {"GET", "/api/cameras", "/api/cameras", false, true, true, true},
    {"GET", "/api/cameras/{id}", "/api/cameras/1", false, true, true, true},
    {"GET", "/api/cameras/{id}", "/api/cameras/2", false, false, false, true},
    {"PATCH", "/api/cameras/{id}", "/api/cameras/1", false, false, false, true},
    {"GET", "/api/cameras/{id}/recordings", "/api/cameras/1/recordings", false, false, true, true},
    {"GET", "/api/cameras/{id}/recordings", "/api/cameras/2/recordings", false, false, false, true},
    {"GET", "/api/cameras/{id}/stream", "/api/cameras/1/stream", false, false, true, true},
    {"GET", "/api/cameras/{id}/download", "/api/cameras/1/download", false, false, true, true},
    {"GET", "/api/cameras/{id}/download", "/api/cameras/2/download", false, false, false, true},
    {"GET", "/api/cameras/{id}/live", "/api/cameras/1/live", false, true, true, true},
    {"GET", "/api/cameras/{id}/live", "/api/cameras/2/live", false, false, false, true},
    {"GET", "/api/cameras/{id}/webrtc", "/api/cameras/1/webrtc", false, true, true, true},
    {"GET", "/api/cameras/{id}/webrtc", "/api/cameras/2/webrtc", false, false, false, true},
    {"GET", "/api/cameras/{id}/ptz", "/api/cameras/1/ptz", false, true, true, true},
    {"GET", "/api/cameras/{id}/ptz", "/api/cameras/2/ptz", false, false, false, true},
    {"POST", "/api/cameras/{id}/ptz", "/api/cameras/1/ptz", false, false, true, true},
    {"POST", "/api/cameras/{id}/ptz", "/api/cameras/2/ptz", false, false, false, true},
    {"GET", "/api/cameras/discover", "/api/cameras/discover", false, false, false, true},
    {"POST", "/api/cameras", "/api/cameras", false, false, false, true},
    {"GET", "/api/presence", "/api/presence", false, true, true, true},
    {"GET", "/api/updates", "/api/updates", false, true, true, true},
    {"DELETE", "/api/cameras/{id}/viewers/{pid}", "/api/cameras/1/viewers/999", false, false, false,
     true},
    {"GET", "/api/events", "/api/events", false, true, true, true},
    {"GET", "/api/events/{eid}/snapshot", "/api/events/999/snapshot", false, true, true, true},
    {"GET", "/api/cameras/{id}/detection", "/api/cameras/1/detection", false, true, true, true},
    {"GET", "/api/cameras/{id}/detection", "/api/cameras/2/detection", false, false, false, true},
    {"PUT", "/api/cameras/{id}/detection", "/api/cameras/1/detection", false, false, false, true},
    {"PUT", "/api/cameras/{id}/detection", "/api/cameras/2/detection", false, false, false, true},
    {"GET", "/api/setup", "/api/setup", true, true, true, true},
    {"GET", "/setup", "/setup", true, true, true, true},
    {"GET", "/setup.js", "/setup.js", true, true, true, true},
    {"GET", "/setup.css", "/setup.css", true, true, true, true},
    {"GET", "/", "/", true, true, true, true},
    {"GET", "/sw.js", "/sw.js", true, true, true, true},
    {"GET", "/manifest.webmanifest", "/manifest.webmanifest", true, true, true, true},
    {"GET", "/assets/{file}", "/assets/index-abc.js", true, true, true, true},
    {"GET", "/icons/{file}", "/icons/icon-192.png", true, true, true, true},
    {"POST", "/api/setup", "/api/setup", true, true, true, true},
    {"POST", "/api/login", "/api/login", true, true, true, true},
    {"POST", "/api/logout", "/api/logout", false, true, true, true},
    {"GET", "/api/session", "/api/session", false, true, true, true},
    {"GET", "/api/sessions", "/api/sessions", false, true, true, true},
    {"DELETE", "/api/sessions/{sid}", "/api/sessions/999", false, true, true, true},
    {"POST", "/api/reauth", "/api/reauth", false, true, true, true},
    {"POST", "/api/password", "/api/password", false, true, true, true},
    {"POST", "/api/totp", "/api/totp", false, true, true, true},
    {"POST", "/api/totp/confirm", "/api/totp/confirm", false, true, true, true},
    {"DELETE", "/api/totp", "/api/totp", false, true, true, true},
    {"GET", "/api/users", "/api/users", false, false, false, true},
    {"POST", "/api/users", "/api/users", false, false, false, true},
    {"PATCH", "/api/users/{uid}", "/api/users/999", false, false, false, true},
    {"DELETE", "/api/users/{uid}", "/api/users/999", false, false, false, true},
    {"DELETE", "/api/users/{uid}/sessions", "/api/users/999/sessions", false, false, false, true},
    {"GET", "/api/audit", "/api/audit", false, false, false, true},
    {"GET", "/api/household", "/api/household", false, true, true, true},
    {"POST", "/api/recordings/delete", "/api/recordings/delete", false, false, false, true},
    {"POST", "/api/cameras/{id}/shares", "/api/cameras/1/shares", false, false, false, true},
    {"POST", "/api/cameras/{id}/shares", "/api/cameras/2/shares", false, false, false, true},
    {"GET", "/api/shares", "/api/shares", false, true, true, true},
    {"DELETE", "/api/shares/{sid}", "/api/shares/999", false, true, true, true},
    {"POST", "/api/shared/open", "/api/shared/open", true, true, true, true},
    {"GET", "/api/shared/clip", "/api/shared/clip", true, true, true, true},
    {"GET", "/api/shared/live", "/api/shared/live", true, true, true, true},
    {"POST", "/api/recover", "/api/recover", true, true, true, true},
    {"POST", "/api/household/recovery-key", "/api/household/recovery-key", false, false, false,
     true},
};

Method method_of(std::string_view m) {
    if (m == "GET") return Method::kGet;
    if (m == "POST") return Method::kPost;
    if (m == "PUT") return Method::kPut;
    if (m == "PATCH") return Method::kPatch;
    if (m == "DELETE") return Method::kDelete;
    return Method::kInvalid;
}

class AccessTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : {"porch", "garden"}) {
            store::Camera c;
            c.name = name;
            c.kind = store::CameraKind::kSim;
            ASSERT_TRUE(index_->add_camera(c));
        }
        auto code = accounts_->issue_setup_code();
        ASSERT_TRUE(accounts_->complete_setup(**code, "olivia", secret(kPass), {"local", ""}));
        add_user("gina", auth::Role::kGuest, {{1, auth::bit(auth::Right::kLive)}});
        add_user("mark", auth::Role::kMember,
                 {{1, auth::bit(auth::Right::kLive) | auth::bit(auth::Right::kRecordings) |
                          auth::bit(auth::Right::kPtz)}});

        HubContext hub;
        hub.index = index_.get();
        hub.data_dir = dir_;
        hub.clock = &clock_;
        hub.audit = audit_.get();
        hub.camera_status = [] { return std::vector<CameraStatus>(); };
        hub.accounts = accounts_.get();
        hub.tls_fingerprint = "AA:BB";
        hub.presence = &presence_;
        secure_ = std::make_unique<SecureRouter>(router_, accounts_.get());
        hub.web_root = dir_ / "no-web-app";
        ptz_ = std::make_unique<ptz::Service>(index_.get(), &clock_, ptz::ServiceOptions{},
                                              ptz::HoldCallbacks{});
        for (int id : {1, 2}) {
            ptz_->attach(core::CameraId(id), ptz::make_sim_driver(cameras_ptz_[id - 1]));
        }
        hub.ptz = ptz_.get();
        auto share_store = store::ShareStore::open(dir_ / "hearth.db");
        ASSERT_TRUE(share_store);
        share_store_ = std::move(*share_store);
        shares_ = std::make_unique<share::ShareService>(*share_store_, *index_, *world_.household,
                                                        audit_.get(), clock_,
                                                        hearth::testing::kTestCost);
        hub.shares = shares_.get();
        hub.household = world_.household.get();
        // Onboarding probes only a closed port on loopback here, briefly.
        hub.onvif = std::make_shared<onvif::HttpTransport>();
        hub.discovery.target_address = "127.0.0.1";
        hub.discovery.target_port = 9;
        hub.discovery.timeout = std::chrono::milliseconds(50);
        add_hub_routes(*secure_, hub);
    }

    void TearDown() override { secure_.reset(); }

    void add_user(const char* name, auth::Role role, store::CameraRights rights) {
        auth::NewUser u;
        u.name = name;
        u.role = role;
        u.password = secret(kPass);
        u.rights = std::move(rights);
        ASSERT_TRUE(accounts_->add_user("olivia", u, {"local", ""}));
    }

    struct Session {
        std::string token;
        std::string csrf;
    };

    Session login(Who who) {
        if (who == Who::kAnonymous) {
            return {};
        }
        const char* user = who == Who::kOwner ? "olivia" : who == Who::kMember ? "mark" : "gina";
        auth::LoginRequest r;
        r.username = user;
        r.password = secret(kPass);
        r.origin = {"192.0.2.10", "test"};
        auto out = accounts_->login(std::move(r));
        EXPECT_EQ(out.status, auth::LoginOutcome::Status::kOk);
        return {out.token, out.principal.csrf_token};
    }

    Response call(std::string_view method, std::string_view target, const Session& s,
                  std::map<std::string, std::string> headers = {}, std::string body = "{}") {
        Request req;
        req.method = method_of(method);
        req.target = std::string(target);
        auto parsed = parse_target(target);
        EXPECT_TRUE(parsed);
        req.path = parsed->path;
        req.query = parsed->query;
        req.remote_address = "192.0.2.10";
        req.request_id = "test";
        req.headers = std::move(headers);
        req.headers.emplace("host", "hub.test:8443");
        req.headers.emplace("content-type", "application/json");
        if (!s.token.empty()) {
            req.headers.emplace("cookie", std::string(kSessionCookie) + "=" + s.token);
            if (req.method != Method::kGet) {
                req.headers.emplace("x-csrf-token", s.csrf);
            }
        }
        req.body = std::move(body);
        const Handler* handler = nullptr;
        EXPECT_EQ(router_.route(req, &handler), Router::Match::kFound) << target;
        if (handler == nullptr) {
            return Response::error(404, "no route", req);
        }
        Response r = (*handler)(req);
        if (r.deferred) {
            r = r.deferred();
        }
        return r;
    }

    // True when the gate let the request through to the handler.
    static bool passed_gate(const Response& r) {
        if (r.status != 401 && r.status != 403) {
            return true;
        }
        const bool gate = r.body.find("\"log in first\"") != std::string::npos ||
                          r.body.find("your account may not do this") != std::string::npos ||
                          r.body.find("reauth_required") != std::string::npos ||
                          r.body.find("CSRF") != std::string::npos ||
                          r.body.find("cross-site") != std::string::npos;
        return !gate;
    }

    hearth::testing::AccountWorld world_{kT0};
    std::filesystem::path& dir_ = world_.dir;
    core::FakeClock& clock_ = world_.clock;
    std::unique_ptr<store::Index>& index_ = world_.index;
    std::unique_ptr<store::AuditLog>& audit_ = world_.audit;
    std::unique_ptr<auth::AccountService>& accounts_ = world_.accounts;
    Presence presence_;
    Router router_;
    std::unique_ptr<SecureRouter> secure_;
    std::shared_ptr<media::VirtualPtz> cameras_ptz_[2] = {media::VirtualPtz::for_scene({}),
                                                          media::VirtualPtz::for_scene({})};
    std::unique_ptr<ptz::Service> ptz_;
    std::unique_ptr<store::ShareStore> share_store_;
    std::unique_ptr<share::ShareService> shares_;
};

TEST_F(AccessTest, RouteTableIsComplete) {
    std::set<std::pair<std::string, std::string>> expected, actual;
    for (const auto& e : kTable) {
        expected.emplace(e.method, e.pattern);
    }
    for (const auto& r : secure_->table()) {
        actual.emplace(std::string(to_string(r.method)), r.pattern);
        EXPECT_TRUE(expected.count({std::string(to_string(r.method)), r.pattern}))
            << to_string(r.method) << " " << r.pattern << " (" << describe(r.rule)
            << ") has no row in the access matrix test";
    }
    for (const auto& e : expected) {
        EXPECT_TRUE(actual.count(e)) << e.first << " " << e.second << " is not a route";
    }
}

TEST_F(AccessTest, EveryRouteAsEveryRole) {
    for (const auto& e : kTable) {
        for (const Who who : {Who::kAnonymous, Who::kGuest, Who::kMember, Who::kOwner}) {
            const bool want = who == Who::kAnonymous ? e.anonymous
                              : who == Who::kGuest   ? e.guest
                              : who == Who::kMember  ? e.member
                                                     : e.owner;
            const auto response = call(e.method, e.target, login(who));
            EXPECT_EQ(passed_gate(response), want)
                << e.method << " " << e.target << " as " << name_of(who) << ": " << response.status
                << " " << response.body;
            if (!want) {
                EXPECT_EQ(response.status, who == Who::kAnonymous ? 401 : 403)
                    << e.method << " " << e.target << " as " << name_of(who);
            }
        }
    }
}

TEST_F(AccessTest, SteeringWithoutThePtzRightIsRefusedAuditedAndMovesNothing) {
    auto mark = login(Who::kMember);
    const std::string move = R"({"action":"absolute","pan":1,"tilt":1,"zoom":1})";
    auto r = call("POST", "/api/cameras/2/ptz", mark, {}, move);
    EXPECT_EQ(r.status, 403);
    r = call("POST", "/api/cameras/1/ptz", login(Who::kGuest), {}, move);
    EXPECT_EQ(r.status, 403);
    const auto later = media::ptz_now_ms() + 60'000;
    EXPECT_EQ(cameras_ptz_[1]->position(later), (media::PtzVector{0, 0, 0}));
    EXPECT_EQ(cameras_ptz_[0]->position(later), (media::PtzVector{0, 0, 0}));
    store::AuditQuery q;
    q.action = "access.denied";
    auto denied = audit_->query(q);
    ASSERT_TRUE(denied);
    ASSERT_EQ(denied->size(), 2u);
    EXPECT_EQ((*denied)[1].actor, "mark");
    EXPECT_EQ((*denied)[1].target, "camera 2");
    EXPECT_EQ((*denied)[1].detail, "camera:ptz: POST /api/cameras/2/ptz");
    EXPECT_EQ((*denied)[0].actor, "gina");

    // With the right, the same move goes through and mark holds the camera.
    r = call("POST", "/api/cameras/1/ptz", mark, {}, move);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(R"("holder":{"since")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(R"("user":"mark","you":true)"), std::string::npos) << r.body;
    EXPECT_EQ(cameras_ptz_[0]->position(media::ptz_now_ms() + 60'000), (media::PtzVector{1, 1, 1}));
    // The owner sees who steers; a bad body is a clear 400.
    r = call("GET", "/api/cameras/1/ptz", login(Who::kOwner));
    EXPECT_NE(r.body.find(R"("user":"mark","you":false)"), std::string::npos) << r.body;
    r = call("POST", "/api/cameras/1/ptz", mark, {}, R"({"action":"absolute","pan":3})");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("'pan' must be a number from -1 to 1"), std::string::npos) << r.body;
}

TEST_F(AccessTest, StateChangesNeedTheCsrfTokenAndTheSameOrigin) {
    auto s = login(Who::kOwner);
    Session no_csrf{s.token, "wrong"};
    auto r = call("POST", "/api/reauth", no_csrf);
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("CSRF"), std::string::npos);
    r = call("POST", "/api/reauth", s, {{"origin", "https://evil.example"}});
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("cross-site"), std::string::npos);
    r = call("POST", "/api/login", {}, {{"sec-fetch-site", "cross-site"}},
             R"({"username":"olivia","password":"x"})");
    EXPECT_EQ(r.status, 403);  // login CSRF is refused too
    r = call("POST", "/api/reauth", s, {{"origin", "https://hub.test:8443"}},
             std::string(R"({"password":")") + kPass + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(AccessTest, DangerousActionsNeedARecentProof) {
    auto s = login(Who::kOwner);
    clock_.advance(6min);
    auto r = call("POST", "/api/users", s);
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("reauth_required"), std::string::npos);
    r = call("GET", "/api/cameras/1/download", s);
    EXPECT_EQ(r.status, 403);
    r = call("POST", "/api/reauth", s, {}, std::string(R"({"password":")") + kPass + "\"}");
    ASSERT_EQ(r.status, 200) << r.body;
    r = call("POST", "/api/users", s);
    EXPECT_EQ(r.status, 400) << r.body;  // through the gate; the empty body is refused
}

TEST_F(AccessTest, LoginReplacesAnySessionTheBrowserHeld) {
    auto before = login(Who::kOwner);
    auto r = call("POST", "/api/login", before, {},
                  std::string(R"({"username":"olivia","password":")") + kPass + "\"}");
    ASSERT_EQ(r.status, 200) << r.body;
    std::string cookie;
    for (const auto& [name, value] : r.headers) {
        if (name == "Set-Cookie" && value.rfind(std::string(kSessionCookie), 0) == 0) {
            cookie = value;
        }
    }
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("Secure"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    EXPECT_EQ(cookie.find(before.token), std::string::npos);
    EXPECT_FALSE(accounts_->authenticate(before.token));  // the old session is gone
    // A made-up cookie is never adopted as a session.
    Session planted{"planted-by-an-attacker-0000000000000000000000", "x"};
    r = call("GET", "/api/session", planted);
    EXPECT_EQ(r.status, 401);
}

TEST_F(AccessTest, LogoutEndsTheSessionAndClearsTheCookie) {
    auto s = login(Who::kMember);
    auto r = call("POST", "/api/logout", s);
    EXPECT_EQ(r.status, 204);
    bool cleared = false;
    for (const auto& [name, value] : r.headers) {
        cleared = cleared || (name == "Set-Cookie" && value.find("Max-Age=0") != std::string::npos);
    }
    EXPECT_TRUE(cleared);
    EXPECT_EQ(call("GET", "/api/session", s).status, 401);
}

TEST_F(AccessTest, AnIdleSessionTimesOut) {
    auto s = login(Who::kGuest);
    EXPECT_EQ(call("GET", "/api/session", s).status, 200);
    clock_.advance(std::chrono::microseconds(accounts_->policy().session_idle_us) + 1s);
    auto r = call("GET", "/api/session", s);
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body.find("log in again"), std::string::npos);
}

TEST_F(AccessTest, CamerasOneHasNoRightOnAreNotListed) {
    auto r = call("GET", "/api/cameras", login(Who::kGuest));
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("porch"), std::string::npos);
    EXPECT_EQ(r.body.find("garden"), std::string::npos);
    r = call("GET", "/api/cameras", login(Who::kOwner));
    EXPECT_NE(r.body.find("garden"), std::string::npos);
}

TEST_F(AccessTest, OwnersManageUsersThroughTheApi) {
    auto s = login(Who::kOwner);
    auto r = call("POST", "/api/users", s, {},
                  R"({"username":"nina","role":"guest","password":"amber-falcon-drifts-77-north",)"
                  R"("rights":{"2":["live"]}})");
    ASSERT_EQ(r.status, 201) << r.body;
    r = call("POST", "/api/users", s, {},
             R"({"username":"nora","role":"guest","password":"amber-falcon-drifts-77-north",)"
             R"("rights":{"2":["ptz"]}})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = call("POST", "/api/users", s, {},
             R"({"username":"nora","role":"member","password":"password123"})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = call("GET", "/api/users", s);
    EXPECT_NE(r.body.find("\"nina\""), std::string::npos);
    EXPECT_EQ(r.body.find("password"), r.body.find("password_changed"));  // no hashes
    r = call("GET", "/api/audit?action=user.add", s);
    EXPECT_NE(r.body.find("nina"), std::string::npos);
}

}  // namespace
}  // namespace hearth::api
