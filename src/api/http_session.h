// Internal to hearth_http: one HTTP/1.1 connection (HttpSession) and the state it shares
// with HttpServer. Include only from src/api/http_*.cc.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <openssl/crypto.h>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <type_traits>
#include <cstdint>
#include <ctime>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/http.h"
#include "api/http_parse.h"
#include "api/http_server.h"

namespace hearth::api::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t kFirstReadBytes = 4096;
// After the last response on a connection: how long and how much we read and discard so
// the client sees our answer rather than a reset caused by its unread bytes.
inline constexpr std::chrono::seconds kLingerTime{2};
inline constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Helpers (http_session.cc).
std::string new_request_id();            // 12 random hex characters
std::string http_date(std::time_t now);  // IMF-fixdate for the Date header
std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
// Header names are tokens; values may not break the header block (no CR, LF or NUL).
bool valid_header(std::string_view name, std::string_view value);
// Headers the server owns (framing, connection management, X-Request-Id, Date).
bool reserved_header(std::string_view name);
Method from_verb(http::verb verb);                       // kInvalid for verbs we do not serve
std::string client_ip(const net::ip::address& address);  // v4-mapped v6 shown as v4
bool is_http_error(const beast::error_code& ec);         // a parse error from Beast
// Fills `req` (request_id and remote_address already set) from a parsed request, moving
// its body; returns the answer instead when the method or target cannot be served. The
// request-to-handler fuzz target drives the same path.
std::optional<Response> to_request(http::request<http::string_body>& breq, Request& req);

// The server's TLS policy around `tls`'s certificate and key (http_tls.cc): TLS 1.2 and 1.3
// only, ECDHE with AEAD ciphers only, no compression, renegotiation or TLS 1.2 tickets.
// Error: kInvalidArgument when the PEM does not load or the key does not match.
core::Result<std::unique_ptr<ssl::context>> make_server_tls_context(const TlsSettings& tls);

// A connection that stop() can close. Implemented by every session type.
class Connection {
public:
    virtual ~Connection() = default;
    // Thread: any; the close itself runs on the connection's strand.
    virtual void request_close() = 0;
};

enum class Admission : std::uint8_t { kInvalid = 0, kAdmitted, kOverTotal, kOverClient, kStopping };

// Shared by the server object and its sessions, so sessions may outlive HttpServer (but not
// the io_context). The acceptor is used only on its strand once start() has returned.
struct ServerState {
    ServerState(net::io_context& io_context, const Router& r, ServerLimits l)
        : io(io_context),
          router(r),
          limits(l),
          acceptor(net::make_strand(io_context)),
          accept_retry(acceptor.get_executor()) {}

    net::io_context& io;
    const Router& router;
    const ServerLimits limits;
    tcp::acceptor acceptor;
    net::steady_timer accept_retry;
    std::atomic<bool> stopping_flag{false};  // mirrors `stopping` for lock-free reads
    // Set by start() before the first accept and never changed: null serves plain HTTP.
    std::unique_ptr<ssl::context> tls;

    std::mutex mutex;
    std::condition_variable drained;  // signalled when a connection or the acceptor goes
    // Guarded by mutex:
    bool started = false;
    bool stopping = false;
    bool acceptor_closed = false;
    std::shared_ptr<const HeaderList> default_headers = std::make_shared<const HeaderList>();
    std::function<void(std::function<void()>)> offload;  // runs Response::deferred work
    struct Bucket {
        double tokens = 0;
        std::chrono::steady_clock::time_point at;
    };
    static constexpr std::size_t kMaxRateBuckets = 10'000;
    std::unordered_map<std::string, Bucket> buckets;  // request rate per client IP
    std::chrono::steady_clock::time_point last_sweep;
    std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
    std::unordered_map<std::string, std::size_t> per_client;
    std::size_t admitted = 0;
    std::uint64_t next_id = 1;

    struct Ticket {
        Admission admission = Admission::kInvalid;
        std::uint64_t id = 0;
    };

    // Counts a new connection against the caps; over a cap it is still tracked (so stop()
    // can close it) but only gets a 503.
    Ticket admit(const std::string& ip) {
        std::lock_guard lock(mutex);
        if (stopping) {
            return {Admission::kStopping, 0};
        }
        Ticket t{Admission::kAdmitted, next_id++};
        auto& from_client = per_client[ip];
        if (admitted >= limits.max_connections) {
            t.admission = Admission::kOverTotal;
        } else if (from_client >= limits.max_connections_per_client) {
            t.admission = Admission::kOverClient;
        } else {
            ++admitted;
            ++from_client;
        }
        if (from_client == 0) {
            per_client.erase(ip);
        }
        connections.emplace(t.id, std::weak_ptr<Connection>());
        return t;
    }

