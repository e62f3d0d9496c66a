#include "api/http_redirect.h"

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <utility>

#include "core/address.h"

namespace hearth::api {
namespace {

bool valid_port(std::string_view text) {
    return !text.empty() && text.size() <= 5 &&
           text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::optional<std::string> host_from_header(std::string_view value) {
    if (value.empty() || value.size() > 260) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    if (value.front() == '[') {
        const auto close = value.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        const auto rest = value.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !valid_port(rest.substr(1)))) {
            return std::nullopt;
        }
        const std::string literal(value.substr(1, close - 1));
        // inet_pton stops at a NUL, so check the characters first; a zone id ("%eth0")
        // means nothing to a browser on another machine and is refused the same way.
        if (literal.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
            return std::nullopt;
        }
        boost::asio::ip::make_address_v6(literal, ec);
        return ec ? std::nullopt : std::optional<std::string>("[" + lower(literal) + "]");
    }
    const auto colon = value.find(':');
    std::string_view host = value.substr(0, colon);
    if (colon != std::string_view::npos && !valid_port(value.substr(colon + 1))) {
        return std::nullopt;
    }
    if (core::is_dns_name(host)) {
        return lower(host);
    }
    if (host.find_first_not_of("0123456789.") != std::string_view::npos) {
        return std::nullopt;  // see above: inet_pton must not see a NUL
    }
    boost::asio::ip::make_address_v4(std::string(host), ec);
    return ec ? std::nullopt : std::optional<std::string>(std::string(host));
}

Handler https_redirect(std::string fallback_host, std::uint16_t https_port) {
    if (fallback_host.find(':') != std::string::npos) {
        fallback_host = "[" + fallback_host + "]";
    }
    const std::string port_suffix = https_port == 443 ? "" : ":" + std::to_string(https_port);
    return [fallback = std::move(fallback_host), port_suffix](const Request& req) {
        std::string host = fallback;
        if (const auto header = req.header("host")) {
            host = host_from_header(*header).value_or(fallback);
        }
        // The server only routes origin-form targets ("/..."); anything else goes to the root.
        const std::string target =
            !req.target.empty() && req.target.front() == '/' ? req.target : "/";
        Response r;
        r.status = 308;
        r.content_type.clear();
        r.headers.emplace_back("Location", "https://" + host + port_suffix + target);
        return r;
    };
}

}  // namespace hearth::api
