// RTSP 1.0 (RFC 2326) client-side protocol: request text, response parsing, authentication
// (Basic and Digest, RFC 2617) and splitting a TCP stream into interleaved RTP/RTCP frames and
// RTSP messages. Hand-written: no Debian library offers a lean RTSP client.
//
// Pure code on byte buffers: no sockets, no threads. Every parser is bounded and fuzzed
// (tests/fuzz/proto_rtsp_fuzz.cc).
//
// Thread-safety: free functions are pure; a DigestAuth or Authenticator belongs to one thread.
//
// Example:
//   auto text = rtsp::build_request("DESCRIBE", url, cseq++, {{"Accept", "application/sdp"}});
//   ... read bytes ...
//   auto chunk = rtsp::next_chunk(buffer);  // kData frame, kResponse, or kNeedMore
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/text.h"

namespace hearth::media::rtsp {

inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;  // start line + headers
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;    // an SDP is a few KiB
inline constexpr std::size_t kMaxInterleavedFrame = 4 + 65535;

struct Header {
    std::string name;
    std::string value;
};

// A parsed RTSP message: a response ("RTSP/1.0 200 OK") or, rarely, a request the server
// sends to the client (e.g. a GET_PARAMETER ping or an ANNOUNCE).
struct Message {
    bool is_response = false;
    int status = 0;      // responses
    std::string reason;  // responses
    std::string method;  // requests
    std::string uri;     // requests
    std::vector<Header> headers;
    std::string body;

    // The first header with this name (case-insensitive), or nullptr.
    const std::string* header(std::string_view name) const;
    // CSeq as a number, or -1 when missing or malformed.
    int cseq() const;
};

// Builds a request: start line, CSeq, User-Agent "hearth", then `headers` in order, with a
// Content-Length when `body` is not empty. Header values must not contain CR or LF (they come
// from our own code and from camera responses that passed parse_message).
std::string build_request(std::string_view method, std::string_view uri, int cseq,
                          const std::vector<Header>& headers, std::string_view body = {});

// Parses one message at the start of `bytes`. Returns the bytes it spans, 0 when more bytes are
// needed. Errors: kInvalidArgument for a malformed start line or header, headers over
// kMaxHeaderBytes, a body over kMaxBodyBytes or a bad Content-Length.
core::Result<std::size_t> parse_message(std::span<const std::uint8_t> bytes, Message* out);

// What the head of a TCP stream from the server holds.
enum class ChunkKind : std::uint8_t {
    kInvalid = 0,
    kNeedMore,  // incomplete: read more bytes (consumed == 0)
    kData,      // '$' channel length payload: an interleaved RTP or RTCP packet
    kMessage,   // an RTSP response or server request, in `message`
    kJunk,      // bytes that are neither; skip `consumed` bytes (resynchronises on '$' / "RTSP")
};

struct Chunk {
    ChunkKind kind = ChunkKind::kInvalid;
    std::size_t consumed = 0;
    std::uint8_t channel = 0;               // kData
    std::span<const std::uint8_t> payload;  // kData: points into the input
    Message message;                        // kMessage
};

// Splits the next chunk off the head of `bytes`. Errors: those of parse_message, for a message
// that started cleanly and then broke (the stream cannot be trusted after that).
core::Result<Chunk> next_chunk(std::span<const std::uint8_t> bytes);

// The parts of a Transport header the client needs (server's choice of channels).
struct Transport {
    int interleaved_rtp = -1;
    int interleaved_rtcp = -1;
    bool tcp = false;
};
Transport parse_transport(std::string_view value);

// Session header: "12345678;timeout=60" -> id and timeout (default 60 s per RFC 2326).
struct Session {
    std::string id;
    int timeout_s = 60;
};
core::Result<Session> parse_session(std::string_view value);

// Splits "OPTIONS, DESCRIBE, GET_PARAMETER" and reports whether `method` is listed.
bool public_has(std::string_view public_header, std::string_view method);

// One stream of a PLAY response's RTP-Info header (RFC 2326 12.33).
struct RtpInfo {
    std::string url;
    std::optional<std::uint32_t> rtptime;
};
// Parses "url=...;seq=..;rtptime=..,url=...". Malformed entries are skipped; at most 16.
std::vector<RtpInfo> parse_rtp_info(std::string_view value);
// Whether an RTP-Info url names the stream whose control URL is `control` (servers
// write it absolute or relative, with or without a trailing slash).
bool rtp_info_matches(std::string_view info_url, std::string_view control);

enum class AuthScheme : std::uint8_t { kInvalid = 0, kBasic, kDigest };
enum class DigestAlgorithm : std::uint8_t { kInvalid = 0, kMd5, kMd5Sess, kSha256 };

// One WWW-Authenticate challenge.
struct Challenge {
    AuthScheme scheme = AuthScheme::kInvalid;
    std::string realm;
    std::string nonce;
    std::string opaque;
    DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
    bool qop_auth = false;  // "auth" was offered in qop
    bool stale = false;
};

// Parses one WWW-Authenticate value. Errors: kInvalidArgument for a scheme we do not speak
// (e.g. NTLM), a Digest without nonce, an unknown algorithm, or malformed parameters.
core::Result<Challenge> parse_challenge(std::string_view value);

// Picks the challenge to answer from a 401 response: Digest over Basic, SHA-256 over MD5.
// Errors: kUnauthenticated when no WWW-Authenticate header is usable.
core::Result<Challenge> choose_challenge(const Message& response);

// Lower-case hex digest of `text` (MD5 or SHA-256 via OpenSSL EVP).
std::string hex_digest(DigestAlgorithm algorithm, std::string_view text);

// Answers a challenge. Keeps the nonce count for qop=auth, so one instance per connection.
class Authenticator {
public:
    Authenticator() = default;
    Authenticator(std::string username, std::string password, Challenge challenge);

    bool active() const { return challenge_.scheme != AuthScheme::kInvalid; }
    const Challenge& challenge() const { return challenge_; }

    // The Authorization header value for one request. `cnonce` is for tests; empty draws 16
    // random hex digits.
    std::string answer(std::string_view method, std::string_view uri, std::string_view cnonce = {});

private:
    std::string username_;
    std::string password_;
    Challenge challenge_;
    std::uint32_t nonce_count_ = 0;
};

// "rtsp://host:port/path" split for connecting. Host without brackets.
struct Url {
    std::string scheme;  // "rtsp" or "rtsps", lower case
    std::string host;
    std::uint16_t port = 554;
    std::string path;  // from the first '/' (with query), "/" when absent
};
// Errors: kInvalidArgument for a non-rtsp scheme, credentials in the URL, no host, a bad port.
core::Result<Url> parse_url(std::string_view url);

using core::iequals;  // case-insensitive ASCII comparison

}  // namespace hearth::media::rtsp
