// WS-Discovery (2005/04, SOAP 1.2 over UDP) as ONVIF uses it: finding cameras on the
// local network, and answering such probes (the simcam's side).
//
// Client: build_probe() asks for tds:Device / dn:NetworkVideoTransmitter with a fresh
// MessageID; parse_probe_matches() reads an answer (and refuses one whose RelatesTo is
// not our MessageID); discover() sends the probe to 239.255.255.250:3702 (or a target
// given in the options, for tests), optionally from one interface's address, and
// collects distinct answers until the timeout or max_matches.
// Device: parse_probe() reads a probe; answer_probe() gives the ProbeMatches datagram
// when the probe's types and scopes match the device (empty types match), else nothing.
//
// Every datagram is bounded (64 KiB) and parsed with the XML limits of onvif/xml.h.
// Thread-safety: free functions; discover() blocks the calling thread up to its timeout.
// Errors: kInvalidArgument for a datagram that is not what it should be; kUnavailable
// when the socket cannot be made, bound or sent from (the message says which step).
//
// Example:
//     discovery::DiscoverOptions o;
//     o.timeout = std::chrono::seconds(2);
//     HEARTH_ASSIGN_OR_RETURN(auto cameras, discovery::discover(o));
//     for (const auto& c : cameras) use(c.xaddrs.front());
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::onvif::discovery {

inline constexpr const char* kMulticastAddress = "239.255.255.250";
inline constexpr std::uint16_t kPort = 3702;

// "urn:uuid:" and a random (version 4) UUID.
std::string new_message_id();

// A Probe for ONVIF devices (types tds:Device and dn:NetworkVideoTransmitter).
std::string build_probe(std::string_view message_id);

struct Probe {
    std::string message_id;
    std::vector<std::string> types;   // local names ("NetworkVideoTransmitter")
    std::vector<std::string> scopes;  // as written
};
core::Result<Probe> parse_probe(std::string_view datagram);

struct ProbeMatch {
    std::string endpoint;             // EndpointReference Address ("urn:uuid:...")
    std::vector<std::string> types;   // local names
    std::vector<std::string> scopes;  // "onvif://www.onvif.org/name/..."
    std::vector<std::string> xaddrs;  // device service addresses
    long long metadata_version = 0;
    std::string from;  // the sender's IP address (filled in by discover())

    // The value of an ONVIF scope such as "name" or "hardware", percent-decoded ("" if none).
    std::string scope_value(std::string_view field) const;
};

// The matches in a ProbeMatches datagram whose RelatesTo is `message_id` (an empty
// `message_id` accepts any). Errors: kInvalidArgument (not ProbeMatches, wrong
// RelatesTo, malformed); a match without an endpoint or XAddrs is skipped.
core::Result<std::vector<ProbeMatch>> parse_probe_matches(std::string_view datagram,
                                                          std::string_view message_id);

// What a device advertises.
struct Advert {
    std::string endpoint;             // "urn:uuid:..." stable for the device
    std::vector<std::string> types;   // QNames with the dn and tds prefixes
    std::vector<std::string> scopes;  // ONVIF scope URIs
    std::vector<std::string> xaddrs;  // http://host:port/onvif/device_service
    long long metadata_version = 1;
};

// The ProbeMatches answer to `probe`, or nullopt when the probe asks for other types or
// scopes. Types match by local name; scopes by RFC 3986 prefix (segment-wise).
std::optional<std::string> answer_probe(const Probe& probe, const Advert& advert);

struct DiscoverOptions {
    // Send from this local IPv4 address and its interface (empty: the system's choice).
    std::string interface_address;
    std::string target_address = kMulticastAddress;  // tests give a unicast address
    std::uint16_t target_port = kPort;
    std::chrono::milliseconds timeout{3000};
    std::size_t max_matches = 64;
};

// Probes and collects distinct answers (by endpoint) until the timeout or max_matches.
// Malformed or unrelated datagrams are skipped.
core::Result<std::vector<ProbeMatch>> discover(const DiscoverOptions& options);

}  // namespace hearth::onvif::discovery
