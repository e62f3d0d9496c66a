#include "simcam/onvif_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "onvif/xml.h"
#include "simcam/discovery_responder.h"

namespace hearth::simcam {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds kRequestTime{10};
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr int kMaxConnections = 64;

std::string url_host(const net::ip::address& a) {
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

// One request per connection: read, answer, close.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<onvif::DeviceService> service,
            std::shared_ptr<std::atomic<int>> open)
        : stream_(std::move(socket)), service_(std::move(service)), open_(std::move(open)) {
        parser_.body_limit(onvif::xml::kMaxRequestBytes);
        parser_.header_limit(kMaxHeaderBytes);
    }
    ~Session() { open_->fetch_sub(1); }

    void run() {
        stream_.expires_after(kRequestTime);
        http::async_read(
            stream_, buffer_, parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

private:
    void on_read(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            return answer(http::status::payload_too_large, "text/plain", "request too large\n");
        }
        if (ec == http::error::header_limit) {
            return answer(http::status::request_header_fields_too_large, "text/plain",
                          "header too large\n");
        }
        if (ec) {
            if (ec.category() == http::make_error_code(http::error::body_limit).category()) {
                return answer(http::status::bad_request, "text/plain", "bad request\n");
            }
            return;  // closed, timed out or reset: nothing to answer
        }
        const auto& req = parser_.get();
        if (req.method() != http::verb::post) {
            return answer(http::status::method_not_allowed, "text/plain",
                          "ONVIF services take SOAP over POST\n");
        }
        beast::error_code lec;
        const tcp::endpoint local = stream_.socket().local_endpoint(lec);
        if (lec) {
            return;
        }
        std::string_view target(req.target().data(), req.target().size());
        target = target.substr(0, target.find('?'));
        onvif::DeviceRequest request;
        request.path = target;
        request.body = req.body();
        request.host = url_host(local.address()) + ":" + std::to_string(local.port());
        onvif::DeviceResponse response = service_->handle(request);
        answer(static_cast<http::status>(response.status), "application/soap+xml; charset=utf-8",
               std::move(response.body));
    }

    void answer(http::status status, std::string_view content_type, std::string body) {
        res_.result(status);
        res_.version(11);
        res_.set(http::field::server, "hearth-simcam");
        res_.set(http::field::content_type, content_type);
        res_.keep_alive(false);
        res_.body() = std::move(body);
        res_.prepare_payload();
        stream_.expires_after(kRequestTime);
        http::async_write(stream_, res_,
                          [self = shared_from_this()](beast::error_code, std::size_t) {
                              beast::error_code ignored;
                              self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request_parser<http::string_body> parser_;
    http::response<http::string_body> res_;
    std::shared_ptr<onvif::DeviceService> service_;
    std::shared_ptr<std::atomic<int>> open_;
};

}  // namespace

struct OnvifFace::Impl {
    std::shared_ptr<onvif::DeviceService> service;
    OnvifFaceOptions options;
    net::io_context io;
    tcp::acceptor acceptor{io};
    std::unique_ptr<DiscoveryResponder> responder;
    std::uint16_t discovery_port = 0;
    std::shared_ptr<std::atomic<int>> open = std::make_shared<std::atomic<int>>(0);
    std::thread thread;
    bool started = false;

    void accept() {
        acceptor.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !acceptor.is_open()) {
                return;
            }
            if (!ec) {
                if (open->fetch_add(1) >= kMaxConnections) {
                    open->fetch_sub(1);
                    beast::error_code ignored;
                    socket.close(ignored);
                } else {
                    std::make_shared<Session>(std::move(socket), service, open)->run();
                }
            }
            accept();
        });
    }
};

OnvifFace::OnvifFace(std::shared_ptr<onvif::DeviceService> service, OnvifFaceOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->service = std::move(service);
    impl_->options = std::move(options);
}

OnvifFace::~OnvifFace() { stop(); }

core::Result<std::string> OnvifFace::start() {
    auto& o = impl_->options;
    beast::error_code ec;
    const net::ip::address address =
        net::ip::make_address(o.listen.host == "localhost" ? "127.0.0.1" : o.listen.host, ec);
    if (ec) {
        return core::make_error(
            core::ErrorCode::kInvalidArgument,
            "ONVIF listen host '" + o.listen.host + "' is not an IP address (or localhost)");
    }
    const auto fail = [&](std::string_view step) {
        beast::error_code ignored;
        impl_->acceptor.close(ignored);
        return core::make_error(core::ErrorCode::kUnavailable,
                                "simcam cannot listen for ONVIF on " + o.listen.to_string() + ": " +
                                    std::string(step) + ": " + ec.message());
    };
    const tcp::endpoint endpoint(address, o.listen.port);
    impl_->acceptor.open(endpoint.protocol(), ec);
    if (ec) {
        return fail("open");
    }
    impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    impl_->acceptor.bind(endpoint, ec);
    if (ec) {
        return fail("bind");
    }
    impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        return fail("listen");
    }
    const std::uint16_t port = impl_->acceptor.local_endpoint(ec).port();
    if (o.discovery_port) {
        onvif::discovery::Advert advert;
        advert.endpoint = onvif::discovery::new_message_id();
        advert.types = {"dn:NetworkVideoTransmitter", "tds:Device"};
        advert.scopes = o.scopes;
        advert.xaddrs = {"http://{host}:" + std::to_string(port) +
                         std::string(onvif::kDeviceServicePath)};
        impl_->responder = std::make_unique<DiscoveryResponder>(impl_->io, o.listen.host,
                                                                *o.discovery_port, advert);
        auto bound = impl_->responder->start();
        if (bound) {
            impl_->discovery_port = *bound;
        } else {
            spdlog::warn("simcam: no WS-Discovery responder: {}", bound.error().message);
            impl_->responder.reset();
        }
    }
    impl_->accept();
    impl_->thread = std::thread([this] { impl_->io.run(); });
    impl_->started = true;
    const std::string host = address.is_unspecified() ? o.listen.host : url_host(address);
    return "http://" + host + ":" + std::to_string(port) + std::string(onvif::kDeviceServicePath);
}

std::uint16_t OnvifFace::discovery_port() const { return impl_->discovery_port; }

void OnvifFace::stop() {
    if (!impl_->started) {
        return;
    }
    impl_->started = false;
    // Sessions in flight are dropped with the loop; a camera that goes away mid-request
    // is ordinary for ONVIF clients.
    impl_->io.stop();
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    if (impl_->responder) {
        impl_->responder->stop();
    }
}

}  // namespace hearth::simcam
