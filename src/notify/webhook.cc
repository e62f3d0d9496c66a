#include "notify/webhook.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>
#include <utility>

namespace hearth::notify {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using core::ErrorCode;
using core::make_error;

// "10 s", "0.25 s": how long, for people.
std::string seconds_text(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

// A header-safe form of a notice kind (kinds come from the hub, but a header must never
// carry a line break whatever a caller passes).
std::string header_token(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 64)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        out += ok ? c : '_';
    }
    return out.empty() ? "unknown" : out;
}

bool printable_id(std::string_view id) {
    return std::all_of(id.begin(), id.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
    });
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

struct TargetConfig {
    std::string id;
    WebhookUrl url;
    crypto::SecretBytes secret;
    std::shared_ptr<ssl::context> tls;  // https only
};

enum class Verdict : std::uint8_t { kInvalid = 0, kDelivered, kRetry, kFinal };

struct AttemptResult {
    Verdict verdict = Verdict::kInvalid;
    int status = 0;
    std::string reason;
};

AttemptResult judge_status(int status) {
    const std::string answered = "answered " + std::to_string(status);
    if (status >= 200 && status < 300) {
        return {Verdict::kDelivered, status, answered};
    }
    if (status >= 300 && status < 400) {
        // Following it would send the household's events where the owner did not choose.
        return {Verdict::kFinal, status,
                answered + " (a redirect, not followed: configure the final address)"};
    }
    if (status == 408 || status == 429 || status >= 500) {
        return {Verdict::kRetry, status, answered};
    }
    return {Verdict::kFinal, status, answered};
}

// One POST to one target: resolve, connect, (TLS), write, read the answer. Its own async
// chain on the sender's io_context, kept alive by its pending handlers; a steady timer bounds
// the whole attempt, including the name lookup that sockets' own timeouts do not cover.
// Thread: the sender's io thread only.
class Attempt : public std::enable_shared_from_this<Attempt> {
public:
    using Done = std::function<void(AttemptResult)>;

    Attempt(net::io_context& io, std::shared_ptr<const TargetConfig> target,
            const WebhookOptions& options, http::request<http::string_body> request, Done done)
        : target_(std::move(target)),
          options_(options),
          resolver_(io),
          deadline_(io),
          request_(std::move(request)),
          done_(std::move(done)) {
        if (target_->url.https) {
            tls_.emplace(io, *target_->tls);
        } else {
            plain_.emplace(io);
        }
    }

    void start() {
        started_ = std::chrono::steady_clock::now();
        deadline_.expires_after(options_.attempt_timeout);
        deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
            // Ends the attempt at once, whatever is in progress: a name lookup cannot be
            // interrupted, so its late answer is simply ignored.
            if (!ec && !self->finished_) {
                self->finish({Verdict::kRetry, 0,
                              "timed out after " + seconds_text(self->options_.attempt_timeout)});
            }
        });
        resolver_.async_resolve(
            target_->url.host, std::to_string(target_->url.port),
            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type found) {
                self->on_resolve(ec, std::move(found));
            });
    }

    // The target was removed or the sender stops: the attempt ends now with `reason`.
    void cancel(std::string reason) { finish({Verdict::kFinal, 0, std::move(reason)}); }