    // False when stop() began meanwhile: the caller drops the connection.
    bool attach(std::uint64_t id, const std::shared_ptr<Connection>& connection) {
        std::lock_guard lock(mutex);
        if (stopping) {
            return false;
        }
        connections[id] = connection;
        return true;
    }

    void release(const Ticket& ticket, const std::string& ip) {
        std::lock_guard lock(mutex);
        connections.erase(ticket.id);
        if (ticket.admission == Admission::kAdmitted) {
            --admitted;
            const auto it = per_client.find(ip);
            if (it != per_client.end() && --it->second == 0) {
                per_client.erase(it);
            }
        }
        drained.notify_all();
    }

    // Takes one request token for `ip`; false when its bucket is empty (answer 429).
    bool take_request_token(const std::string& ip) {
        if (limits.requests_per_second_per_client <= 0) {
            return true;
        }
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex);
        // Sweeps at most once a second, so a flood from many addresses does not make every
        // request walk the whole table.
        if (buckets.size() > kMaxRateBuckets && now - last_sweep >= std::chrono::seconds(1)) {
            last_sweep = now;
            // Full buckets carry no state worth keeping: forget them first.
            for (auto it = buckets.begin(); it != buckets.end();) {
                const double seconds = std::chrono::duration<double>(now - it->second.at).count();
                if (it->second.tokens + seconds * limits.requests_per_second_per_client >=
                    limits.request_burst_per_client) {
                    it = buckets.erase(it);
                } else {
                    ++it;
                }
            }
        }
        if (buckets.size() > 4 * kMaxRateBuckets) {
            buckets.clear();  // memory stays bounded; the cost is forgetting who was limited
        }
        auto [it, fresh] = buckets.try_emplace(ip, Bucket{limits.request_burst_per_client, now});
        Bucket& b = it->second;
        if (!fresh) {
            const double seconds = std::chrono::duration<double>(now - b.at).count();
            b.tokens = std::min(limits.request_burst_per_client,
                                b.tokens + seconds * limits.requests_per_second_per_client);
            b.at = now;
        }
        if (b.tokens < 1) {
            return false;
        }
        b.tokens -= 1;
        return true;
    }

    std::shared_ptr<const HeaderList> headers() {
        std::lock_guard lock(mutex);
        return default_headers;
    }

    std::function<void(std::function<void()>)> offloader() {
        std::lock_guard lock(mutex);
        return offload;
    }
};

inline constexpr std::size_t kMaxWebSocketMessageBytes = 64 * 1024;
// Above this many unsent bytes a peer is too slow to keep: the session closes.
inline constexpr std::size_t kMaxWebSocketQueueBytes = 32u << 20;

// One WebSocket connection after the upgrade, over any stream (TCP or TLS). Reads text
// messages for the handler, writes what the handler sends, one write at a time, and
// finds dead peers with pings (idle 5 s, so a vanished client is gone within ~10 s).
// Thread: everything runs on the connection's strand; send_*/post/close from any thread.
template <class Stream>
class WebSocketSession final : public Connection,
                               public WebSocketPeer,
                               public std::enable_shared_from_this<WebSocketSession<Stream>> {
public:
    WebSocketSession(std::shared_ptr<ServerState> state, Stream&& stream, std::string ip,
                     ServerState::Ticket ticket, std::shared_ptr<WebSocketHandler> handler)
        : state_(std::move(state)),
          ws_(std::move(stream)),
          ip_(std::move(ip)),
          ticket_(ticket),
          handler_(std::move(handler)) {}

    ~WebSocketSession() override { state_->release(ticket_, ip_); }

    void run(http::request<http::string_body> req) {
        net::dispatch(ws_.get_executor(), [self = this->shared_from_this(),
                                           req = std::move(req)]() mutable {
            self->accept(std::move(req));
        });
    }

    void request_close() override { close(); }

    void send_text(std::string text) override {
        enqueue(std::vector<std::uint8_t>(text.begin(), text.end()), false);
    }
    void send_binary(std::vector<std::uint8_t> bytes) override {
        enqueue(std::move(bytes), true);  // moved, never copied: fragments are the hot path
    }
    void post(std::function<void()> work) override {
        net::post(ws_.get_executor(), [self = this->shared_from_this(), work = std::move(work)] {
            if (!self->finished_) {
                self->guarded(work);
            }
        });
    }
    std::size_t queued_bytes() const override { return queued_.load(); }
    void close() override {
        net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->start_close(); });
    }

