// Webhook addresses and signatures. The address parser is written by hand: Debian's Boost 1.81
// ships Boost.URL's headers but not its library, and the grammar accepted here is a small,
// strict subset of URLs (no userinfo, no fragment, ASCII only) that is easier to check than
// to configure out of a general parser.
#include <sodium.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <string>

#include "core/address.h"
#include "core/text.h"
#include "notify/webhook.h"

namespace hearth::notify {
namespace {

using core::ErrorCode;
using core::make_error;

core::Error bad_url(const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "webhook address: " + why);
}

bool is_default_port(const WebhookUrl& u) { return u.port == (u.https ? 443 : 80); }

}  // namespace

std::string WebhookUrl::host_header() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (!is_default_port(*this)) {
        out += ":" + std::to_string(port);
    }
    return out;
}

std::string WebhookUrl::redacted() const {
    return std::string(https ? "https://" : "http://") + host_header() + "/...";
}

core::Result<WebhookUrl> parse_webhook_url(std::string_view url) {
    if (url.empty()) {
        return bad_url("empty; expected https://host[:port]/path");
    }
    if (url.size() > kMaxWebhookUrlBytes) {
        return bad_url("too long (" + std::to_string(url.size()) + " bytes; at most " +
                       std::to_string(kMaxWebhookUrlBytes) + ")");
    }
    for (char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) {
            return bad_url(
                "contains a space, a control character or a non-ASCII byte "
                "(percent-encode it)");
        }
    }
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) {
        return bad_url("expected http:// or https:// followed by a host");
    }
    const std::string_view scheme = url.substr(0, sep);
    WebhookUrl out;
    if (core::iequals(scheme, "https")) {
        out.https = true;
    } else if (!core::iequals(scheme, "http")) {
        const bool printable =
            scheme.size() <= 16 &&
            scheme.find_first_not_of(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") ==
                std::string_view::npos;
        return bad_url("the scheme " + (printable ? "'" + std::string(scheme) + "' " : "") +
                       "is not allowed: only http and https");
    }
    const std::string_view rest = url.substr(sep + 3);
    if (rest.find('#') != std::string_view::npos) {
        return bad_url("a #fragment is never sent to a server; remove it");
    }
    const auto slash = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos) {
        return bad_url(
            "a user name or password in the address is not accepted (each "
            "delivery is signed with the webhook's secret instead)");
    }
    if (slash != std::string_view::npos) {
        out.target = std::string(rest.substr(slash));
        if (out.target.front() == '?') {
            out.target.insert(out.target.begin(), '/');
        }
    }

    std::string_view host;
    std::string_view port_text;
    bool has_port = false;
    bool bracketed = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad_url("an IPv6 address is missing its closing ']'");
        }
        host = authority.substr(1, close - 1);
        bracketed = true;
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return bad_url("unexpected characters after the IPv6 address");
            }
            has_port = true;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port_text = authority.substr(colon + 1);
        }
    }
    if (host.empty()) {
        return bad_url("no host; expected https://host[:port]/path");
    }
    boost::system::error_code ec;
    if (bracketed) {
        const auto a = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec || a.scope_id() != 0) {
            return bad_url("the host is not a valid IPv6 address");
        }
    } else if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
        boost::asio::ip::make_address_v4(std::string(host), ec);
        if (ec) {
            return bad_url("the host is not a valid IPv4 address");
        }
    } else if (!core::is_dns_name(host)) {
        return bad_url("the host is not a valid host name");
    }
    out.host = std::string(host);

    out.port = out.https ? 443 : 80;
    if (has_port) {
        unsigned value = 0;
        const auto [end, perr] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (port_text.empty() || port_text.size() > 5 || perr != std::errc() ||
            end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            return bad_url("the port must be a number from 1 to 65535");
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

std::string webhook_signature(const crypto::SecretBytes& secret, std::string_view timestamp,
                              std::string_view body) {
    (void)crypto::init_sodium();  // HMAC needs no entropy; this only keeps libsodium's rule
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, secret.data(), secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(timestamp.data()),
                                  timestamp.size());
    const unsigned char dot = '.';
    crypto_auth_hmacsha256_update(&state, &dot, 1);
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                  body.size());
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&state, mac);
    sodium_memzero(&state, sizeof state);
    char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return std::string("sha256=") + hex;
}

}  // namespace hearth::notify
