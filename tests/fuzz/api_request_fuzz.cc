// The request-to-handler path: raw bytes through Beast's parser (with the server's limits),
// the same Request conversion the server uses, the access gate and the real account routes
// on a real SQLite file. The first byte picks who is calling (nobody, the owner or a guest),
// so authenticated handlers are reached too. Every answer must be a valid status and stored
// data must stay consistent (the owner can always still log in).
#include <spdlog/spdlog.h>

#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

// Internal to hearth_http, included here on purpose: it is the path under test.
#include "api/http_session.h"
#include "api/routes.h"

namespace {

using namespace hearth;
namespace http = boost::beast::http;

constexpr const char* kPass = "violet-kettle-orbit-9-sparrow";

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

template <class T>
T take(core::Result<T> r) {
    check(r.has_value());
    return std::move(*r);
}

crypto::SecretBytes secret(std::string_view text) {
    auto s = crypto::SecretBytes::copy_of(text);
    return std::move(*s);
}

struct World {
    std::filesystem::path dir;
    core::FakeClock clock{1'800'000'000LL * 1'000'000};
    std::unique_ptr<store::Index> index;
    std::unique_ptr<store::AuditLog> audit;
    std::unique_ptr<store::AccountStore> store;
    std::unique_ptr<auth::AccountService> accounts;
    api::Router router;
    std::unique_ptr<api::SecureRouter> secure;
    std::string owner_token, owner_csrf, guest_token, guest_csrf;
    // Known devices: inputs guess passphrases for these accounts, which slows unknown
    // devices down, as it should; the world's own clients are known devices.
    std::map<std::string, std::string> device_cookies;

    World() {
        char tmpl[] = "/tmp/hearth-fuzz-request-XXXXXX";
        check(::mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        const auto db = dir / "hearth.db";
        index = take(store::Index::open(db));
        audit = take(store::AuditLog::open(db));
        store = take(store::AccountStore::open(db));
        auth::AccountPolicy policy;
        policy.cost = {1, 64 * 1024};  // fuzzing speed; the real cost is tested elsewhere
        accounts = take(auth::AccountService::open(*store, *audit, index.get(), clock, policy));
        auto code = accounts->issue_setup_code();
        check(accounts->complete_setup(**code, "olivia", secret(kPass), {"local", ""}).has_value());
        api::HubContext hub;
        hub.index = index.get();
        hub.data_dir = dir;
        hub.clock = &clock;
        hub.audit = audit.get();
        hub.accounts = accounts.get();
        secure = std::make_unique<api::SecureRouter>(router, accounts.get());
        api::add_account_routes(*secure, hub);
        refresh("olivia", owner_token, owner_csrf);  // before any input: known devices
        refresh("gina", guest_token, guest_csrf);
    }
    ~World() { std::filesystem::remove_all(dir); }

    void refresh(const char* user, std::string& token, std::string& csrf);
};

// Logs in again when a previous input ended the session (logout, revoke, ...).
void World::refresh(const char* user, std::string& token, std::string& csrf) {
    if (!token.empty() && accounts->authenticate(token)) {
        return;
    }
    // An input may have removed the user (an owner can, once another owner exists).
    if (!store->find_user(user)) {
        auth::NewUser u;
        u.name = user;
        u.role = std::string(user) == "olivia" ? auth::Role::kOwner : auth::Role::kGuest;
        u.password = secret(kPass);
        check(accounts->add_user("fuzz", u, {"local", ""}).has_value());
    }
    auth::LoginRequest r;
    r.username = user;
    r.password = secret(kPass);
    r.origin = {"192.0.2.200", "fuzz"};
    r.device_cookie = device_cookies[user];
    auto out = accounts->login(std::move(r));
    check(out.status == auth::LoginOutcome::Status::kOk);  // never locked out of a known device
    device_cookies[user] = out.device_cookie;
    token = out.token;
    csrf = out.principal.csrf_token;
}

World* world = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);
    world = new World();
    std::atexit([] { delete world; });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::uint8_t who = data[0] % 3;
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(64 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data + 1, size - 1), ec);
    if (!ec && !parser.is_done()) {
        parser.put_eof(ec);
    }
    if (ec || !parser.is_done()) {
        return 0;  // the server answers these with 400/413/431 before any handler
    }
    auto breq = parser.release();
    if (who == 1) {
        world->refresh("olivia", world->owner_token, world->owner_csrf);
        breq.set(http::field::cookie, "__Host-hearth-session=" + world->owner_token);
        breq.set("X-CSRF-Token", world->owner_csrf);
    } else if (who == 2) {
        world->refresh("gina", world->guest_token, world->guest_csrf);
        breq.set(http::field::cookie, "__Host-hearth-session=" + world->guest_token);
        breq.set("X-CSRF-Token", world->guest_csrf);
    }
    api::Request req;
    req.request_id = "fuzz";
    req.remote_address = "192.0.2.1";
    if (auto refused = api::detail::to_request(breq, req)) {
        check(refused->status >= 400 && refused->status <= 599);
        return 0;
    }
    const api::Handler* handler = nullptr;
    if (world->router.route(req, &handler) != api::Router::Match::kFound) {
        return 0;
    }
    api::Response r = (*handler)(req);
    if (r.deferred) {
        r = r.deferred();
    }
    check(!r.deferred && r.status >= 200 && r.status <= 599);
    return 0;
}
