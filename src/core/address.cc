#include "core/address.h"

#include <arpa/inet.h>

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

namespace {

// Parses a bare address into 4 or 16 bytes; false when it is neither.
bool parse_ip(std::string_view text, bool& v6, std::array<std::uint8_t, 16>& bytes) {
    if (text.empty() || text.size() > 45) {
        return false;
    }
    const std::string s(text);
    bytes.fill(0);
    if (::inet_pton(AF_INET, s.c_str(), bytes.data()) == 1) {
        v6 = false;
        return true;
    }
    if (::inet_pton(AF_INET6, s.c_str(), bytes.data()) == 1) {
        v6 = true;
        return true;
    }
    return false;
}

}  // namespace

bool IpNetwork::contains(std::string_view address) const {
    bool addr_v6 = false;
    std::array<std::uint8_t, 16> a{};
    if (!parse_ip(address, addr_v6, a) || addr_v6 != v6) {
        return false;
    }
    for (int bit = 0; bit < prefix; ++bit) {
        const int mask = 0x80 >> (bit % 8);
        if ((a[bit / 8] & mask) != (bytes[bit / 8] & mask)) {
            return false;
        }
    }
    return true;
}

std::string IpNetwork::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
    return std::string(text) + "/" + std::to_string(prefix);
}

Result<IpNetwork> parse_ip_network(std::string_view text) {
    const auto slash = text.find('/');
    IpNetwork n;
    if (!parse_ip(text.substr(0, slash), n.v6, n.bytes)) {
        return make_error(ErrorCode::kInvalidArgument,
                          "\"" + std::string(text.substr(0, 64)) + "\" is not an IP network "
                          "like \"192.168.0.0/16\" or \"fc00::/7\"");
    }
    const int max = n.v6 ? 128 : 32;
    n.prefix = max;
    if (slash != std::string_view::npos) {
        const auto p = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n.prefix);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size() || n.prefix < 0 ||
            n.prefix > max) {
            return make_error(ErrorCode::kInvalidArgument,
                              "prefix length in \"" + std::string(text.substr(0, 64)) +
                                  "\" must be 0 to " + std::to_string(max));
        }
    }
    return n;
}

std::vector<IpNetwork> home_networks() {
    std::vector<IpNetwork> out;
    for (const char* n : {"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
                          "192.168.0.0/16", "fc00::/7"}) {
        out.push_back(*parse_ip_network(n));
    }
    return out;
}

}  // namespace hearth::core
