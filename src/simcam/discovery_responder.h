// The simcam's WS-Discovery responder: answers Probes for ONVIF devices with the
// device service address, as IP cameras do.
//
// Two UDP sockets on the listen host's interface: one bound to the group
// 239.255.255.250:PORT and joined to it there (multicast probes), one bound to
// HOST:PORT (unicast probes, which tests and directed discovery use). Answers go back to
// the prober from HOST:PORT. Probes are deduplicated by MessageID and sender (a prober repeats its
// multicast), and answers are limited to 50 a second so the responder cannot be turned
// into a flood.
//
// Thread: runs on the io_context it is given (one thread); start()/stop() from the
// owner's thread before that thread runs / after it has stopped.
// Errors: start() returns kUnavailable when the unicast socket cannot be bound; a failed
// multicast join is logged and leaves unicast answers working.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/address.h"
#include "core/result.h"
#include "onvif/discovery.h"
#include "onvif/xml.h"

namespace hearth::simcam {

class DiscoveryResponder {
public:
    // `advert.xaddrs` holds paths' templates: every "{host}" is replaced with the address
    // the prober can reach this host at.
    DiscoveryResponder(boost::asio::io_context& io, std::string host, std::uint16_t port,
                       onvif::discovery::Advert advert);

    // Binds and starts receiving; returns the bound port.
    core::Result<std::uint16_t> start();
    void stop();

private:
    // A socket with its own receive buffer: both sockets may have a datagram copied in
    // before either handler runs.
    struct Channel {
        explicit Channel(boost::asio::io_context& io) : socket(io) {}
        boost::asio::ip::udp::socket socket;
        boost::asio::ip::udp::endpoint peer;
        std::array<char, onvif::xml::kMaxDatagramBytes + 1> buffer{};
    };

    void receive(Channel& channel);
    void on_datagram(const Channel& channel, std::size_t size);
    bool rate_ok();
    std::string host_towards(const boost::asio::ip::udp::endpoint& peer) const;

    boost::asio::io_context& io_;
    std::string host_;
    std::uint16_t port_;
    onvif::discovery::Advert advert_;
    std::unique_ptr<Channel> unicast_;
    std::unique_ptr<Channel> multicast_;
    std::deque<std::string> recent_ids_;  // "MessageID host:port" of probes answered
    std::chrono::steady_clock::time_point window_start_{};
    int answers_in_window_ = 0;
};

}  // namespace hearth::simcam
