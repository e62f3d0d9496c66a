// Test support for WebhookSender: a webhook receiver on 127.0.0.1 port 0 (Boost.Beast, its own
// io thread), plain or TLS, that records every request and answers as the test says:
// a status (with an optional Location), or never (a receiver that hangs).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hearth::notify::webhook_testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct Received {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::chrono::steady_clock::time_point at;

    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct Answer {
    int status = 200;
    std::string location;  // for redirects
    bool hang = false;     // read the request, then never answer
};

// How to answer the n-th request (0-based).
using AnswerFn = std::function<Answer(int n)>;

struct TlsFiles {
    std::string cert_pem;
    std::string key_pem;
};

class Receiver {
public:
    explicit Receiver(AnswerFn answer, std::optional<TlsFiles> tls = std::nullopt)
        : answer_(std::move(answer)) {
        if (tls) {
            tls_.emplace(ssl::context::tls_server);
            tls_->use_certificate_chain(net::buffer(tls->cert_pem));
            tls_->use_private_key(net::buffer(tls->key_pem), ssl::context::pem);
        }
        acceptor_.open(tcp::v4());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~Receiver() {
        net::post(io_, [this] {
            beast::error_code ec;
            acceptor_.close(ec);
            for (auto& keep : hanging_) {
                keep.reset();
            }
            work_.reset();
            io_.stop();
        });
        thread_.join();
    }

    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path = "/hook") const {
        return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
               path;
    }

    std::vector<Received> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }

    // Waits until `n` requests arrived; false on timeout.
    bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
    }

private:
    template <typename Stream>
    struct Session : std::enable_shared_from_this<Session<Stream>> {
        template <typename... Args>
        explicit Session(Receiver& r, Args&&... args)
            : owner(r), stream(std::forward<Args>(args)...) {}

        void read() {
            http::async_read(stream, buffer, request,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (!ec) {
                                     self->on_request();
                                 }
                             });
        }

        void on_request() {
            Received r;
            r.method = std::string(request.method_string());
            r.target = std::string(request.target());
            for (const auto& f : request) {
                std::string name(f.name_string());
                for (char& c : name) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                r.headers[name] = std::string(f.value());
            }
            r.body = request.body();
            r.at = std::chrono::steady_clock::now();
            int n = 0;
            {
                std::lock_guard lock(owner.mu_);
                n = static_cast<int>(owner.requests_.size());
                owner.requests_.push_back(std::move(r));
            }
            owner.cv_.notify_all();
            const Answer a = owner.answer_(n);
            if (a.hang) {
                owner.hanging_.push_back(this->shared_from_this());  // keeps the socket open
                return;
            }
            response.result(static_cast<unsigned>(a.status));
            response.version(11);
            if (!a.location.empty()) {
                response.set(http::field::location, a.location);
            }
            if (a.status != 204 && a.status != 304) {
                response.body() = "ok";
            }
            response.keep_alive(false);
            response.prepare_payload();
            http::async_write(stream, response,
                              [self = this->shared_from_this()](beast::error_code, std::size_t) {
                                  beast::error_code ignored;
                                  beast::get_lowest_layer(self->stream)
                                      .socket()
                                      .shutdown(tcp::socket::shutdown_send, ignored);
                              });
        }

        Receiver& owner;
        Stream stream;
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::response<http::string_body> response;
    };

    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                return;
            }
            if (tls_) {
                auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                    *this, std::move(socket), *tls_);
                s->stream.async_handshake(ssl::stream_base::server, [s](beast::error_code ec) {
                    if (!ec) {
                        s->read();
                    }
                });
            } else {
                std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket))->read();
            }
            accept();
        });
    }

    AnswerFn answer_;
    std::optional<ssl::context> tls_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    tcp::acceptor acceptor_{io_};
    std::uint16_t port_ = 0;
    std::vector<std::shared_ptr<void>> hanging_;  // io thread only
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::vector<Received> requests_;  // GUARDED_BY(mu_)
    std::thread thread_;
};

}  // namespace hearth::notify::webhook_testing