private:
    void accept(http::request<http::string_body> req) {
        beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts rule now
        websocket::stream_base::timeout timeouts{};
        // Also bounds the closing handshake: a peer that never answers our close is dropped.
        timeouts.handshake_timeout = std::chrono::seconds(5);
        timeouts.idle_timeout = std::chrono::seconds(5);
        timeouts.keep_alive_pings = true;
        ws_.set_option(timeouts);
        ws_.read_message_max(kMaxWebSocketMessageBytes);
        ws_.set_option(websocket::stream_base::decorator(
            [headers = state_->headers()](websocket::response_type& res) {
                for (const auto& [name, value] : *headers) {
                    res.set(name, value);
                }
            }));
        ws_.async_accept(req, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) {
                spdlog::debug("websocket handshake failed remote={} reason={}", self->ip_,
                              ec.message());
                self->finished_ = true;
                self->handler_.reset();
                return;
            }
            self->handler_->on_open(self);
            self->read();
            self->schedule_recheck();
        });
    }

    // A handler that throws loses its connection, never the server: like run_handler does
    // for plain requests, outside input must not be able to end the process.
    template <class Work>
    void guarded(Work&& work) {
        try {
            work();
        } catch (const std::exception& e) {
            spdlog::error("websocket handler failed remote={}: {}", ip_, e.what());
            start_close();
        }
    }

    // Who may watch can change while a socket is open: ask the handler every few seconds.
    void schedule_recheck() {
        recheck_timer_.expires_after(std::chrono::seconds(5));
        recheck_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec || self->finished_ || self->closing_ || !self->handler_) {
                return;
            }
            bool allowed = false;
            self->guarded([&] { allowed = self->handler_->still_allowed(); });
            if (!allowed) {
                spdlog::info("websocket closed: access withdrawn remote={}", self->ip_);
                self->start_close();
                return;
            }
            self->schedule_recheck();
        });
    }

    void read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec,
                                                                 std::size_t) {
            if (ec) {
                self->finish();
                return;
            }
            if (self->ws_.got_text() && !self->finished_) {
                const auto data = self->buffer_.data();
                self->guarded([&] {
                    self->handler_->on_text(
                        std::string_view(static_cast<const char*>(data.data()), data.size()));
                });
            }
            self->buffer_.consume(self->buffer_.size());
            self->read();
        });
    }

    void enqueue(std::vector<std::uint8_t> payload, bool binary) {
        queued_ += payload.size();
        net::post(ws_.get_executor(), [self = this->shared_from_this(),
                                       payload = std::move(payload), binary]() mutable {
            if (self->finished_ || self->closing_) {
                self->queued_ -= payload.size();
                return;
            }
            if (self->queued_.load() > kMaxWebSocketQueueBytes) {
                spdlog::info("websocket peer too slow, closing remote={}", self->ip_);
                self->queued_ -= payload.size();
                self->start_close();
                return;
            }
            self->out_.emplace_back(std::move(payload), binary);
            if (!self->writing_) {
                self->write_next();
            }
        });
    }

    void write_next() {
        if (out_.empty() || finished_) {
            writing_ = false;
            if (!finished_ && handler_) {
                handler_->on_writable();
            }
            return;
        }
        writing_ = true;
        ws_.binary(out_.front().second);
        ws_.async_write(net::buffer(out_.front().first),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            self->queued_ -= self->out_.front().first.size();
                            self->out_.pop_front();
                            if (ec) {
                                self->finish();
                                return;
                            }
                            self->write_next();
                        });
    }

    void start_close() {
        if (closing_ || finished_) {
            return;
        }
        closing_ = true;
        ws_.async_close(websocket::close_code::normal,
                        [self = this->shared_from_this()](beast::error_code) {
                            // Done, or the peer never answered within the timeout: either
                            // way the connection is over.
                            self->finish();
                        });
    }

    // Once: the handler hears of the end and is let go (it may hold us through the peer).
    void finish() {
        if (finished_) {
            return;
        }
        finished_ = true;
        recheck_timer_.cancel();
        auto handler = std::move(handler_);
        if (handler) {
            handler->on_close();
        }
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }

    std::shared_ptr<ServerState> state_;
    websocket::stream<Stream> ws_;
    const std::string ip_;
    const ServerState::Ticket ticket_;
    std::shared_ptr<WebSocketHandler> handler_;
    net::steady_timer recheck_timer_{ws_.get_executor()};
    beast::flat_buffer buffer_;
    std::deque<std::pair<std::vector<std::uint8_t>, bool>> out_;  // payload, binary
    std::atomic<std::size_t> queued_{0};
    bool writing_ = false;
    bool closing_ = false;
    bool finished_ = false;
};

