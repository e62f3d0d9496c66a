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

}  // namespace hearth::core
