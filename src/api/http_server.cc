#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/http_session.h"

namespace hearth::api {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using detail::HeaderList;
using detail::reserved_header;
using detail::valid_header;

namespace {

constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// stop() waits this long for handlers in flight; past it the server leaks nothing but logs.
constexpr std::chrono::seconds kStopWait{5};

}  // namespace

namespace detail {
namespace {

void do_accept(const std::shared_ptr<ServerState>& state);

void start_session(const std::shared_ptr<ServerState>& state, tcp::socket socket) {
    beast::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) {
        return;  // already gone
    }
    std::string ip = client_ip(remote.address());
    const ServerState::Ticket ticket = state->admit(ip);
    if (ticket.admission == Admission::kStopping) {
        return;
    }
    if (state->tls) {
        auto session = std::make_shared<SslSession>(state, std::move(socket), *state->tls,
                                                     std::move(ip), ticket);
        if (state->attach(ticket.id, session)) {
            session->run();
        }
        return;
    }
    auto session = std::make_shared<PlainSession>(state, std::move(socket), std::move(ip), ticket);
    if (state->attach(ticket.id, session)) {
        session->run();
    }
}

void on_accept(const std::shared_ptr<ServerState>& state, beast::error_code ec,
               tcp::socket socket) {
    if (ec == net::error::operation_aborted || !state->acceptor.is_open()) {
        return;
    }
    if (ec) {
        spdlog::warn("http accept failed: {}", ec.message());
        if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
            ec == net::error::no_memory) {
            // Out of sockets: retrying at once would spin; give connections time to end.
            state->accept_retry.expires_after(kAcceptRetryDelay);
            state->accept_retry.async_wait([state](beast::error_code wec) {
                if (!wec) {
                    do_accept(state);
                }
            });
            return;
        }
    } else {
        start_session(state, std::move(socket));
    }
    do_accept(state);
}

void do_accept(const std::shared_ptr<ServerState>& state) {
    if (!state->acceptor.is_open()) {
        return;
    }
    state->acceptor.async_accept(net::make_strand(state->io),
                                 [state](beast::error_code ec, tcp::socket socket) {
                                     on_accept(state, ec, std::move(socket));
                                 });
}

}  // namespace
}  // namespace detail

std::vector<std::pair<std::string, std::string>> security_headers() {
    return {
        {"Strict-Transport-Security", "max-age=31536000"},
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
         "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), geolocation=(), microphone=(self)"},
    };
}

HttpServer::HttpServer(boost::asio::io_context& io, const Router& router, ServerLimits limits)
    : state_(std::make_shared<detail::ServerState>(io, router, limits)) {}

HttpServer::~HttpServer() { stop(); }

core::Result<core::ListenAddress> HttpServer::start(const core::ListenAddress& where,
                                                    std::optional<TlsSettings> tls) {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->started || state_->stopping) {
            return core::make_error(core::ErrorCode::kFailedPrecondition,
                                    "HTTP server already started or stopped");
        }
    }
    if (tls) {
        // No session exists yet, so setting it here needs no lock.
        HEARTH_ASSIGN_OR_RETURN(state_->tls, detail::make_server_tls_context(*tls));
    }
    beast::error_code ec;
    net::ip::address address;
    if (where.host == "localhost") {
        address = net::ip::address_v4::loopback();
    } else {
        address = net::ip::make_address(where.host, ec);
        if (ec) {
            return core::make_error(
                core::ErrorCode::kInvalidArgument,
                "listen host '" + where.host + "' is not an IP address (or localhost)");
        }
    }
    const tcp::endpoint endpoint(address, where.port);
    auto& acceptor = state_->acceptor;
    const auto fail = [&](std::string_view step) {
        beast::error_code ignored;
        acceptor.close(ignored);
        return core::make_error(core::ErrorCode::kUnavailable,
                                "cannot listen on " + where.to_string() + ": " + std::string(step) +
                                    ": " + ec.message());
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec) {
        return fail("open");
    }
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) {
        return fail("SO_REUSEADDR");
    }
    acceptor.bind(endpoint, ec);
    if (ec) {
        return fail("bind");
    }
    acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        return fail("listen");
    }
    const auto local = acceptor.local_endpoint(ec);
    if (ec) {
        return fail("local address");
    }
    {
        std::lock_guard lock(state_->mutex);
        state_->started = true;
    }
    net::post(acceptor.get_executor(), [state = state_] { detail::do_accept(state); });
    core::ListenAddress bound{where.host, local.port()};
    spdlog::info("{} listening on {}", state_->tls ? "https" : "http", bound.to_string());
    return bound;
}

void HttpServer::stop() {
    std::vector<std::shared_ptr<detail::Connection>> open;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping) {
            return;
        }
        state_->stopping = true;
        state_->stopping_flag.store(true);
        if (!state_->started) {
            return;
        }
        for (const auto& [id, weak] : state_->connections) {
            if (auto connection = weak.lock()) {
                open.push_back(std::move(connection));
            }
        }
    }
    net::post(state_->acceptor.get_executor(), [state = state_] {
        beast::error_code ignored;
        state->acceptor.close(ignored);
        state->accept_retry.cancel();
        std::lock_guard lock(state->mutex);
        state->acceptor_closed = true;
        state->drained.notify_all();
    });
    for (const auto& connection : open) {
        connection->request_close();
    }
    open.clear();  // our references must not keep connections alive while we wait

    // Waiting from a net thread would deadlock; with no thread running the context
    // there is nobody to finish the work.
    if (state_->io.stopped() || state_->io.get_executor().running_in_this_thread()) {
        return;
    }
    std::unique_lock lock(state_->mutex);
    const bool drained = state_->drained.wait_for(
        lock, kStopWait, [this] { return state_->acceptor_closed && state_->connections.empty(); });
    if (!drained) {
        spdlog::warn("http stop: {} connections still open after {}s", state_->connections.size(),
                     kStopWait.count());
    }
}

void HttpServer::set_default_headers(std::vector<std::pair<std::string, std::string>> headers) {
    HeaderList kept;
    for (auto& [name, value] : headers) {
        if (!valid_header(name, value) || reserved_header(name)) {
            spdlog::warn("http default header dropped: {}", valid_header(name, "") ? name : "?");
            continue;
        }
        kept.emplace_back(std::move(name), std::move(value));
    }
    auto shared = std::make_shared<const HeaderList>(std::move(kept));
    std::lock_guard lock(state_->mutex);
    state_->default_headers = std::move(shared);
}

void HttpServer::set_offload(std::function<void(std::function<void()>)> offload) {
    std::lock_guard lock(state_->mutex);
    state_->offload = std::move(offload);
}

}  // namespace hearth::api