// One HTTP/1.1 connection: read a request, answer it, repeat while keep-alive holds.
//
// Derived supplies stream() (anything whose lowest layer is a beast::tcp_stream),
// async_shutdown_send() and shared_from_this(): PlainSession over TCP, SslSession over TLS
// (handshake before begin(), close_notify when done). Thread: everything runs on the
// connection's strand.
template <class Derived>
class HttpSession : public Connection {
public:
    HttpSession(std::shared_ptr<ServerState> state, std::string ip, ServerState::Ticket ticket)
        : state_(std::move(state)), ip_(std::move(ip)), ticket_(ticket) {}

    ~HttpSession() override {
        if (!transferred_) {
            state_->release(ticket_, ip_);
        }
    }

    void request_close() override {
        net::post(lowest().get_executor(), [self = self()] { self->close(); });
    }

protected:
    // Entry point on the strand once the transport is ready.
    void begin() {
        if (ticket_.admission != Admission::kAdmitted) {
            reject_overloaded();
            return;
        }
        wait_for_request();
    }

    void close() {
        if (closed_) {
            return;
        }
        closed_ = true;
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
    }

    beast::tcp_stream& lowest() { return beast::get_lowest_layer(derived().stream()); }
    const ServerLimits& limits() const { return state_->limits; }
    const std::string& remote() const { return ip_; }

private:
    Derived& derived() { return static_cast<Derived&>(*this); }
    std::shared_ptr<Derived> self() { return derived().shared_from_this(); }

    // ---- reading ----

    void wait_for_request() {
        if (closed_) {
            return;
        }
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            limits().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
        parser_->body_limit(static_cast<std::uint64_t>(limits().max_body_bytes));
        method_text_ = "-";
        log_path_ = "-";
        if (buffer_.size() > 0) {  // pipelined bytes already here
            read_header();
            return;
        }
        // A fresh connection must start talking within read_timeout; a kept-alive one may
        // rest for idle_timeout. The full-request clock starts at the first byte.
        lowest().expires_after(first_request_ ? limits().read_timeout : limits().idle_timeout);
        derived().stream().async_read_some(
            buffer_.prepare(kFirstReadBytes),
            [self = self()](beast::error_code ec, std::size_t n) { self->on_first_bytes(ec, n); });
    }

    void on_first_bytes(beast::error_code ec, std::size_t n) {
        if (ec) {
            // EOF, idle timeout or stop(): nothing was asked, nothing to answer.
            close();
            return;
        }
        buffer_.commit(n);
        read_header();
    }

