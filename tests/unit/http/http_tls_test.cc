// HTTPS on a real HttpServer at 127.0.0.1 port 0: the TLS policy seen from an Asio client,
// clean closes, caps and the redirect-only listener.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "api/http_redirect.h"
#include "api/http_server.h"
#include "crypto/tls_identity.h"
#include "http_test_client.h"

namespace hearth::api {
namespace {

using namespace http_testing;  // NOLINT: test helpers
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;

// One identity for the whole binary: key generation is cheap, but files are not needed twice.
const crypto::TlsIdentity& identity() {
    static const crypto::TlsIdentity id = [] {
        std::string tmpl = (fs::temp_directory_path() / "hearth-http-tls-XXXXXX").string();
        const fs::path dir = ::mkdtemp(tmpl.data());
        auto made = crypto::load_or_create_tls_identity(dir);
        if (!made) {
            ADD_FAILURE() << made.error().describe();
            std::abort();
        }
        crypto::TlsIdentity out = std::move(*made);
        std::error_code ec;
        fs::remove_all(dir, ec);
        return out;
    }();
    return id;
}

TlsSettings tls_settings() { return {identity().cert_chain_pem, identity().key_pem.view()}; }

void add_routes(Router& router) {
    router.add(Method::kGet, "/api/hello",
               [](const Request&) { return Response::json(200, R"({"hello":"world"})"); });
}

struct ClientOptions {
    int version = 0;  // 0: TLS 1.2 to 1.3; else exactly this version
    const char* tls12_ciphers = nullptr;
    bool weak_allowed = false;  // lower the client's own security level to offer old things
};

// A blocking Asio TLS client that trusts exactly the hub's certificate and checks the
// name 127.0.0.1 against its SAN, as browsers and the integration harness do.
class TlsClient {
public:
    explicit TlsClient(const ClientOptions& o = {}) : ctx_(ssl::context::tls_client) {
        SSL_CTX* c = ctx_.native_handle();
        if (o.weak_allowed) {
            SSL_CTX_set_security_level(c, 0);
        }
        if (o.version != 0) {
            SSL_CTX_set_min_proto_version(c, o.version);
            SSL_CTX_set_max_proto_version(c, o.version);
        }
        if (o.tls12_ciphers != nullptr) {
            SSL_CTX_set_cipher_list(c, o.tls12_ciphers);
        }
        ctx_.set_verify_mode(ssl::verify_peer);
        ctx_.add_certificate_authority(
            net::buffer(identity().cert_chain_pem.data(), identity().cert_chain_pem.size()));
        stream_.emplace(io_, ctx_);
        SSL_set1_host(stream_->native_handle(), "127.0.0.1");
    }

    boost::system::error_code connect(std::uint16_t port) {
        boost::system::error_code ec;
        stream_->next_layer().connect({net::ip::make_address("127.0.0.1"), port}, ec);
        if (ec) {
            return ec;
        }
        stream_->handshake(ssl::stream_base::client, ec);
        return ec;
    }

    std::optional<http::response<http::string_body>> request(const std::string& target,
                                                             bool close = false) {
        http::request<http::string_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(!close);
        boost::system::error_code ec;
        http::write(*stream_, req, ec);
        if (ec) {
            return std::nullopt;
        }
        http::response<http::string_body> res;
        http::read(*stream_, buffer_, res, ec);
        if (ec) {
            return std::nullopt;
        }
        return res;
    }

    // What the next read sees: eof after a clean close_notify.
    boost::system::error_code read_end() {
        char byte = 0;
        boost::system::error_code ec;
        stream_->read_some(net::buffer(&byte, 1), ec);
        return ec;
    }

