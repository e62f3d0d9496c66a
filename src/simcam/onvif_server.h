// The simcam's ONVIF face: the device service over plain HTTP/1.1 (as real cameras serve
// it) with Boost.Beast, and the WS-Discovery responder, on one thread of their own.
//
// HTTP: POST only; a request is bounded (64 KiB body, 8 KiB header) and must arrive
// within 10 s; one request per connection (cameras and their clients close after each);
// at most 64 connections at once, more are closed at once.
//
// Thread: construct, start() and stop() from one thread; the server runs its own
// io_context thread. The DeviceService is called from that thread.
// Errors: start() returns kUnavailable naming the address when it cannot listen, and
// kInvalidArgument for a host that is not an IP address (or localhost).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/address.h"
#include "core/result.h"
#include "onvif/device_service.h"
#include "onvif/discovery.h"

namespace hearth::simcam {

struct OnvifFaceOptions {
    core::ListenAddress listen{"127.0.0.1", 0};
    // UDP port for the WS-Discovery responder (3702 is the standard one); nullopt: none.
    std::optional<std::uint16_t> discovery_port;
    // ONVIF scopes the discovery answers carry.
    std::vector<std::string> scopes;
};

class OnvifFace {
public:
    OnvifFace(std::shared_ptr<onvif::DeviceService> service, OnvifFaceOptions options);
    ~OnvifFace();
    OnvifFace(const OnvifFace&) = delete;
    OnvifFace& operator=(const OnvifFace&) = delete;

    // Listens and starts serving; returns the device service address
    // (http://host:port/onvif/device_service).
    core::Result<std::string> start();
    void stop();

    // The discovery responder's bound port; 0 when there is none.
    std::uint16_t discovery_port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::simcam