    void read_header() {
        started_at_ = std::chrono::steady_clock::now();
        lowest().expires_after(limits().read_timeout);
        http::async_read_header(
            derived().stream(), buffer_, *parser_,
            [self = self()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (ec) {
            on_read_error(ec);
            return;
        }
        auto& req = parser_->get();
        method_text_ = std::string(req.method_string());
        log_path_ = std::string(req.target().substr(0, req.target().find('?')));
        if (!parser_->is_done() && iequals(req[http::field::expect], "100-continue")) {
            // Same deadline as the read: the whole request still has read_timeout.
            net::async_write(derived().stream(), net::buffer(kContinue.data(), kContinue.size()),
                             [self = self()](beast::error_code wec, std::size_t) {
                                 if (wec) {
                                     self->close();
                                     return;
                                 }
                                 self->read_body();
                             });
            return;
        }
        read_body();
    }

    void read_body() {
        if (parser_->is_done()) {
            on_request();
            return;
        }
        http::async_read(derived().stream(), buffer_, *parser_,
                         [self = self()](beast::error_code ec, std::size_t) {
                             if (ec) {
                                 self->on_read_error(ec);
                                 return;
                             }
                             self->on_request();
                         });
    }

    void on_read_error(beast::error_code ec) {
        if (ec == http::error::header_limit) {
            answer_and_close(431, "request header too large");
        } else if (ec == http::error::body_limit) {
            // A client that sends its whole body before reading (most do) would meet our
            // close mid-upload and never see the answer; a body of modest declared size is
            // read and dropped first so the 413 arrives. Larger ones are cut at once.
            const auto declared = parser_->content_length();
            if (declared && *declared <= kLingerMaxBytes) {
                spdlog::debug("http body over limit, draining {} bytes (buffered {})", *declared,
                              buffer_.size());
                drain_then_answer(*declared, 413, "request body too large");
                return;
            }
            answer_and_close(413, "request body too large");
        } else if (is_http_error(ec) && ec != http::error::end_of_stream &&
                   ec != http::error::partial_message) {
            answer_and_close(400, "malformed request");
        } else {
            // Timeout, EOF mid-request, reset or stop(): the client is gone or too slow.
            spdlog::debug("http connection closed while reading remote={} reason={}", ip_,
                          ec.message());
            close();
        }
    }

    // Reads and drops `left` more body bytes (those already buffered first), then answers.
    // The request's read deadline still applies.
    void drain_then_answer(std::uint64_t left, int status, std::string message) {
        const auto buffered = std::min<std::uint64_t>(left, buffer_.size());
        buffer_.consume(static_cast<std::size_t>(buffered));
        left -= buffered;
        if (left == 0) {
            answer_and_close(status, message);
            return;
        }
        linger_buffer_.resize(kFirstReadBytes);
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, kFirstReadBytes));
        derived().stream().async_read_some(
            net::buffer(linger_buffer_.data(), want),
            [self = self(), left, status, message = std::move(message)](beast::error_code ec,
                                                                         std::size_t n) mutable {
                if (ec) {
                    self->close();
                    return;
                }
                self->drain_then_answer(left - n, status, std::move(message));
            });
    }

    // ---- dispatch ----

    void on_request() {
        auto& breq = parser_->get();
        Request req;
        req.request_id = new_request_id();
        req.remote_address = ip_;
        request_id_ = req.request_id;
        head_ = breq.method() == http::verb::head;
        version_ = breq.version();
        keep_alive_ = breq.keep_alive() && !state_->stopping_flag.load();

        if (!state_->take_request_token(ip_)) {
            Response r = Response::error(429, "too many requests; slow down", req);
            r.headers.emplace_back("Retry-After", "1");
            send(std::move(r));
            return;
        }
        if (auto refused = to_request(breq, req)) {
            send(std::move(*refused));
            return;
        }

        const Handler* handler = nullptr;
        switch (state_->router.route(req, &handler)) {
            case Router::Match::kFound:
                break;
            case Router::Match::kWrongMethod: {
                Response r = Response::error(405, "method not allowed", req);
                std::string allow;
                for (const Method m : state_->router.allowed_methods(req.path)) {
                    allow.append(allow.empty() ? "" : ", ").append(to_string(m));
                }
                r.headers.emplace_back("Allow", std::move(allow));
                send(std::move(r));
                return;
            }
            default:
                send(Response::error(404, "not found", req));
                return;
        }
        Response response = run_handler([&] { return (*handler)(req); }, req.request_id);
        // Bodies carry passphrases; handlers copied what they keep into guarded memory.
        if (!req.body.empty()) {
            OPENSSL_cleanse(req.body.data(), req.body.size());
        }
        if (response.deferred) {
            defer(std::move(response.deferred), req.request_id);
            return;
        }
        if (response.upgrade) {
            if (!req.websocket_upgrade) {
                send(Response::error(400, "this address speaks WebSocket only", req));
                return;
            }
            start_websocket(std::move(response.upgrade));
            return;
        }
        send(std::move(response));
    }

    // Hands the connection (stream, slot under the caps, place in stop()'s list) to a
    // WebSocket session; this object is done with it.
    void start_websocket(std::shared_ptr<WebSocketHandler> handler) {
        using Stream = std::remove_reference_t<decltype(derived().stream())>;
        auto ws = std::make_shared<WebSocketSession<Stream>>(
            state_, std::move(derived().stream()), ip_, ticket_, std::move(handler));
        transferred_ = true;
        closed_ = true;
        if (!state_->attach(ticket_.id, ws)) {
            return;  // stopping: the session's destructor gives the slot back
        }
        log_path_ += " (websocket)";
        status_ = 101;
        log_request();
        ws->run(parser_->release());
    }

