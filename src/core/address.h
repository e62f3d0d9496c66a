// Listen addresses as written by people: "127.0.0.1:8080", "[::1]:0", "localhost:0".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::core {

struct ListenAddress {
    std::string host;     // without brackets, e.g. "::1"
    std::uint16_t port = 0;  // 0: the system picks a free port

    bool is_loopback() const;
    std::string to_string() const;  // brackets around IPv6
};

// Errors: kInvalidArgument naming what is wrong, e.g. a missing or out-of-range port.
Result<ListenAddress> parse_listen_address(std::string_view text);

// A DNS host name (RFC 1123): dot-separated labels of 1-63 letters, digits and inner '-',
// 253 characters at most, one trailing dot allowed. IP literals are not host names.
bool is_dns_name(std::string_view text);

// An IP network in CIDR notation ("192.168.0.0/16", "fc00::/7").
struct IpNetwork {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;

    // True when `address` (a bare IPv4 or IPv6 literal) lies in the network.
    bool contains(std::string_view address) const;
    std::string to_string() const;
};

// Errors: kInvalidArgument for a malformed address or prefix length.
Result<IpNetwork> parse_ip_network(std::string_view text);

// Loopback and the private ranges of RFC 1918 and RFC 4193: the home network.
std::vector<IpNetwork> home_networks();

}  // namespace hearth::core
