#include "media/rtsp_connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace hearth::media::rtsp {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kBufferBytes = 256 * 1024;  // > one read + the largest message (80 KiB)
constexpr std::size_t kMaxJunkBytes = 1024 * 1024;

core::Error unavailable(std::string message) {
    return make_error(ErrorCode::kUnavailable, std::move(message));
}

// A file descriptor closed on destruction, for the sockets tried while connecting.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_ = -1;
};

}  // namespace

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

core::Error stopped() { return make_error(ErrorCode::kFailedPrecondition, "stopped"); }

bool is_stopped(const core::Error& e) { return e.code == ErrorCode::kFailedPrecondition; }

std::string errno_text(int err) {
    switch (err) {
        case ECONNREFUSED:
            return "connection refused";
        case ETIMEDOUT:
            return "connection timed out";
        case EHOSTUNREACH:
            return "host unreachable";
        case ENETUNREACH:
            return "network unreachable";
        case ECONNRESET:
            return "connection reset by the camera";
        case EPIPE:
            return "connection closed by the camera";
        default:
            break;
    }
    std::string s = std::strerror(err);
    if (!s.empty()) {
        s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    }
    return s;
}

std::string keepalive_method(const Message& options) {
    const std::string* pub = options.status == 200 ? options.header("Public") : nullptr;
    return pub != nullptr && public_has(*pub, "GET_PARAMETER") ? "GET_PARAMETER" : "OPTIONS";
}

core::Result<sdp::SessionDescription> parse_description(const Message& describe,
                                                        const std::string& url) {
    std::string base = url;
    if (const std::string* cb = describe.header("Content-Base")) {
        base = *cb;
    } else if (const std::string* cl = describe.header("Content-Location")) {
        base = *cl;
    }
    auto sdp = sdp::parse_sdp(describe.body, base);
    if (!sdp) {
        return unavailable("camera sent a malformed stream description (" + sdp.error().message +
                           ")");
    }
    return sdp;
}

Connection::Connection(std::string username, std::string password, StopSignal stop)
    : username_(std::move(username)),
      password_(std::move(password)),
      stop_(stop),
      // Not zeroed: pages are only touched as far as the stream fills them.
      buffer_(std::make_unique_for_overwrite<std::uint8_t[]>(kBufferBytes)) {}

Connection::~Connection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

core::Status Connection::connect(const Url& url, std::int64_t timeout_ms) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
        return unavailable("cannot resolve camera host '" + url.host.substr(0, 255) +
                           "': " + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    const std::int64_t deadline = steady_ms() + timeout_ms;
    int last_error = ETIMEDOUT;
    for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
        Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       ai->ai_protocol));
        if (fd.get() < 0) {
            last_error = errno;
            continue;
        }
        if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                last_error = errno;
                continue;
            }
            HEARTH_ASSIGN_OR_RETURN(const bool ready, wait_for(fd.get(), POLLOUT, deadline));
            if (!ready) {
                last_error = ETIMEDOUT;
                break;
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                last_error = err;
                continue;
            }
        }
        const int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd.release();
        return {};
    }
    return unavailable(errno_text(last_error));
}

core::Result<bool> Connection::wait_for(int fd, short events, std::int64_t deadline) {
    while (true) {
        if (stop_.stopping != nullptr && *stop_.stopping) {
            return stopped();
        }
        const std::int64_t left = deadline - steady_ms();
        if (left <= 0) {
            return false;
        }
        std::array<pollfd, 2> fds{{{fd, events, 0}, {stop_.wake_fd, POLLIN, 0}}};
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return unavailable("poll failed: " + errno_text(errno));
        }
        if (fds[1].revents != 0 || (stop_.stopping != nullptr && *stop_.stopping)) {
            return stopped();
        }
        if (fds[0].revents != 0) {
            return true;
        }
    }
}

core::Result<Connection::Ready> Connection::wait(std::int64_t deadline, int other_fd) {
    while (true) {
        if (stop_.stopping != nullptr && *stop_.stopping) {
            return stopped();
        }
        const std::int64_t left = deadline - steady_ms();
        if (left <= 0) {
            return Ready::kTimeout;
        }
        std::array<pollfd, 3> fds{
            {{fd_, POLLIN, 0}, {stop_.wake_fd, POLLIN, 0}, {other_fd, POLLIN, 0}}};
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return core::make_error(core::ErrorCode::kUnavailable,
                                    "poll failed: " + errno_text(errno));
        }
        if (fds[1].revents != 0 || (stop_.stopping != nullptr && *stop_.stopping)) {
            return stopped();
        }
        if (fds[2].revents != 0) {
            return Ready::kOther;
        }
        if (fds[0].revents != 0) {
            return Ready::kSocket;
        }
    }
}

core::Status Connection::send_all(std::string_view text) {
    const std::int64_t deadline = steady_ms() + kResponseTimeoutMs;
    while (!text.empty()) {
        const ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
        if (n > 0) {
            text.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            HEARTH_ASSIGN_OR_RETURN(const bool ready, wait_for(fd_, POLLOUT, deadline));
            if (!ready) {
                return unavailable("camera stopped reading (send timed out)");
            }
            continue;
        }
        return unavailable(errno_text(errno));
    }
    return {};
}

core::Status Connection::send_frame(std::uint8_t channel, std::span<const std::uint8_t> payload) {
    if (payload.size() > 0xffff) {
        return make_error(ErrorCode::kInvalidArgument, "interleaved frame over 64 KiB");
    }
    // One send for header and payload: a frame split across two sends costs an extra segment.
    std::string frame;
    frame.reserve(4 + payload.size());
    frame.push_back('$');
    frame.push_back(static_cast<char>(channel));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
    frame.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    return send_all(frame);
}