private:
    beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

    template <typename F>
    void with_stream(F&& f) {
        if (tls_) {
            f(*tls_);
        } else {
            f(*plain_);
        }
    }

    void close() {
        resolver_.cancel();
        lowest().close();
    }

    // Ends the attempt on an operation's error; true when there was one.
    bool failed(beast::error_code ec, const std::string& doing) {
        if (!ec) {
            return false;
        }
        finish({Verdict::kRetry, 0, doing + " (" + ec.message() + ")"});
        return true;
    }

    void on_resolve(beast::error_code ec, tcp::resolver::results_type found) {
        if (finished_ || failed(ec, "could not look up " + target_->url.host)) {
            return;
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started_);
        const auto left =
            std::max(options_.attempt_timeout - elapsed, std::chrono::milliseconds(1));
        lowest().expires_after(std::min(options_.connect_timeout, left));
        lowest().async_connect(
            found, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                self->on_connect(ec);
            });
    }

    void on_connect(beast::error_code ec) {
        if (finished_) {
            return;
        }
        if (ec == beast::error::timeout) {
            finish({Verdict::kRetry, 0,
                    "could not connect to " + target_->url.host_header() + " within " +
                        seconds_text(options_.connect_timeout) + " (timed out)"});
            return;
        }
        if (failed(ec, "could not connect to " + target_->url.host_header())) {
            return;
        }
        lowest().expires_never();  // the attempt's deadline covers the rest
        if (!tls_) {
            write();
            return;
        }
        SSL* ssl_handle = tls_->native_handle();
        const std::string& host = target_->url.host;
        if (is_ip_literal(host)) {
            // No SNI for addresses (RFC 6066); check the certificate's IP SAN instead.
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host.c_str());
        } else {
            SSL_set_tlsext_host_name(ssl_handle, host.c_str());
            SSL_set1_host(ssl_handle, host.c_str());
        }
        tls_->async_handshake(
            ssl::stream_base::client,
            [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
    }

    void on_handshake(beast::error_code ec) {
        if (finished_) {
            return;
        }
        if (ec) {
            const long verify = SSL_get_verify_result(tls_->native_handle());
            if (verify != X509_V_OK) {
                // Retrying will not make an untrusted certificate trusted.
                finish({Verdict::kFinal, 0,
                        std::string("the receiver's TLS certificate is not trusted (") +
                            X509_verify_cert_error_string(verify) + ")"});
                return;
            }
        }
        if (failed(ec, "TLS handshake with " + target_->url.host_header() + " failed")) {
            return;
        }
        write();
    }

    void write() {
        with_stream([this](auto& stream) {
            http::async_write(stream, request_,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                  self->on_write(ec);
                              });
        });
    }

    void on_write(beast::error_code ec) {
        if (finished_ || failed(ec, "the connection failed while sending")) {
            return;
        }
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(options_.max_response_header_bytes));
        // The body is read (so the receiver is not cut off mid-answer) and discarded.
        parser_->body_limit(options_.max_response_body_bytes);
        with_stream([this](auto& stream) {
            http::async_read(stream, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 self->on_read(ec);
                             });
        });
    }

    void on_read(beast::error_code ec) {
        if (finished_) {
            return;
        }
        // Once the status line is in, a long, cut or over-sized body changes nothing.
        if (parser_->is_header_done()) {
            finish(judge_status(static_cast<int>(parser_->get().result_int())));
            return;
        }
        if (ec == http::error::end_of_stream || ec == net::error::eof) {
            finish({Verdict::kRetry, 0, "the receiver closed the connection without answering"});
            return;
        }
        (void)failed(ec, "no valid answer");
    }

    void finish(AttemptResult result) {
        if (finished_) {
            return;
        }
        finished_ = true;
        deadline_.cancel();
        close();
        // TLS: no close_notify exchange (docs/pitfalls.md: it can wait forever); the answer
        // is in, so the socket is simply closed.
        Done done = std::move(done_);
        done_ = nullptr;
        if (done) {
            done(std::move(result));
        }
    }

    std::shared_ptr<const TargetConfig> target_;
    const WebhookOptions& options_;
    tcp::resolver resolver_;
    net::steady_timer deadline_;
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    http::request<http::string_body> request_;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> parser_;
    Done done_;
    std::chrono::steady_clock::time_point started_;
    bool finished_ = false;  // every handler after this returns at once
};

struct Pending {
    std::string delivery_id;
    std::string kind;
    std::int64_t event_id = 0;
    std::string body;
    int attempts = 0;
};

// One target's deliveries, sent in order, one at a time.
struct Lane {
    std::shared_ptr<const TargetConfig> config;
    std::deque<Pending> queue;  // the front is in flight (or backing off) while busy
    bool busy = false;
    bool removed = false;
    std::shared_ptr<Attempt> attempt;
    std::optional<net::steady_timer> backoff;
};

}  // namespace

const char* to_string(DeliveryOutcome outcome) {
    switch (outcome) {
        case DeliveryOutcome::kInvalid:
            return "invalid";
        case DeliveryOutcome::kDelivered:
            return "delivered";
        case DeliveryOutcome::kGaveUp:
            return "gave up";
        case DeliveryOutcome::kDropped:
            return "dropped";
    }
    return "invalid";
}