    // Calls a handler (or deferred work), turning exceptions and bad statuses into a 500.
    template <class Work>
    Response run_handler(Work&& work, const std::string& request_id) {
        Request stub;
        stub.request_id = request_id;
        Response response;
        try {
            response = work();
        } catch (const std::exception& e) {
            spdlog::warn("http handler threw path={} request_id={} what={}", log_path_,
                         request_id, e.what());
            return Response::error(500, "internal error", stub);
        } catch (...) {
            spdlog::warn("http handler threw a non-exception path={} request_id={}", log_path_,
                         request_id);
            return Response::error(500, "internal error", stub);
        }
        if (!response.deferred && (response.status < 200 || response.status > 599)) {
            spdlog::warn("http handler returned status {} path={} request_id={}", response.status,
                         log_path_, request_id);
            return Response::error(500, "internal error", stub);
        }
        return response;
    }

    // Slow work (password hashing) runs on the offload pool; the answer comes back to
    // this connection's strand. The connection reads nothing meanwhile.
    void defer(std::function<Response()> work, std::string request_id) {
        auto job = [self = self(), work = std::move(work), request_id = std::move(request_id)] {
            Response r = self->run_handler([&] { return work(); }, request_id);
            if (r.deferred || r.upgrade) {  // deferring twice or upgrading late: a handler bug
                Request stub;
                stub.request_id = request_id;
                r = Response::error(500, "internal error", stub);
            }
            auto shared = std::make_shared<Response>(std::move(r));
            net::post(self->lowest().get_executor(),
                      [self, shared] { self->send(std::move(*shared)); });
        };
        if (auto offload = state_->offloader()) {
            offload(std::move(job));
        } else {
            job();
        }
    }

    // Answers a request that could not be read fully, then closes.
    void answer_and_close(int status, std::string_view message) {
        Request stub;
        stub.request_id = new_request_id();
        request_id_ = stub.request_id;
        head_ = false;
        version_ = 11;
        keep_alive_ = false;
        if (started_at_ == std::chrono::steady_clock::time_point{}) {
            started_at_ = std::chrono::steady_clock::now();
        }
        send(Response::error(status, message, stub));
    }

    void reject_overloaded() {
        spdlog::debug("http connection refused remote={} reason={}", ip_,
                      ticket_.admission == Admission::kOverClient ? "per-client cap" : "total cap");
        started_at_ = std::chrono::steady_clock::now();
        Request stub;
        stub.request_id = new_request_id();
        request_id_ = stub.request_id;
        Response r = Response::error(503, "server busy", stub);
        r.headers.emplace_back("Retry-After", "1");
        head_ = false;
        version_ = 11;
        keep_alive_ = false;
        send(std::move(r));
    }

    // ---- writing ----

    void send(Response r) {
        if (closed_) {
            return;
        }
        status_ = r.status;
        const bool body_allowed = r.status != 204 && r.status != 304;
        res_.emplace();
        res_->version(version_);
        res_->result(static_cast<unsigned>(r.status));
        for (const auto& [name, value] : *state_->headers()) {
            if (!reserved_header(name)) {
                res_->set(name, value);
            }
        }
        if (body_allowed && !r.content_type.empty() && valid_header("ct", r.content_type)) {
            res_->set(http::field::content_type, r.content_type);
        }
        std::set<std::string> replaced;
        for (const auto& [name, value] : r.headers) {
            if (!valid_header(name, value) || reserved_header(name)) {
                spdlog::warn("http handler header dropped name={} request_id={}",
                             valid_header(name, "") ? name : "(invalid)", request_id_);
                continue;
            }
            if (replaced.insert(to_lower(name)).second) {
                res_->erase(name);  // the handler's own value wins over a default
            }
            res_->insert(name, value);
        }
        res_->set(http::field::date, http_date(std::time(nullptr)));
        res_->set("X-Request-Id", request_id_);
        if (state_->stopping_flag.load()) {
            keep_alive_ = false;
        }

        source_.reset();
        fixed_body_.clear();
        sent_ = 0;
        expected_size_.reset();
        if (!body_allowed) {
            // No body and no length for 204 / 304.
        } else if (r.stream) {
            expected_size_ = r.stream->size();
            if (expected_size_) {
                res_->content_length(*expected_size_);
            } else if (head_) {
                // Unknown length: say nothing; a chunked HEAD would need a last-chunk.
            } else if (version_ >= 11) {
                res_->chunked(true);
            } else {
                keep_alive_ = false;  // HTTP/1.0: closing the connection ends the body
            }
            if (!head_) {
                source_ = std::move(r.stream);
            }
        } else {
            res_->content_length(r.body.size());
            if (!head_) {
                fixed_body_ = std::move(r.body);
            }
        }
        res_->keep_alive(keep_alive_);
        sr_.emplace(*res_);

        if (source_) {
            pull_next();
            return;
        }
        auto& body = res_->body();
        body.data = fixed_body_.empty() ? nullptr : fixed_body_.data();
        body.size = fixed_body_.size();
        body.more = false;
        sent_ = fixed_body_.size();
        lowest().expires_after(limits().write_timeout);
        http::async_write(
            derived().stream(), *sr_,
            [self = self()](beast::error_code ec, std::size_t) { self->on_response_done(ec); });
    }

