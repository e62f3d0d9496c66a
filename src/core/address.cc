#include "core/address.h"

#include <cctype>
#include <charconv>

namespace hearth::core {

bool ListenAddress::is_loopback() const {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string ListenAddress::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_dns_name(std::string_view text) {
    if (!text.empty() && text.back() == '.') {
        text.remove_suffix(1);
    }
    if (text.empty() || text.size() > 253) {
        return false;
    }
    std::size_t label = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '.') {
            if (label == 0 || text[i - 1] == '-') {
                return false;
            }
            label = 0;
            continue;
        }
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || (c == '-' && label > 0);
        if (!ok || ++label > 63) {
            return false;
        }
    }
    // All-numeric final label: that is an IPv4 literal (or garbage), not a name.
    const auto dot = text.rfind('.');
    const auto last = text.substr(dot == std::string_view::npos ? 0 : dot + 1);
    const bool numeric = last.find_first_not_of("0123456789") == std::string_view::npos;
    return text.back() != '-' && !numeric;
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
    if (text.empty() || text.size() > 256) {
        return make_error(ErrorCode::kInvalidArgument,
                          "listen address must look like HOST:PORT, e.g. 127.0.0.1:8080");
    }
    ListenAddress out;
    std::string_view port_text;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return make_error(ErrorCode::kInvalidArgument,
                              "IPv6 listen address must look like [::1]:8080");
        }
        out.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            return make_error(ErrorCode::kInvalidArgument,
                              "listen address must look like HOST:PORT (IPv6 in brackets)");
        }
        out.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    if (out.host.empty()) {
        return make_error(ErrorCode::kInvalidArgument, "listen address has no host");
    }
    const bool v6 = text.front() == '[';
    for (const char c : out.host) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                        (v6 ? c == ':' : c == '-');
        if (!ok) {
            return make_error(ErrorCode::kInvalidArgument,
                              "listen host may hold only letters, digits, '.', '-' (or an IPv6 "
                              "address in brackets)");
        }
    }
    if (v6 && out.host.find(':') == std::string::npos) {
        return make_error(ErrorCode::kInvalidArgument, "an address in brackets must be IPv6");
    }
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port_text.empty() ||
        port > 65535) {
        return make_error(ErrorCode::kInvalidArgument,
                          "listen port must be a number from 0 to 65535 (0 picks a free port)");
    }
    out.port = static_cast<std::uint16_t>(port);
    return out;
}

}  // namespace hearth::core