struct WebhookSender::Impl {
    Impl(const core::Clock& c, WebhookOptions o, DeliveryCallback cb)
        : clock(c), options(o), on_result(std::move(cb)) {
        options.max_attempts = std::max(options.max_attempts, 1);
        options.max_queue_per_target = std::max<std::size_t>(options.max_queue_per_target, 1);
    }

    void report(const Lane& lane, const Pending& p, DeliveryOutcome outcome, int status,
                std::string reason) {
        switch (outcome) {
            case DeliveryOutcome::kDelivered:
                ++delivered;
                spdlog::debug("webhook {} ({}): {} delivered, {}", lane.config->id,
                              lane.config->url.host_header(), p.kind, reason);
                break;
            case DeliveryOutcome::kGaveUp:
                ++gave_up;
                spdlog::warn("webhook {} ({}): {} not delivered: {}", lane.config->id,
                             lane.config->url.host_header(), p.kind, reason);
                break;
            default:
                ++dropped;
                spdlog::warn("webhook {} ({}): {} dropped: {}", lane.config->id,
                             lane.config->url.host_header(), p.kind, reason);
                break;
        }
        if (!on_result) {
            return;
        }
        DeliveryReport r{lane.config->id, p.delivery_id, p.kind, p.event_id,
                         outcome,         p.attempts,    status, std::move(reason)};
        try {
            on_result(r);
        } catch (const std::exception& e) {
            spdlog::error("webhook result callback threw: {}", e.what());
        }
    }

    void enqueue(const std::shared_ptr<Lane>& lane, Pending p) {
        const std::size_t first_waiting = lane->busy ? 1 : 0;
        if (lane->queue.size() >= options.max_queue_per_target) {
            const std::string why =
                std::to_string(lane->queue.size()) + " deliveries already waiting for this target";
            if (lane->queue.size() > first_waiting) {
                Pending oldest = std::move(lane->queue[first_waiting]);
                lane->queue.erase(lane->queue.begin() + static_cast<std::ptrdiff_t>(first_waiting));
                report(*lane, oldest, DeliveryOutcome::kDropped, 0, why);
            } else {
                report(*lane, p, DeliveryOutcome::kDropped, 0, why);
                return;
            }
        }
        lane->queue.push_back(std::move(p));
        pump(lane);
    }

    void pump(const std::shared_ptr<Lane>& lane) {
        if (lane->busy || lane->removed || lane->queue.empty()) {
            return;
        }
        lane->busy = true;
        start_attempt(lane);
    }

    void start_attempt(const std::shared_ptr<Lane>& lane) {
        Pending& p = lane->queue.front();
        ++p.attempts;
        ++attempts;
        const TargetConfig& target = *lane->config;
        // The timestamp of this attempt: a receiver may refuse old ones (replays).
        const std::string timestamp = std::to_string(clock.now_us() / 1'000'000);
        http::request<http::string_body> req{http::verb::post, target.url.target, 11};
        req.set(http::field::host, target.url.host_header());
        req.set(http::field::user_agent, "Hearth/" HEARTH_VERSION);
        req.set(http::field::content_type, "application/json");
        req.set("X-Hearth-Event", header_token(p.kind));
        req.set("X-Hearth-Delivery", p.delivery_id);
        req.set("X-Hearth-Timestamp", timestamp);
        req.set("X-Hearth-Signature", webhook_signature(target.secret, timestamp, p.body));
        req.keep_alive(false);
        req.body() = p.body;
        req.prepare_payload();
        lane->attempt = std::make_shared<Attempt>(
            io, lane->config, options, std::move(req),
            [this, lane](AttemptResult r) { on_attempt_done(lane, std::move(r)); });
        lane->attempt->start();
    }