    // Pulls one chunk and writes it; the next pull waits for the write, so a slow reader
    // slows the source instead of filling memory.
    void pull_next() {
        if (closed_) {
            return;
        }
        std::vector<std::uint8_t> chunk;
        try {
            chunk = source_->next();
        } catch (const std::exception& e) {
            fail_stream(e.what());
            return;
        } catch (...) {
            fail_stream("non-exception thrown");
            return;
        }
        auto& body = res_->body();
        if (chunk.empty()) {
            if (expected_size_ && sent_ != *expected_size_) {
                fail_stream("body source ended before its declared size");
                return;
            }
            body.data = nullptr;
            body.size = 0;
            body.more = false;
            lowest().expires_after(limits().write_timeout);
            http::async_write(
                derived().stream(), *sr_,
                [self = self()](beast::error_code ec, std::size_t) { self->on_response_done(ec); });
            return;
        }
        if (expected_size_ && chunk.size() > *expected_size_ - sent_) {
            fail_stream("body source is longer than its declared size");
            return;
        }
        chunk_ = std::move(chunk);
        body.data = chunk_.data();
        body.size = chunk_.size();
        body.more = true;
        lowest().expires_after(limits().write_timeout);
        http::async_write(
            derived().stream(), *sr_,
            [self = self()](beast::error_code ec, std::size_t) { self->on_chunk_written(ec); });
    }

    void on_chunk_written(beast::error_code ec) {
        if (ec == http::error::need_buffer) {
            ec = {};  // the serializer took the whole chunk and wants the next
        }
        if (ec) {
            spdlog::debug("http stream write ended path={} request_id={} sent={} reason={}",
                          log_path_, request_id_, sent_, ec.message());
            close();
            return;
        }
        sent_ += chunk_.size();
        pull_next();
    }

    // Headers are already out: the only honest signal left is to cut the connection.
    void fail_stream(std::string_view why) {
        spdlog::warn("http stream failed path={} request_id={} sent={} what={}", log_path_,
                     request_id_, sent_, why);
        source_.reset();
        close();
    }

    void on_response_done(beast::error_code ec) {
        if (ec) {
            spdlog::debug("http write failed path={} request_id={} reason={}", log_path_,
                          request_id_, ec.message());
            close();
            return;
        }
        log_request();
        source_.reset();
        fixed_body_ = std::string();
        chunk_ = std::vector<std::uint8_t>();
        sr_.reset();
        res_.reset();
        parser_.reset();  // frees the request body while the connection idles
        first_request_ = false;
        if (!keep_alive_ || state_->stopping_flag.load()) {
            linger_and_close();
            return;
        }
        wait_for_request();
    }