    SSL* native() { return stream_->native_handle(); }

private:
    net::io_context io_;
    ssl::context ctx_;
    std::optional<ssl::stream<tcp::socket>> stream_;
    boost::beast::flat_buffer buffer_;
};

TEST(HttpTlsTest, Tls12And13HandshakesSucceedWithForwardSecretAead) {
    Harness h;
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        TlsClient client({.version = version});
        const auto ec = client.connect(h.port());
        ASSERT_FALSE(ec) << version << ": " << ec.message();
        EXPECT_EQ(SSL_version(client.native()), version);
        const SSL_CIPHER* cipher = SSL_get_current_cipher(client.native());
        ASSERT_NE(cipher, nullptr);
        EXPECT_TRUE(SSL_CIPHER_is_aead(cipher)) << SSL_CIPHER_get_name(cipher);
        if (version == TLS1_2_VERSION) {
            EXPECT_EQ(SSL_CIPHER_get_kx_nid(cipher), NID_kx_ecdhe) << SSL_CIPHER_get_name(cipher);
        }
        auto res = client.request("/api/hello");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->result_int(), 200u);
        EXPECT_EQ(res->body(), R"({"hello":"world"})");
    }
}

TEST(HttpTlsTest, OldProtocolsAreRefused) {
    Harness h;
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    for (const int version : {TLS1_VERSION, TLS1_1_VERSION}) {
        TlsClient client(
            {.version = version, .tls12_ciphers = "DEFAULT:@SECLEVEL=0", .weak_allowed = true});
        const auto ec = client.connect(h.port());
        ASSERT_TRUE(ec) << "TLS version " << version << " was accepted";
        // The server's alert, not the client declining to offer the version.
        EXPECT_NE(ec.message().find("alert"), std::string::npos) << ec.message();
    }
}

TEST(HttpTlsTest, NonAeadAndNonForwardSecretCiphersAreRefused) {
    Harness h;
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    for (const char* cipher :
         {"AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA256", "ECDHE-RSA-AES128-SHA",
          "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"}) {
        TlsClient client(
            {.version = TLS1_2_VERSION, .tls12_ciphers = cipher, .weak_allowed = true});
        const auto ec = client.connect(h.port());
        ASSERT_TRUE(ec) << cipher << " was accepted";
        EXPECT_NE(ec.message().find("alert"), std::string::npos) << cipher << ": " << ec.message();
    }
}

TEST(HttpTlsTest, SecurityHeadersOnErrors) {
    Harness h;
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    h.server().set_default_headers(security_headers());
    TlsClient client;
    ASSERT_FALSE(client.connect(h.port()));
    auto res = client.request("/no/such/page");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 404u);
    for (const auto& [name, value] : security_headers()) {
        EXPECT_EQ((*res)[name], value) << name;
    }
    EXPECT_EQ((*res)["Strict-Transport-Security"], "max-age=31536000");
    const std::string csp((*res)["Content-Security-Policy"]);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ((*res)["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ((*res)["Referrer-Policy"], "no-referrer");
}

TEST(HttpTlsTest, ConnectionCloseEndsWithCloseNotify) {
    Harness h;
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    TlsClient client;
    ASSERT_FALSE(client.connect(h.port()));
    auto res = client.request("/api/hello", /*close=*/true);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200u);
    // eof (not stream_truncated): the server sent close_notify before closing.
    EXPECT_EQ(client.read_end(), net::error::eof);
}

TEST(HttpTlsTest, PlainHttpToTheTlsPortFailsCleanlyAndServingGoesOn) {
    Harness h;
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    Client plain;
    ASSERT_TRUE(plain.connect("127.0.0.1", h.port()));
    ASSERT_TRUE(plain.send(get("/api/hello")));
    EXPECT_TRUE(plain.closed_within(5s));
    EXPECT_EQ(plain.pending().find("hello"), std::string::npos);

    TlsClient client;
    ASSERT_FALSE(client.connect(h.port()));
    auto res = client.request("/api/hello");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200u);
}

