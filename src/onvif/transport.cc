#include "onvif/transport.h"

#include <openssl/evp.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <initializer_list>

#include "core/text.h"

namespace hearth::onvif {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using core::ErrorCode;
using core::make_error;

constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

using core::iequals;

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string hex(const unsigned char* p, unsigned n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (unsigned i = 0; i < n; ++i) {
        out += kHex[p[i] >> 4];
        out += kHex[p[i] & 15];
    }
    return out;
}

// Hex digest of the concatenation of `parts` (and `secret` after them, if given), fed
// piecewise so a password is never copied into an ordinary string.
std::string digest_hex(const EVP_MD* md, std::initializer_list<std::string_view> parts,
                       const crypto::SecretBytes* secret = nullptr) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned n = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, md, nullptr);
    for (std::string_view p : parts) {
        EVP_DigestUpdate(ctx, p.data(), p.size());
    }
    if (secret != nullptr) {
        EVP_DigestUpdate(ctx, secret->data(), secret->size());
    }
    EVP_DigestFinal_ex(ctx, out.data(), &n);
    EVP_MD_CTX_free(ctx);
    return hex(out.data(), n);
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        if (c != '\r' && c != '\n') {
            out += c;
        }
    }
    out += '"';
    return out;
}

struct Exchange {
    beast::error_code ec;
    bool timed_out = false;
    http::response_parser<http::string_body> parser;
};

}  // namespace

std::string HttpUrl::host_header() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    if (port != 80) {
        h += ":" + std::to_string(port);
    }
    return h;
}

core::Result<HttpUrl> parse_http_url(std::string_view url) {
    const auto bad = [&](std::string why) {
        return make_error(ErrorCode::kInvalidArgument,
                          "bad camera service address '" + xml::printable(url, 120) + "': " + why);
    };
    if (url.size() > 2048) {
        return bad("too long");
    }
    if (istarts_with(url, "https://")) {
        return bad("https is not supported for ONVIF services");
    }
    if (!istarts_with(url, "http://")) {
        return bad("expected http://host[:port]/path");
    }
    std::string_view rest = url.substr(7);
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    HttpUrl out;
    out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (out.target.front() == '?') {
        out.target.insert(out.target.begin(), '/');
    }
    if (authority.find('@') != std::string_view::npos) {
        return bad("credentials in the address are not accepted");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad("unclosed '['");
        }
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return bad("junk after ']'");
            }
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
    }
    if (out.host.empty()) {
        return bad("no host");
    }
    for (char c : out.host) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '/' || c == '\\') {
            return bad("bad character in the host");
        }
    }
    for (char c : out.target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) {
            return bad("bad character in the path");
        }
    }
    if (!port_text.empty()) {
        unsigned port = 0;
        const auto [ptr, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            return bad("bad port");
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    return out;
}

namespace {

core::Result<HttpResponse> exchange(const HttpUrl& u, std::string_view action,
                                    std::string_view body, const std::string& authorization,
                                    std::chrono::steady_clock::time_point deadline,
                                    std::size_t max_bytes) {
    net::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    net::steady_timer timer(io);
    beast::flat_buffer buffer;
    Exchange x;
    x.parser.body_limit(max_bytes);
    x.parser.header_limit(kMaxHeaderBytes);

    http::request<http::string_body> req{http::verb::post, u.target, 11};
    req.set(http::field::host, u.host_header());
    req.set(http::field::user_agent, "hearth");
    req.set(http::field::content_type,
            "application/soap+xml; charset=utf-8; action=\"" + std::string(action) + "\"");
    if (!authorization.empty()) {
        req.set(http::field::authorization, authorization);
    }
    req.keep_alive(false);
    req.body() = std::string(body);
    req.prepare_payload();

    const auto finish = [&](beast::error_code ec) {
        x.ec = ec;
        timer.cancel();
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.socket().close(ignored);
    };
    timer.expires_at(deadline);
    timer.async_wait([&](beast::error_code ec) {
        if (!ec) {
            x.timed_out = true;
            resolver.cancel();
            beast::error_code ignored;
            stream.socket().close(ignored);
        }
    });
    resolver.async_resolve(
        u.host, std::to_string(u.port),
        [&](beast::error_code ec, const tcp::resolver::results_type& results) {
            if (ec) {
                return finish(ec);
            }
            stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
                if (ec) {
                    return finish(ec);
                }
                http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
                    if (ec) {
                        return finish(ec);
                    }
                    http::async_read(stream, buffer, x.parser,
                                     [&](beast::error_code ec, std::size_t) { finish(ec); });
                });
            });
        });
    io.run();

    const std::string where = u.host_header();
    if (x.timed_out) {
        return make_error(ErrorCode::kUnavailable,
                          "the camera at " + where + " did not answer in time");
    }
    if (x.ec == http::error::body_limit || x.ec == http::error::buffer_overflow) {
        return make_error(ErrorCode::kInvalidArgument, "the camera at " + where +
                                                           " sent an answer larger than " +
                                                           std::to_string(max_bytes) + " bytes");
    }
    if (x.ec == http::error::header_limit) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the camera at " + where + " sent an oversized HTTP header");
    }
    if (x.ec && x.ec.category() == http::make_error_code(http::error::body_limit).category()) {
        return make_error(
            ErrorCode::kInvalidArgument,
            "the camera at " + where + " sent a malformed HTTP answer (" + x.ec.message() + ")");
    }
    if (x.ec) {
        return make_error(ErrorCode::kUnavailable,
                          "cannot reach the camera at " + where + ": " + x.ec.message());
    }
    auto& res = x.parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    for (const auto& field : res) {
        if (field.name() == http::field::www_authenticate) {
            const std::string_view v(field.value().data(), field.value().size());
            if (out.www_authenticate.empty() || istarts_with(v, "Digest")) {
                out.www_authenticate = std::string(v);
            }
        }
    }
    out.body = std::move(res.body());
    return out;
}

}  // namespace