    void log_request() {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started_at_)
                            .count();
        // Refusals under load stay at debug: a flood must not become a log flood too.
        const bool refused = ticket_.admission != Admission::kAdmitted;
        // 501 answers a client's odd method: the client's problem, like a 4xx.
        const bool server_fault = status_ >= 500 && status_ != 501 && !refused;
        const auto level = server_fault ? spdlog::level::warn : spdlog::level::debug;
        spdlog::log(level, "http {} {} {} {}B {}ms request_id={} remote={}", method_text_,
                    log_path_, status_, sent_, ms, request_id_, ip_);
    }

    // Half-closes (TLS: close_notify), then reads and discards what the client still sends
    // until it closes too: closing with unread bytes would reset the connection and could
    // destroy our answer. Bounded by kLingerTime in all, so a silent peer cannot hold us.
    void linger_and_close() {
        if (closed_) {
            return;
        }
        lowest().expires_after(kLingerTime);
        derived().async_shutdown_send([self = self()](beast::error_code ec) {
            if (ec || self->closed_) {
                self->close();
                return;
            }
            self->linger_buffer_.resize(kFirstReadBytes);
            self->lingered_ = 0;
            self->linger_read();
        });
    }

    void linger_read() {
        derived().stream().async_read_some(net::buffer(linger_buffer_),
                                           [self = self()](beast::error_code ec, std::size_t n) {
                                               self->lingered_ += n;
                                               if (ec || self->lingered_ > kLingerMaxBytes) {
                                                   self->close();
                                                   return;
                                               }
                                               self->linger_read();
                                           });
    }

    std::shared_ptr<ServerState> state_;
    const std::string ip_;
    const ServerState::Ticket ticket_;
    bool closed_ = false;
    bool first_request_ = true;
    bool transferred_ = false;  // the connection went to a WebSocketSession

    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;

    // The exchange in progress.
    std::chrono::steady_clock::time_point started_at_;
    std::string request_id_;
    std::string method_text_ = "-";
    std::string log_path_ = "-";  // raw path without query: Beast rejected control characters
    bool head_ = false;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    int status_ = 0;
    std::optional<http::response<http::buffer_body>> res_;
    std::optional<http::response_serializer<http::buffer_body>> sr_;
    std::string fixed_body_;
    std::unique_ptr<BodySource> source_;
    std::vector<std::uint8_t> chunk_;  // the chunk being written
    std::optional<std::uint64_t> expected_size_;
    std::uint64_t sent_ = 0;  // body bytes handed to the socket

    std::vector<char> linger_buffer_;
    std::size_t lingered_ = 0;
};

class PlainSession final : public HttpSession<PlainSession>,
                           public std::enable_shared_from_this<PlainSession> {
public:
    PlainSession(std::shared_ptr<ServerState> state, tcp::socket&& socket, std::string ip,
                 ServerState::Ticket ticket)
        : HttpSession(std::move(state), std::move(ip), ticket), stream_(std::move(socket)) {}

    // Thread: any; hops onto the connection's strand.
    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->begin(); });
    }

    beast::tcp_stream& stream() { return stream_; }

    template <class Handler>
    void async_shutdown_send(Handler&& handler) {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        net::post(stream_.get_executor(),
                  [ec, h = std::forward<Handler>(handler)]() mutable { h(ec); });
    }

private:
    beast::tcp_stream stream_;
};

// HTTP/1.1 over TLS. The handshake runs under read_timeout and counts against the same
// connection caps as a request: a client that never finishes it holds its slot no longer
// than one that never sends a request.
class SslSession final : public HttpSession<SslSession>,
                         public std::enable_shared_from_this<SslSession> {
public:
    SslSession(std::shared_ptr<ServerState> state, tcp::socket&& socket, ssl::context& context,
               std::string ip, ServerState::Ticket ticket)
        : HttpSession(std::move(state), std::move(ip), ticket),
          stream_(std::move(socket), context) {}

    // Thread: any; hops onto the connection's strand.
    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->handshake(); });
    }

    beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }

    // Sends close_notify. OpenSSL then discards whatever the peer still sends until its own
    // close_notify, EOF or the linger deadline, which is the linger itself: the handler
    // runs when it is over, and the read that follows ends at once.
    template <class Handler>
    void async_shutdown_send(Handler&& handler) {
        stream_.async_shutdown(
            [h = std::forward<Handler>(handler)](beast::error_code ec) mutable {
                // A peer that just closes (no close_notify) is normal for HTTPS clients.
                if (ec == net::error::eof || ec == ssl::error::stream_truncated) {
                    ec = {};
                }
                h(ec);
            });
    }

private:
    void handshake() {
        lowest().expires_after(limits().read_timeout);
        stream_.async_handshake(ssl::stream_base::server,
                                [self = shared_from_this()](beast::error_code ec) {
                                    self->on_handshake(ec);
                                });
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            // Scanners and plain-HTTP clients fail here all day: debug, not warn.
            spdlog::debug("tls handshake failed remote={} reason={}", remote(), ec.message());
            close();
            return;
        }
        begin();
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace hearth::api::detail