TEST(HttpTlsTest, StalledHandshakeCountsAgainstTheCapAndTimesOut) {
    ServerLimits limits;
    limits.max_connections_per_client = 1;
    limits.read_timeout = 1s;
    Harness h(limits);
    add_routes(h.router());
    ASSERT_TRUE(h.start("127.0.0.1", tls_settings()));
    Client stalled;  // connects and never says hello
    ASSERT_TRUE(stalled.connect("127.0.0.1", h.port()));
    std::this_thread::sleep_for(100ms);
    {
        TlsClient over;
        ASSERT_FALSE(over.connect(h.port()));
        auto res = over.request("/api/hello");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->result_int(), 503u);
    }
    EXPECT_TRUE(stalled.closed_within(3s));
    std::this_thread::sleep_for(100ms);
    TlsClient after;
    ASSERT_FALSE(after.connect(h.port()));
    auto res = after.request("/api/hello");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200u);
}

TEST(HttpTlsTest, UnusableKeyIsRefusedAtStart) {
    Router router;
    net::io_context io;
    HttpServer server(io, router);
    const std::string junk = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    auto bound = server.start(
        {"127.0.0.1", 0},
        TlsSettings{identity().cert_chain_pem,
                    std::span(reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size())});
    ASSERT_FALSE(bound);
    EXPECT_EQ(bound.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(bound.error().message.find("private key"), std::string::npos)
        << bound.error().message;
}

// ---- the redirect-only listener ----

TEST(HttpRedirectTest, HostFromHeaderAcceptsOnlyNamesAndLiterals) {
    EXPECT_EQ(host_from_header("hub.local"), "hub.local");
    EXPECT_EQ(host_from_header("Hub.Local:8080"), "hub.local");
    EXPECT_EQ(host_from_header("192.0.2.20:80"), "192.0.2.20");
    EXPECT_EQ(host_from_header("[::1]"), "[::1]");
    EXPECT_EQ(host_from_header("[FE80::1]:8080"), "[fe80::1]");
    // Found by the fuzzer: inet_pton stops at a NUL and the rest was copied into Location.
    EXPECT_FALSE(host_from_header(std::string_view("[fe80::1\0\0]:8443", 14)));
    EXPECT_FALSE(host_from_header(std::string_view("1.2.3.4\0x", 9)));
    for (const char* bad :
         {"", "evil.com/x", "a b", "a\"b", "<script>", "a:b", "a:1:2", "[::1", "[zz]:1",
          "[fe80::1%eth0]", "1.2.3.4.5:80", "x:999999", "user@host", "[::1]x"}) {
        EXPECT_FALSE(host_from_header(bad)) << bad;
    }
}

TEST(HttpRedirectTest, EveryRequestGets308ToHttps) {
    Harness h;
    h.router().set_fallback(https_redirect("127.0.0.1", 8443));
    ASSERT_TRUE(h.start());

    auto r = h.exchange("GET /api/cameras?x=1&y=%20 HTTP/1.1\r\nHost: hub.local:8080\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 308u);
    EXPECT_EQ(r->header("location"), "https://hub.local:8443/api/cameras?x=1&y=%20");
    EXPECT_TRUE(r->body.empty());
    EXPECT_EQ(r->header("content-type"), "");

    auto post =
        h.exchange("POST /login HTTP/1.1\r\nHost: [::1]:8080\r\nContent-Length: 3\r\n\r\nabc");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 308u);
    EXPECT_EQ(post->header("location"), "https://[::1]:8443/login");

    auto no_host = h.exchange("GET / HTTP/1.0\r\n\r\n");
    ASSERT_TRUE(no_host);
    EXPECT_EQ(no_host->status, 308u);
    EXPECT_EQ(no_host->header("location"), "https://127.0.0.1:8443/");
}

TEST(HttpRedirectTest, HostileHostIsNotReflected) {
    Harness h;
    h.router().set_fallback(https_redirect("::1", 443));
    ASSERT_TRUE(h.start());
    for (const char* host : {"evil.com/phish?", "evil\"><script>alert(1)</script>", "a@b",
                             "evil.com:443@x", "%65vil.com"}) {
        auto r = h.exchange("GET /x HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n");
        ASSERT_TRUE(r) << host;
        EXPECT_EQ(r->status, 308u) << host;
        EXPECT_EQ(r->header("location"), "https://[::1]/x") << host;
        EXPECT_TRUE(r->body.empty());
    }
}

}  // namespace
}  // namespace hearth::api