core::Result<HttpResponse> HttpTransport::post(std::string_view url, std::string_view action,
                                               std::string_view body,
                                               const HttpCredentials* credentials) {
    HEARTH_ASSIGN_OR_RETURN(HttpUrl u, parse_http_url(url));
    const auto deadline = std::chrono::steady_clock::now() + options_.deadline;
    HEARTH_ASSIGN_OR_RETURN(HttpResponse res,
                            exchange(u, action, body, {}, deadline, options_.max_response_bytes));
    if (res.status != 401 || credentials == nullptr || credentials->password == nullptr ||
        credentials->username.empty()) {
        return res;
    }
    auto challenge = parse_digest_challenge(res.www_authenticate);
    if (!challenge) {
        return res;
    }
    const std::string cnonce = crypto::random_token_base64url(12);
    const std::string auth = digest_authorization(
        *challenge, "POST", u.target, credentials->username, *credentials->password, cnonce);
    return exchange(u, action, body, auth, deadline, options_.max_response_bytes);
}

std::optional<DigestChallenge> parse_digest_challenge(std::string_view h) {
    // A header may list several challenges ("Basic realm=x, Digest realm=y, ..."): start at
    // the Digest one.
    std::size_t start = std::string_view::npos;
    for (std::size_t i = 0; i + 6 <= h.size(); ++i) {
        if ((i == 0 || h[i - 1] == ' ' || h[i - 1] == ',') && iequals(h.substr(i, 6), "Digest") &&
            (i + 6 == h.size() || h[i + 6] == ' ')) {
            start = i + 6;
            break;
        }
    }
    if (start == std::string_view::npos || h.size() > kMaxHeaderBytes) {
        return std::nullopt;
    }
    DigestChallenge c;
    bool qop_seen = false;
    std::size_t i = start;
    while (i < h.size()) {
        while (i < h.size() && (h[i] == ' ' || h[i] == ',' || h[i] == '\t')) {
            ++i;
        }
        const std::size_t name_start = i;
        while (i < h.size() && h[i] != '=' && h[i] != ',' && h[i] != ' ') {
            ++i;
        }
        const std::string_view name = h.substr(name_start, i - name_start);
        if (i >= h.size() || h[i] != '=') {
            // A bare token is the next scheme's name: the Digest parameters are over.
            if (!name.empty() && c.nonce.empty() && c.realm.empty()) {
                continue;
            }
            break;
        }
        ++i;
        std::string value;
        if (i < h.size() && h[i] == '"') {
            ++i;
            while (i < h.size() && h[i] != '"') {
                if (h[i] == '\\' && i + 1 < h.size()) {
                    ++i;
                }
                value += h[i++];
            }
            ++i;  // closing quote (or past the end)
        } else {
            while (i < h.size() && h[i] != ',' && h[i] != ' ') {
                value += h[i++];
            }
        }
        if (iequals(name, "realm")) {
            c.realm = value;
        } else if (iequals(name, "nonce")) {
            c.nonce = value;
        } else if (iequals(name, "opaque")) {
            c.opaque = value;
        } else if (iequals(name, "algorithm")) {
            c.algorithm = value;
        } else if (iequals(name, "qop")) {
            qop_seen = true;
            std::string_view v = value;
            while (!v.empty()) {
                const auto comma = v.find(',');
                std::string_view item = v.substr(0, comma);
                while (!item.empty() && item.front() == ' ') {
                    item.remove_prefix(1);
                }
                while (!item.empty() && item.back() == ' ') {
                    item.remove_suffix(1);
                }
                if (iequals(item, "auth")) {
                    c.qop_auth = true;
                }
                v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
            }
        }
    }
    if (c.nonce.empty() || (qop_seen && !c.qop_auth)) {
        return std::nullopt;
    }
    if (iequals(c.algorithm, "MD5")) {
        c.algorithm = "MD5";
    } else if (iequals(c.algorithm, "SHA-256")) {
        c.algorithm = "SHA-256";
    } else {
        return std::nullopt;
    }
    return c;
}

std::string digest_authorization(const DigestChallenge& c, std::string_view method,
                                 std::string_view uri, std::string_view username,
                                 const crypto::SecretBytes& password, std::string_view cnonce) {
    const EVP_MD* md = c.algorithm == "SHA-256" ? EVP_sha256() : EVP_md5();
    const std::string ha1 = digest_hex(md, {username, ":", c.realm, ":"}, &password);
    const std::string ha2 = digest_hex(md, {method, ":", uri});
    constexpr std::string_view kNc = "00000001";
    const std::string response =
        c.qop_auth ? digest_hex(md, {ha1, ":", c.nonce, ":", kNc, ":", cnonce, ":auth:", ha2})
                   : digest_hex(md, {ha1, ":", c.nonce, ":", ha2});
    std::string out = "Digest username=" + quoted(username) + ", realm=" + quoted(c.realm) +
                      ", nonce=" + quoted(c.nonce) + ", uri=" + quoted(uri) +
                      ", algorithm=" + c.algorithm + ", response=" + quoted(response);
    if (c.qop_auth) {
        out += ", qop=auth, nc=" + std::string(kNc) + ", cnonce=" + quoted(cnonce);
    }
    if (!c.opaque.empty()) {
        out += ", opaque=" + quoted(c.opaque);
    }
    return out;
}

}  // namespace hearth::onvif
