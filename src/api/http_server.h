// HttpServer: HTTP/1.1 over Boost.Beast, serving a Router. Knows nothing of cameras.
//
// Thread: construct, start(), stop(), set_default_headers() and destroy on the `control`
// thread; handlers and BodySource::next() run on the `net` threads (those running the
// io_context), one strand per connection, so one connection's calls never overlap but
// different connections' calls do. Destroy the server before the io_context.
//
// Every response carries X-Request-Id; errors are JSON {"error", "request_id"}; handler
// exceptions become a generic 500 and the details go to the log.
//
//     boost::asio::io_context io;
//     api::Router router;
//     router.add(api::Method::kGet, "/api/health", [](const api::Request&) {
//         return api::Response::json(200, R"({"ok":true})");
//     });
//     api::HttpServer server(io, router);
//     auto bound = server.start({"127.0.0.1", 0});   // bound->port is the real port
//     std::thread net([&io] { io.run(); });
//     ...
//     server.stop();
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "core/address.h"
#include "core/result.h"

namespace hearth::api {

struct ServerLimits {
    std::size_t max_header_bytes = 8 * 1024;      // request line + headers; over -> 431
    std::size_t max_body_bytes = 64 * 1024;       // request body; over -> 413
    std::chrono::seconds read_timeout{15};        // whole request, slow clients are cut
    std::chrono::seconds idle_timeout{60};        // keep-alive between requests
    std::chrono::seconds write_timeout{30};       // per write: a reader that takes nothing is cut
    std::size_t max_connections = 256;            // over -> 503 and close
    std::size_t max_connections_per_client = 32;  // by remote IP; over -> 503 and close
    // Requests per client IP: a token bucket refilled at this rate, holding at most `burst`;
    // an empty bucket -> 429 with Retry-After. Generous for a family's phones and the app's
    // parallel fetches; a script hammering the API is slowed. 0 turns it off.
    double requests_per_second_per_client = 50;
    double request_burst_per_client = 200;
};

// HTTPS for a listener. Both are read during start() only: the caller may keep the key in
// guarded memory and wipe it afterwards (OpenSSL keeps its own parsed copy).
struct TlsSettings {
    std::string_view cert_chain_pem;        // PEM, the server's certificate first
    std::span<const std::uint8_t> key_pem;  // PEM private key of that certificate
};

// The headers the hub puts on every response, errors included: HSTS, a strict CSP (no
// inline script or style, no framing; blob:/data: for MSE playback and snapshots),
// nosniff, no referrer, same-origin isolation, no camera or location access by the page.
std::vector<std::pair<std::string, std::string>> security_headers();

namespace detail {
struct ServerState;
}  // namespace detail

class HttpServer {
public:
    // Thread: construct/start/stop from the control thread; handlers run on the io_context threads.
    // `router` must outlive the server and must not change after start().
    HttpServer(boost::asio::io_context& io, const Router& router, ServerLimits limits = {});
    ~HttpServer();  // stop()s
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts accepting; port 0 -> the actual port is returned. "localhost" means
    // 127.0.0.1; other hosts must be IP literals (IPv4 or IPv6, no brackets). With `tls`
    // every connection is HTTPS (TLS 1.2/1.3, forward-secret AEAD ciphers only).
    // Errors: kInvalidArgument (bad host, unusable certificate or key), kUnavailable (cannot
    // bind or listen), kFailedPrecondition (already started or stopped).
    core::Result<core::ListenAddress> start(const core::ListenAddress& where,
                                            std::optional<TlsSettings> tls = std::nullopt);

    // Closes the acceptor and all connections; idempotent. When the io_context runs on other
    // threads this waits (up to a few seconds) until every connection is gone, so no handler
    // runs after it returns; called from a net thread it only starts the shutdown.
    void stop();

    // Extra headers added to every response, errors included (the hub's security headers).
    // A header the handler sets itself wins; X-Request-Id is always the server's. Thread: any.
    void set_default_headers(std::vector<std::pair<std::string, std::string>> headers);

    // Where Response::deferred work runs (e.g. posting to a thread pool); without one it runs
    // inline on the net thread. The pool must outlive stop(). Thread: any.
    void set_offload(std::function<void(std::function<void()>)> offload);

private:
    std::shared_ptr<detail::ServerState> state_;
};

}  // namespace hearth::api