core::Result<bool> Connection::read_some(std::int64_t deadline) {
    if (kBufferBytes - end_ < kReadChunk) {
        std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
    }
    HEARTH_ASSIGN_OR_RETURN(const bool ready, wait_for(fd_, POLLIN, deadline));
    if (!ready) {
        return false;
    }
    while (true) {
        const ssize_t n = ::recv(fd_, buffer_.get() + end_, kBufferBytes - end_, 0);
        if (n > 0) {
            end_ += static_cast<std::size_t>(n);
            return true;
        }
        if (n == 0) {
            return unavailable("camera closed the connection");
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return true;  // spurious wake-up
        }
        return unavailable(errno_text(errno));
    }
}

core::Status Connection::drain(int want_cseq, std::optional<Message>* response) {
    while (start_ < end_) {
        const std::span<const std::uint8_t> view(buffer_.get() + start_, end_ - start_);
        auto chunk = next_chunk(view);
        if (!chunk) {
            return unavailable("camera sent a malformed RTSP response (" + chunk.error().message +
                               ")");
        }
        switch (chunk->kind) {
            case ChunkKind::kNeedMore:
                return {};
            case ChunkKind::kData:
                if (on_frame_) {
                    on_frame_(chunk->channel, chunk->payload);
                }
                break;
            case ChunkKind::kJunk:
                junk_bytes_ += chunk->consumed;
                // Before PLAY nothing but responses may come: not an RTSP server at all.
                if (!media_expected_ || junk_bytes_ > kMaxJunkBytes) {
                    return unavailable("camera sent a malformed RTSP response (not RTSP)");
                }
                break;
            case ChunkKind::kMessage: {
                start_ += chunk->consumed;
                auto& m = chunk->message;
                if (!m.is_response) {
                    const std::string text =
                        "RTSP/1.0 200 OK\r\nCSeq: " + std::to_string(std::max(m.cseq(), 0)) +
                        "\r\nUser-Agent: hearth\r\n\r\n";
                    HEARTH_TRY(send_all(text));
                    continue;
                }
                if (response != nullptr && (m.cseq() == want_cseq || m.cseq() < 0)) {
                    *response = std::move(m);
                    return {};
                }
                if (m.status >= 300) {
                    spdlog::debug("rtsp: keep-alive answered {}", m.status);
                }
                continue;
            }
            case ChunkKind::kInvalid:
                break;
        }
        start_ += chunk->consumed;
    }
    start_ = end_ = 0;
    return {};
}

std::vector<Header> Connection::with_session_and_auth(std::string_view method, std::string_view uri,
                                                      std::vector<Header> headers) {
    if (!session_id_.empty()) {
        headers.push_back({"Session", session_id_});
    }
    if (auth_.active()) {
        headers.push_back({"Authorization", auth_.answer(method, uri)});
    }
    return headers;
}

core::Result<Message> Connection::request(std::string_view method, const std::string& uri,
                                          std::vector<Header> headers) {
    for (int attempt = 0;; ++attempt) {
        const int cseq = cseq_++;
        HEARTH_TRY(send_all(
            build_request(method, uri, cseq, with_session_and_auth(method, uri, headers))));
        HEARTH_ASSIGN_OR_RETURN(Message response, await_response(method, cseq));
        if (response.status != 401) {
            return response;
        }
        if (username_.empty()) {
            return make_error(ErrorCode::kUnauthenticated, "camera requires credentials (401)");
        }
        auto challenge = choose_challenge(response);
        if (!challenge) {
            return make_error(
                ErrorCode::kUnauthenticated,
                "camera rejected the credentials (401): " + challenge.error().message);
        }
        // Retry once; again only when the camera says our nonce merely went stale.
        if (attempt > 0 && !(attempt == 1 && challenge->stale)) {
            return make_error(ErrorCode::kUnauthenticated, "camera rejected the credentials (401)");
        }
        auth_ = Authenticator(username_, password_, std::move(*challenge));
    }
}

core::Status Connection::send_request(std::string_view method, const std::string& uri,
                                      std::vector<Header> headers) {
    return send_all(build_request(method, uri, cseq_++,
                                  with_session_and_auth(method, uri, std::move(headers))));
}

core::Result<Message> Connection::await_response(std::string_view method, int cseq) {
    const std::int64_t deadline = steady_ms() + kResponseTimeoutMs;
    std::optional<Message> response;
    HEARTH_TRY(drain(cseq, &response));
    while (!response) {
        HEARTH_ASSIGN_OR_RETURN(const bool got, read_some(deadline));
        if (!got) {
            return unavailable("camera did not answer " + std::string(method) + " within " +
                               std::to_string(kResponseTimeoutMs / 1000) + " s");
        }
        HEARTH_TRY(drain(cseq, &response));
    }
    return std::move(*response);
}

void Connection::teardown(const std::string& uri) {
    if (fd_ < 0 || session_id_.empty()) {
        return;
    }
    std::vector<Header> headers{{"Session", session_id_}};
    if (auth_.active()) {
        headers.push_back({"Authorization", auth_.answer("TEARDOWN", uri)});
    }
    const auto text = build_request("TEARDOWN", uri, cseq_++, headers);
    (void)::send(fd_, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace hearth::media::rtsp
