// Listen addresses as written by people: "127.0.0.1:8080", "[::1]:0", "localhost:0".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace hearth::core