    void on_attempt_done(const std::shared_ptr<Lane>& lane, AttemptResult r) {
        lane->attempt.reset();
        if (lane->removed || lane->queue.empty()) {
            return;
        }
        Pending& p = lane->queue.front();
        if (r.verdict == Verdict::kRetry && p.attempts < options.max_attempts) {
            auto delay = options.first_backoff;
            for (int i = 1; i < p.attempts && delay < options.max_backoff; ++i) {
                delay *= 2;
            }
            delay = std::min(delay, options.max_backoff);
            spdlog::info("webhook {} ({}): attempt {} failed: {}; retrying in {}", lane->config->id,
                         lane->config->url.host_header(), p.attempts, r.reason,
                         seconds_text(delay));
            lane->backoff.emplace(io);
            lane->backoff->expires_after(delay);
            lane->backoff->async_wait([this, lane](beast::error_code ec) {
                if (!ec && !lane->removed && !lane->queue.empty()) {
                    start_attempt(lane);
                }
            });
            return;
        }
        Pending done = std::move(p);
        lane->queue.pop_front();
        lane->busy = false;
        if (r.verdict == Verdict::kDelivered) {
            report(*lane, done, DeliveryOutcome::kDelivered, r.status, std::move(r.reason));
        } else {
            std::string reason =
                done.attempts > 1
                    ? "gave up after " + std::to_string(done.attempts) + " attempts: " + r.reason
                    : std::move(r.reason);
            report(*lane, done, DeliveryOutcome::kGaveUp, r.status, std::move(reason));
        }
        pump(lane);
    }

    void end_lane(Lane& lane, const std::string& why, bool report_waiting) {
        lane.removed = true;
        if (auto attempt = std::move(lane.attempt)) {
            attempt->cancel(why);  // its pending handlers keep it alive until they run
        }
        if (lane.backoff) {
            lane.backoff->cancel();
        }
        if (report_waiting) {
            for (const Pending& p : lane.queue) {
                report(lane, p, DeliveryOutcome::kDropped, 0, why);
            }
        }
        lane.queue.clear();
    }

    void replace_targets(std::vector<std::shared_ptr<const TargetConfig>> configs) {
        std::map<std::string, std::shared_ptr<Lane>, std::less<>> next;
        for (auto& config : configs) {
            auto it = lanes.find(config->id);
            std::shared_ptr<Lane> lane;
            if (it != lanes.end()) {
                lane = it->second;  // the next attempt reads the new address and secret
                lanes.erase(it);
            } else {
                lane = std::make_shared<Lane>();
            }
            lane->config = std::move(config);
            next.emplace(lane->config->id, std::move(lane));
        }
        for (auto& [id, lane] : lanes) {
            end_lane(*lane, "the target was removed", true);
        }
        lanes = std::move(next);
    }

    Pending make_pending(const Notice& notice, const std::string& body) {
        Pending p;
        p.delivery_id = crypto::random_token_base64url(12);
        p.kind = notice.kind;
        p.event_id = notice.event_id;
        p.body = body;
        return p;
    }

