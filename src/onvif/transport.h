// How SOAP requests reach a camera: a Transport interface (tests run Hearth's client
// against the device service in-process through a fake one) and HttpTransport, HTTP/1.1
// POST over TCP with Boost.Beast.
//
// HttpTransport: one connection per request (cameras close them anyway), a total
// deadline covering resolve, connect, write and read (5 s by default), a bound on the
// response size (1 MiB) and on its header (16 KiB), and
// `Content-Type: application/soap+xml; charset=utf-8; action="..."`. When a camera
// answers 401 with `WWW-Authenticate: Digest` and credentials were given, the request is
// sent once more with HTTP Digest (RFC 7616, MD5 or SHA-256, qop=auth).
//
// Thread-safety: HttpTransport holds no state between calls; post() may run on several
// threads at once. It blocks the calling thread for at most the deadline.
// Errors: kInvalidArgument for a URL that is not http://host[:port]/path or an answer
// that is too large or not HTTP; kUnavailable when the camera cannot be reached or does
// not answer in time (the message names host:port, never credentials).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/secret.h"
#include "onvif/xml.h"

namespace hearth::onvif {

struct HttpResponse {
    int status = 0;
    std::string content_type;
    std::string body;
    std::string www_authenticate;  // the Digest challenge if any, else the first one
};

// User name and password for HTTP Digest.
struct HttpCredentials {
    std::string username;
    const crypto::SecretBytes* password = nullptr;  // borrowed for the call
};

class Transport {
public:
    virtual ~Transport() = default;
    // POSTs the SOAP envelope `body` to `url` with SOAP action `action`. Returns the answer
    // whatever its HTTP status: callers read SOAP Faults from 4xx/5xx bodies.
    // `credentials` (may be null) is for HTTP Digest only.
    virtual core::Result<HttpResponse> post(std::string_view url, std::string_view action,
                                            std::string_view body,
                                            const HttpCredentials* credentials) = 0;
};

struct HttpUrl {
    std::string host;  // without brackets
    std::uint16_t port = 80;
    std::string target = "/";         // path and query
    std::string host_header() const;  // host[:port], brackets around IPv6
};

// http://host[:port][/path]. https is refused with a clear error (ONVIF cameras serve
// SOAP over plain HTTP; Hearth says so in its camera audit). Errors: kInvalidArgument.
core::Result<HttpUrl> parse_http_url(std::string_view url);

struct HttpTransportOptions {
    std::chrono::milliseconds deadline{5000};
    std::size_t max_response_bytes = xml::kMaxResponseBytes;
};

class HttpTransport final : public Transport {
public:
    explicit HttpTransport(HttpTransportOptions options = {}) : options_(options) {}

    core::Result<HttpResponse> post(std::string_view url, std::string_view action,
                                    std::string_view body,
                                    const HttpCredentials* credentials) override;

private:
    HttpTransportOptions options_;
};

// HTTP Digest (RFC 7616), exposed for tests and the fuzzer.
struct DigestChallenge {
    std::string realm;
    std::string nonce;
    std::string opaque;
    std::string algorithm = "MD5";  // MD5 or SHA-256
    bool qop_auth = false;
};

// Parses the Digest challenge in a WWW-Authenticate value; nullopt when it is not one
// Hearth can answer (no nonce, unknown algorithm, only qop=auth-int).
std::optional<DigestChallenge> parse_digest_challenge(std::string_view header);

// The Authorization header value answering `challenge` for `method` `uri`.
std::string digest_authorization(const DigestChallenge& challenge, std::string_view method,
                                 std::string_view uri, std::string_view username,
                                 const crypto::SecretBytes& password, std::string_view cnonce);

}  // namespace hearth::onvif
