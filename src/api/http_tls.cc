// The server's TLS policy. Everything here is chosen so that testssl.sh finds nothing to
// flag: no protocol below TLS 1.2, only ECDHE key exchange (forward secrecy) with AEAD
// ciphers, no compression (CRIME), no renegotiation, no TLS 1.2 session tickets (their key
// would let a thief of the hub's memory decrypt recorded sessions).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "api/http_session.h"

namespace hearth::api::detail {
namespace {

// ECDSA first for the hub's own P-256 certificate; RSA variants for a household's own
// RSA certificate. AES-GCM before ChaCha20: servers with AES-NI prefer it.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

core::Error tls_error(std::string_view what) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    char buf[256] = "unknown error";
    if (code != 0) {
        ERR_error_string_n(code, buf, sizeof buf);
    }
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "TLS setup: " + std::string(what) + ": " + buf);
}

}  // namespace

core::Result<std::unique_ptr<ssl::context>> make_server_tls_context(const TlsSettings& tls) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
        return tls_error("protocol versions");
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
    if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
        return tls_error("TLS 1.2 ciphers");
    }
    if (SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) {
        return tls_error("TLS 1.3 cipher suites");
    }
    if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
        return tls_error("key exchange groups");
    }
    beast::error_code ec;
    context->use_certificate_chain(
        net::buffer(tls.cert_chain_pem.data(), tls.cert_chain_pem.size()), ec);
    if (ec) {
        ERR_clear_error();
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "TLS setup: certificate chain: " + ec.message());
    }
    context->use_private_key(net::buffer(tls.key_pem.data(), tls.key_pem.size()), ssl::context::pem,
                             ec);
    if (ec) {
        ERR_clear_error();
        // ec.message() is OpenSSL's reason text; it never quotes the key.
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "TLS setup: private key: " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return tls_error("the private key does not match the certificate");
    }
    return context;
}

}  // namespace hearth::api::detail
