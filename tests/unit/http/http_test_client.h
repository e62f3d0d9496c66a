// Test support for HttpServer: a blocking POSIX client with receive timeouts (replies parsed
// by Beast), a server harness on two io threads at port 0, and a lazy pattern BodySource.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "api/http.h"
#include "api/http_server.h"

namespace hearth::api::http_testing {

namespace http = boost::beast::http;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::uint8_t pattern_byte(std::uint64_t i) {
    return static_cast<std::uint8_t>((i ^ (i >> 8) ^ (i >> 17)) * 131u + 7u);
}

inline std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size,
                           std::uint64_t h = 1469598103934665603ull) {
    for (std::size_t i = 0; i < size; ++i) {
        h = (h ^ data[i]) * 1099511628211ull;
    }
    return h;
}

inline std::uint64_t pattern_checksum(std::uint64_t size) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::uint64_t i = 0; i < size; ++i) {
        const std::uint8_t b = pattern_byte(i);
        h = fnv1a(&b, 1, h);
    }
    return h;
}

inline std::uint64_t checksum(const std::string& s) {
    return fnv1a(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Generates `total` pattern bytes lazily; optionally throws after `fail_after` bytes.
class PatternSource : public BodySource {
public:
    PatternSource(std::uint64_t total, bool known_size, std::atomic<int>* pulls = nullptr,
                  std::optional<std::uint64_t> fail_after = std::nullopt)
        : total_(total), known_(known_size), pulls_(pulls), fail_after_(fail_after) {}

    std::optional<std::uint64_t> size() const override {
        return known_ ? std::optional<std::uint64_t>(total_) : std::nullopt;
    }

    std::vector<std::uint8_t> next() override {
        if (pulls_ != nullptr) {
            ++*pulls_;
        }
        if (fail_after_ && pos_ >= *fail_after_) {
            throw std::runtime_error("disk read failed at /secret/path");
        }
        const std::uint64_t n = std::min<std::uint64_t>(kChunk, total_ - pos_);
        std::vector<std::uint8_t> out(n);
        for (auto& b : out) {
            b = pattern_byte(pos_++);
        }
        return out;
    }

private:
    static constexpr std::uint64_t kChunk = 64 * 1024;
    std::uint64_t total_;
    bool known_;
    std::atomic<int>* pulls_;
    std::optional<std::uint64_t> fail_after_;
    std::uint64_t pos_ = 0;
};

struct Reply {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool chunked = false;

    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// A blocking client on POSIX sockets: every receive has a timeout so a broken server fails
// the test instead of hanging it.
class Client {
public:
    ~Client() { close(); }
    Client() = default;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connect(const std::string& host, std::uint16_t port) {
        close();
        sockaddr_storage addr{};
        socklen_t len = 0;
        if (host.find(':') != std::string::npos) {
            auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons(port);
            if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) {
                return false;
            }
            len = sizeof(sockaddr_in6);
        } else {
            auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
            a4->sin_family = AF_INET;
            a4->sin_port = htons(port);
            if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
                return false;
            }
            len = sizeof(sockaddr_in);
        }
        fd_ = ::socket(addr.ss_family, SOCK_STREAM, 0);
        if (fd_ < 0) {
            return false;
        }
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
            close();
            return false;
        }
        return true;
    }

    bool send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    enum class Read : std::uint8_t { kInvalid = 0, kData, kEof, kTimeout, kError };

    Read read_some(std::string& out, std::chrono::milliseconds timeout) {
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[64 * 1024];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            return Read::kData;
        }
        if (n == 0) {
            return Read::kEof;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return Read::kTimeout;
        }
        return errno == ECONNRESET ? Read::kEof : Read::kError;
    }

    // One complete response, or nullopt if the connection ended or stalled before it did.
    std::optional<Reply> read_response(bool head = false, std::chrono::milliseconds timeout = 10s) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        parser.eager(true);
        parser.skip(head);
        const auto deadline = Clock::now() + timeout;
        while (!parser.is_done()) {
            if (!pending_.empty()) {
                boost::beast::error_code ec;
                const std::size_t n =
                    parser.put(boost::asio::buffer(pending_.data(), pending_.size()), ec);
                pending_.erase(0, n);
                if (ec && ec != http::error::need_more) {
                    return std::nullopt;
                }
                if (parser.is_done()) {
                    break;
                }
                if (n > 0 && !pending_.empty()) {
                    continue;
                }
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left <= 0ms) {
                return std::nullopt;
            }
            const Read r = read_some(pending_, left);
            if (r == Read::kEof) {
                boost::beast::error_code ec;
                parser.put_eof(ec);
                if (ec || !parser.is_done()) {
                    return std::nullopt;
                }
            } else if (r != Read::kData) {
                return std::nullopt;
            }
        }
        Reply reply;
        const auto& msg = parser.get();
        reply.status = msg.result_int();
        for (const auto& field : msg) {
            std::string name(field.name_string());
            for (char& c : name) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            reply.headers[name] = std::string(field.value());
        }
        reply.chunked = msg.chunked();
        reply.body = msg.body();
        return reply;
    }

    // True when the server closed the connection within `timeout` (data before EOF is skipped).
    bool closed_within(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        std::string sink;
        while (Clock::now() < deadline) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            const Read r = read_some(sink, std::max(left, 1ms));
            if (r == Read::kEof || r == Read::kError) {
                return true;
            }
            if (r == Read::kTimeout) {
                return false;
            }
        }
        return false;
    }

    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        pending_.clear();
    }

    const std::string& pending() const { return pending_; }

private:
    int fd_ = -1;
    std::string pending_;  // received but not yet parsed
};

inline std::string get(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" +
           std::string(extra_headers) + "\r\n";
}

// An HttpServer on two io threads, stopped and joined on destruction.
class Harness {
public:
    explicit Harness(ServerLimits limits = {}) : limits_(limits) {
        if (std::getenv("HEARTH_TEST_DEBUG_LOG") != nullptr) {
            spdlog::set_level(spdlog::level::debug);  // to see the per-request lines
        }
    }
    ~Harness() { shutdown(); }

    Router& router() { return router_; }
    HttpServer& server() { return *server_; }
    std::uint16_t port() const { return port_; }

    core::Status start(const std::string& host = "127.0.0.1",
                       std::optional<TlsSettings> tls = std::nullopt) {
        server_ = std::make_unique<HttpServer>(io_, router_, limits_);
        auto bound = server_->start(core::ListenAddress{host, 0}, tls);
        if (!bound) {
            return bound.error();
        }
        port_ = bound->port;
        for (auto& t : threads_) {
            t = std::thread([this] { io_.run(); });
        }
        return {};
    }

    void shutdown() {
        if (server_) {
            server_->stop();
        }
        guard_.reset();
        io_.stop();
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
        server_.reset();
    }

    std::optional<Reply> exchange(std::string_view request, bool head = false) {
        Client c;
        if (!c.connect("127.0.0.1", port_) || !c.send(request)) {
            return std::nullopt;
        }
        return c.read_response(head);
    }

private:
    ServerLimits limits_;
    Router router_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
        io_.get_executor()};
    std::unique_ptr<HttpServer> server_;
    std::thread threads_[2];
    std::uint16_t port_ = 0;
};

inline bool is_request_id(const std::string& id) {
    return id.size() == 12 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace hearth::api::http_testing
