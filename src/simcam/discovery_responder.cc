#include "simcam/discovery_responder.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hearth::simcam {
namespace {

namespace net = boost::asio;
using udp = net::ip::udp;

constexpr std::size_t kRecentIds = 64;
constexpr int kAnswersPerSecond = 50;

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
    return s;
}

std::string url_host(const net::ip::address& a) {
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

}  // namespace

DiscoveryResponder::DiscoveryResponder(net::io_context& io, std::string host, std::uint16_t port,
                                       onvif::discovery::Advert advert)
    : io_(io),
      host_(std::move(host)),
      port_(port),
      advert_(std::move(advert)),
      unicast_(std::make_unique<Channel>(io)),
      multicast_(std::make_unique<Channel>(io)) {}

core::Result<std::uint16_t> DiscoveryResponder::start() {
    boost::system::error_code ec;
    const net::ip::address address =
        net::ip::make_address(host_ == "localhost" ? "127.0.0.1" : host_, ec);
    if (ec || !address.is_v4()) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "discovery needs an IPv4 listen address, not '" + host_ + "'");
    }
    const auto fail = [&](std::string_view step) {
        return core::make_error(core::ErrorCode::kUnavailable,
                                "discovery cannot listen on " + host_ + ":" +
                                    std::to_string(port_) + ": " + std::string(step) + ": " +
                                    ec.message());
    };
    udp::socket& unicast = unicast_->socket;
    unicast.open(udp::v4(), ec);
    if (ec) {
        return fail("open");
    }
    // Several simcams on one machine share the standard port, as several cameras would
    // share a network; every one of them sees each multicast probe.
    unicast.set_option(net::socket_base::reuse_address(true), ec);
    unicast.bind(udp::endpoint(address, port_), ec);
    if (ec) {
        return fail("bind");
    }
    port_ = unicast.local_endpoint(ec).port();

    const auto group = net::ip::make_address_v4(onvif::discovery::kMulticastAddress);
    boost::system::error_code mec;
    udp::socket& multicast = multicast_->socket;
    multicast.open(udp::v4(), mec);
    if (!mec) {
        multicast.set_option(net::socket_base::reuse_address(true), mec);
    }
    if (!mec) {
        // Bound to the group, not to any address: only multicast probes arrive here.
        multicast.bind(udp::endpoint(group, port_), mec);
    }
    if (!mec) {
        multicast.set_option(address.is_unspecified()
                                 ? net::ip::multicast::join_group(group)
                                 : net::ip::multicast::join_group(group, address.to_v4()),
                             mec);
    }
    if (mec) {
        spdlog::warn("simcam: no multicast discovery on {} ({}); unicast probes still answered",
                     host_, mec.message());
        boost::system::error_code ignored;
        multicast.close(ignored);
    } else {
        receive(*multicast_);
    }
    receive(*unicast_);
    return port_;
}

void DiscoveryResponder::stop() {
    boost::system::error_code ignored;
    unicast_->socket.close(ignored);
    multicast_->socket.close(ignored);
}

void DiscoveryResponder::receive(Channel& c) {
    c.socket.async_receive_from(
        net::buffer(c.buffer), c.peer, [this, &c](boost::system::error_code ec, std::size_t n) {
            if (ec == net::error::operation_aborted || !c.socket.is_open()) {
                return;
            }
            if (!ec) {
                on_datagram(c, n);
            }
            receive(c);
        });
}

bool DiscoveryResponder::rate_ok() {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= std::chrono::seconds(1)) {
        window_start_ = now;
        answers_in_window_ = 0;
    }
    return answers_in_window_++ < kAnswersPerSecond;
}

std::string DiscoveryResponder::host_towards(const udp::endpoint& peer) const {
    boost::system::error_code ec;
    const net::ip::address address = net::ip::make_address(host_, ec);
    if (!ec && !address.is_unspecified()) {
        return url_host(address);
    }
    // Listening on every interface: ask the routing table which local address reaches
    // the prober (connecting a UDP socket sends nothing).
    udp::socket probe(io_);
    probe.connect(peer, ec);
    if (!ec) {
        const auto local = probe.local_endpoint(ec);
        if (!ec) {
            return url_host(local.address());
        }
    }
    return "127.0.0.1";
}

void DiscoveryResponder::on_datagram(const Channel& c, std::size_t size) {
    if (size > onvif::xml::kMaxDatagramBytes) {
        return;
    }
    auto probe = onvif::discovery::parse_probe(std::string_view(c.buffer.data(), size));
    if (!probe) {
        spdlog::debug("simcam: ignored a discovery datagram: {}", probe.error().message);
        return;
    }
    // A repeat comes from the same socket; the key includes the sender because libonvif
    // (onvif-util) seeds rand() with time(), so two of its processes started in the same
    // second send the same MessageID from different ports, and both want an answer.
    std::string key = probe->message_id;
    key += ' ';
    key += c.peer.address().to_string();
    key += ':';
    key += std::to_string(c.peer.port());
    if (std::find(recent_ids_.begin(), recent_ids_.end(), key) != recent_ids_.end()) {
        return;  // the repeat of a probe already answered
    }
    recent_ids_.push_back(std::move(key));
    if (recent_ids_.size() > kRecentIds) {
        recent_ids_.pop_front();
    }
    const udp::endpoint peer = c.peer;
    onvif::discovery::Advert advert = advert_;
    const std::string host = host_towards(peer);
    for (auto& x : advert.xaddrs) {
        x = replace_all(x, "{host}", host);
    }
    auto answer = onvif::discovery::answer_probe(*probe, advert);
    if (!answer || !rate_ok()) {
        return;
    }
    boost::system::error_code ec;
    unicast_->socket.send_to(net::buffer(*answer), peer, 0, ec);
    if (ec) {
        spdlog::debug("simcam: discovery answer to {} failed: {}", peer.address().to_string(),
                      ec.message());
    }
}

}  // namespace hearth::simcam