    const core::Clock& clock;
    WebhookOptions options;
    DeliveryCallback on_result;
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> gave_up{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> attempts{0};
    // Declared before the lanes so that it outlives them: sockets close into it.
    net::io_context io;
    net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
    std::map<std::string, std::shared_ptr<Lane>, std::less<>> lanes;  // io thread only
    std::thread thread;
    std::atomic<bool> stopped{false};
};

WebhookSender::WebhookSender(const core::Clock& clock, WebhookOptions options,
                             DeliveryCallback on_result)
    : impl_(std::make_unique<Impl>(clock, options, std::move(on_result))) {
    impl_->thread = std::thread([impl = impl_.get()] {
        for (;;) {
            try {
                impl->io.run();
                return;
            } catch (const std::exception& e) {
                // A handler bug must not end every household's webhooks: log, go on.
                spdlog::error("webhook sender: {}", e.what());
            }
        }
    });
}

WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::stop() {
    if (impl_->stopped.exchange(true)) {
        return;
    }
    net::post(impl_->io, [impl = impl_.get()] {
        for (auto& [id, lane] : impl->lanes) {
            impl->end_lane(*lane, "the sender stopped", false);
        }
        impl->lanes.clear();
        impl->work.reset();
        impl->io.stop();
    });
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
}

core::Status WebhookSender::set_targets(std::vector<WebhookTarget> targets) {
    if (targets.size() > kMaxWebhookTargets) {
        return make_error(ErrorCode::kInvalidArgument,
                          "at most " + std::to_string(kMaxWebhookTargets) + " webhooks");
    }
    std::set<std::string, std::less<>> ids;
    std::vector<std::shared_ptr<const TargetConfig>> configs;
    for (auto& t : targets) {
        if (t.id.empty() || t.id.size() > kMaxWebhookIdBytes || !printable_id(t.id)) {
            return make_error(ErrorCode::kInvalidArgument,
                              "a webhook id must be 1 to 64 printable ASCII characters");
        }
        const std::string name = "webhook '" + t.id + "': ";
        if (!ids.insert(t.id).second) {
            return make_error(ErrorCode::kInvalidArgument, name + "the id is used twice");
        }
        auto url = parse_webhook_url(t.url);
        if (!url) {
            return make_error(url.error().code, name + url.error().message);
        }
        if (t.secret.size() < kMinWebhookSecretBytes) {
            return make_error(ErrorCode::kInvalidArgument,
                              name + "the secret must be at least " +
                                  std::to_string(kMinWebhookSecretBytes) + " bytes");
        }
        auto config = std::make_shared<TargetConfig>();
        config->id = t.id;
        config->url = std::move(*url);
        if (!t.ca_file.empty() && !config->url.https) {
            return make_error(ErrorCode::kInvalidArgument,
                              name + "a CA file applies only to https addresses");
        }
        if (config->url.https) {
            std::error_code fs_ec;
            if (!t.ca_file.empty() && !std::filesystem::is_regular_file(t.ca_file, fs_ec)) {
                return make_error(ErrorCode::kNotFound,
                                  name + "CA file " + t.ca_file + " not found");
            }
            try {
                auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
                SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
                ctx->set_verify_mode(ssl::verify_peer);
                boost::system::error_code ec;
                if (!t.ca_file.empty()) {
                    ctx->load_verify_file(t.ca_file, ec);
                } else {
                    ctx->set_default_verify_paths(ec);
                }
                if (ec) {
                    return make_error(ErrorCode::kInvalidArgument,
                                      name + "cannot load " +
                                          (t.ca_file.empty() ? "the system CA certificates"
                                                             : "CA file " + t.ca_file) +
                                          ": " + ec.message());
                }
                config->tls = std::move(ctx);
            } catch (const std::exception& e) {
                return make_error(ErrorCode::kInternal, name + "TLS setup failed: " + e.what());
            }
        }
        config->secret = std::move(t.secret);
        configs.push_back(std::move(config));
    }
    {
        std::lock_guard lock(ids_mu_);
        ids_ = std::move(ids);
    }
    net::post(impl_->io, [impl = impl_.get(), configs = std::move(configs)]() mutable {
        impl->replace_targets(std::move(configs));
    });
    return {};
}

void WebhookSender::deliver(const Notice& notice) {
    net::post(impl_->io, [impl = impl_.get(), notice, body = to_json_text(notice)] {
        for (auto& [id, lane] : impl->lanes) {
            impl->enqueue(lane, impl->make_pending(notice, body));
        }
    });
}

core::Status WebhookSender::send_test(std::string_view target_id) {
    {
        std::lock_guard lock(ids_mu_);
        if (ids_.find(target_id) == ids_.end()) {
            return make_error(ErrorCode::kNotFound, "no webhook with that id");
        }
    }
    Notice test;
    test.kind = std::string(kind::kTest);
    test.start_us = impl_->clock.now_us();
    test.confidence = 1;
    test.summary = "A test from your Hearth hub: this webhook works.";
    net::post(impl_->io,
              [impl = impl_.get(), id = std::string(target_id), test, body = to_json_text(test)] {
                  const auto it = impl->lanes.find(id);
                  if (it != impl->lanes.end()) {
                      impl->enqueue(it->second, impl->make_pending(test, body));
                  }
              });
    return {};
}

WebhookStats WebhookSender::stats() const {
    return {impl_->delivered.load(), impl_->gave_up.load(), impl_->dropped.load(),
            impl_->attempts.load()};
}

}  // namespace hearth::notify
