#include "media/proto_rtsp.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace hearth::media::rtsp {
namespace {

using core::ErrorCode;
using core::make_error;

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view s) { return core::trim(s, kWhitespace); }

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
    if (s.empty()) {
        return false;
    }
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

core::Error malformed(std::string what) {
    return make_error(ErrorCode::kInvalidArgument, "malformed RTSP message: " + std::move(what));
}

// Parses the start line into `out`.
core::Status parse_start_line(std::string_view line, Message* out) {
    if (line.starts_with("RTSP/")) {
        // "RTSP/1.0 200 OK"; the reason may be empty.
        const auto sp = line.find(' ');
        if (sp == std::string_view::npos) {
            return malformed("status line without a status code");
        }
        auto rest = line.substr(sp + 1);
        const auto sp2 = rest.find(' ');
        const auto code = rest.substr(0, sp2);
        int status = 0;
        if (code.size() != 3 || !parse_number(code, &status) || status < 100) {
            return malformed("bad status code");
        }
        out->is_response = true;
        out->status = status;
        out->reason = sp2 == std::string_view::npos ? "" : std::string(trim(rest.substr(sp2 + 1)));
        return {};
    }
    // "METHOD uri RTSP/1.0": a request from the server.
    const auto sp = line.find(' ');
    const auto sp2 = sp == std::string_view::npos ? sp : line.find(' ', sp + 1);
    if (sp == 0 || sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("RTSP/")) {
        return malformed("bad start line");
    }
    const auto method = line.substr(0, sp);
    if (!std::all_of(method.begin(), method.end(), is_token_char)) {
        return malformed("bad method");
    }
    out->is_response = false;
    out->method = std::string(method);
    out->uri = std::string(line.substr(sp + 1, sp2 - sp - 1));
    return {};
}

std::string base64_encode(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
}

// Quotes an auth-param value, escaping '"' and '\'.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
}

const char* algorithm_name(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::kMd5Sess:
            return "MD5-sess";
        case DigestAlgorithm::kSha256:
            return "SHA-256";
        case DigestAlgorithm::kMd5:
        case DigestAlgorithm::kInvalid:
            break;
    }
    return "MD5";
}

std::string random_hex(std::size_t bytes) {
    std::array<unsigned char, 32> raw{};
    bytes = std::min(bytes, raw.size());
    if (RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) {
        // Only uniqueness matters for a cnonce; fall back to the address of a stack object.
        const auto v = reinterpret_cast<std::uintptr_t>(&raw);
        std::memcpy(raw.data(), &v, std::min(sizeof v, bytes));
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        out += kHex[raw[i] >> 4];
        out += kHex[raw[i] & 15];
    }
    return out;
}

}  // namespace

const std::string* Message::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            return &h.value;
        }
    }
    return nullptr;
}

int Message::cseq() const {
    const std::string* v = header("CSeq");
    int n = -1;
    if (v == nullptr || !parse_number(std::string_view(*v), &n) || n < 0) {
        return -1;
    }
    return n;
}

std::string build_request(std::string_view method, std::string_view uri, int cseq,
                          const std::vector<Header>& headers, std::string_view body) {
    std::string out;
    out.reserve(256);
    out.append(method).append(" ").append(uri).append(" RTSP/1.0\r\n");
    out.append("CSeq: ").append(std::to_string(cseq)).append("\r\n");
    out.append("User-Agent: hearth\r\n");
    for (const auto& h : headers) {
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    if (!body.empty()) {
        out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    out.append("\r\n").append(body);
    return out;
}

core::Result<std::size_t> parse_message(std::span<const std::uint8_t> bytes, Message* out) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // Find the blank line that ends the headers; accept bare LF line ends too.
    std::size_t pos = 0;
    std::size_t header_end = std::string_view::npos;
    std::vector<std::string_view> lines;
    while (true) {
        const auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            if (text.size() > kMaxHeaderBytes) {
                return malformed("headers longer than 16 KiB");
            }
            return std::size_t{0};
        }
        if (nl + 1 > kMaxHeaderBytes) {
            return malformed("headers longer than 16 KiB");
        }
        auto line = text.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        pos = nl + 1;
        if (line.empty()) {
            if (lines.empty()) {
                continue;  // stray blank line before a message (keep-alive CRLF)
            }
            header_end = pos;
            break;
        }
        lines.push_back(line);
    }

    *out = Message{};
    HEARTH_TRY(parse_start_line(lines.front(), out));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = lines[i];
        if (line.front() == ' ' || line.front() == '\t') {
            // Obsolete line folding: continues the previous header's value.
            if (out->headers.empty()) {
                return malformed("continuation line without a header");
            }
            out->headers.back().value += ' ';
            out->headers.back().value += trim(line);
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return malformed("header line without a name");
        }
        const auto name = trim(line.substr(0, colon));
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
            return malformed("bad header name");
        }
        const auto value = trim(line.substr(colon + 1));
        if (has_control_chars(value)) {
            return malformed("control characters in a header");
        }
        out->headers.push_back(Header{std::string(name), std::string(value)});
    }

    std::size_t body_size = 0;
    if (const std::string* cl = out->header("Content-Length")) {
        if (!parse_number(std::string_view(*cl), &body_size)) {
            return malformed("bad Content-Length");
        }
        if (body_size > kMaxBodyBytes) {
            return malformed("body longer than 64 KiB");
        }
    }
    if (text.size() - header_end < body_size) {
        return std::size_t{0};
    }
    out->body = std::string(text.substr(header_end, body_size));
    return header_end + body_size;
}

core::Result<Chunk> next_chunk(std::span<const std::uint8_t> bytes) {
    Chunk c;
    if (bytes.empty()) {
        c.kind = ChunkKind::kNeedMore;
        return c;
    }
    if (bytes[0] == '$') {
        if (bytes.size() < 4) {
            c.kind = ChunkKind::kNeedMore;
            return c;
        }
        const std::size_t length = (std::size_t{bytes[2]} << 8) | bytes[3];
        if (bytes.size() < 4 + length) {
            c.kind = ChunkKind::kNeedMore;
            return c;
        }
        c.kind = ChunkKind::kData;
        c.channel = bytes[1];
        c.payload = bytes.subspan(4, length);
        c.consumed = 4 + length;
        return c;
    }
    // An RTSP message starts with "RTSP/" (response) or an upper-case method and a space.
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                                std::min<std::size_t>(bytes.size(), 32));
    constexpr std::string_view kRtsp = "RTSP/";
    bool message = false;
    bool need_more = false;
    if (text.size() < kRtsp.size() && kRtsp.starts_with(text)) {
        need_more = true;
    } else if (text.starts_with(kRtsp)) {
        message = true;
    } else {
        std::size_t i = 0;
        while (i < text.size() && ((text[i] >= 'A' && text[i] <= 'Z') || text[i] == '_')) {
            ++i;
        }
        if (i == text.size() && i < 32) {
            need_more = true;
        } else if (i > 0 && i < text.size() && text[i] == ' ') {
            message = true;
        } else if (text.front() == '\r' || text.front() == '\n') {
            message = true;  // blank lines before a message are skipped by parse_message
        }
    }
    if (need_more) {
        c.kind = ChunkKind::kNeedMore;
        return c;
    }
    if (message) {
        HEARTH_ASSIGN_OR_RETURN(const std::size_t used, parse_message(bytes, &c.message));
        c.kind = used == 0 ? ChunkKind::kNeedMore : ChunkKind::kMessage;
        c.consumed = used;
        return c;
    }
    // Junk: skip to the next byte that could start a frame or a response.
    std::size_t skip = 1;
    while (skip < bytes.size() && bytes[skip] != '$' && bytes[skip] != 'R') {
        ++skip;
    }
    c.kind = ChunkKind::kJunk;
    c.consumed = skip;
    return c;
}

Transport parse_transport(std::string_view value) {
    Transport t;
    // A server may list several transports separated by ','; the first one is its answer.
    value = value.substr(0, value.find(','));
    std::size_t pos = 0;
    while (pos <= value.size()) {
        const auto semi = value.find(';', pos);
        const auto part =
            trim(value.substr(pos, semi == std::string_view::npos ? semi : semi - pos));
        if (part.starts_with("RTP/AVP/TCP") || iequals(part, "RTP/AVP/TCP")) {
            t.tcp = true;
        } else if (part.starts_with("interleaved=")) {
            const auto range = part.substr(12);
            const auto dash = range.find('-');
            int a = -1;
            int b = -1;
            if (parse_number(range.substr(0, dash), &a) && a >= 0 && a <= 255) {
                t.interleaved_rtp = a;
                t.interleaved_rtcp = a < 255 ? a + 1 : -1;
                if (dash != std::string_view::npos && parse_number(range.substr(dash + 1), &b) &&
                    b >= 0 && b <= 255) {
                    t.interleaved_rtcp = b;
                }
            }
        }
        if (semi == std::string_view::npos) {
            break;
        }
        pos = semi + 1;
    }
    return t;
}

core::Result<Session> parse_session(std::string_view value) {
    Session s;
    const auto semi = value.find(';');
    const auto id = trim(value.substr(0, semi));
    if (id.empty() || id.size() > 256 || has_control_chars(id) ||
        id.find_first_of(" \t") != std::string_view::npos) {
        return make_error(ErrorCode::kInvalidArgument, "malformed RTSP Session header");
    }
    s.id = std::string(id);
    if (semi != std::string_view::npos) {
        auto params = value.substr(semi + 1);
        const auto t = params.find("timeout=");
        if (t != std::string_view::npos) {
            auto num = params.substr(t + 8);
            num = num.substr(0, num.find(';'));
            int timeout = 0;
            if (parse_number(trim(num), &timeout) && timeout > 0) {
                s.timeout_s = std::clamp(timeout, 5, 3600);
            }
        }
    }
    return s;
}

bool public_has(std::string_view public_header, std::string_view method) {
    std::size_t pos = 0;
    while (pos <= public_header.size()) {
        const auto comma = public_header.find(',', pos);
        const auto item =
            trim(public_header.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
        if (iequals(item, method)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        pos = comma + 1;
    }
    return false;
}

core::Result<Challenge> parse_challenge(std::string_view value) {
    value = trim(value);
    const auto sp = value.find_first_of(kWhitespace);
    const auto scheme = value.substr(0, sp);
    Challenge c;
    if (iequals(scheme, "Digest")) {
        c.scheme = AuthScheme::kDigest;
    } else if (iequals(scheme, "Basic")) {
        c.scheme = AuthScheme::kBasic;
    } else {
        return make_error(ErrorCode::kInvalidArgument, "unsupported authentication scheme '" +
                                                           std::string(scheme.substr(0, 16)) + "'");
    }
    std::string_view rest = sp == std::string_view::npos ? "" : value.substr(sp);
    // auth-param list: name=token or name="quoted \" string", separated by commas.
    std::size_t i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == ',')) {
            ++i;
        }
        if (i >= rest.size()) {
            break;
        }
        const auto eq = rest.find('=', i);
        if (eq == std::string_view::npos) {
            break;  // another scheme follows in the same header: we stop at ours
        }
        const auto name = trim(rest.substr(i, eq - i));
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
            return make_error(ErrorCode::kInvalidArgument, "malformed WWW-Authenticate header");
        }
        i = eq + 1;
        while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) {
            ++i;
        }
        std::string val;
        if (i < rest.size() && rest[i] == '"') {
            ++i;
            bool closed = false;
            while (i < rest.size()) {
                char ch = rest[i++];
                if (ch == '\\' && i < rest.size()) {
                    val += rest[i++];
                } else if (ch == '"') {
                    closed = true;
                    break;
                } else {
                    val += ch;
                }
            }
            if (!closed) {
                return make_error(ErrorCode::kInvalidArgument,
                                  "malformed WWW-Authenticate header (unterminated quote)");
            }
        } else {
            const auto end = rest.find(',', i);
            val = std::string(trim(rest.substr(i, end == std::string_view::npos ? end : end - i)));
            i = end == std::string_view::npos ? rest.size() : end;
        }
        if (iequals(name, "realm")) {
            c.realm = std::move(val);
        } else if (iequals(name, "nonce")) {
            c.nonce = std::move(val);
        } else if (iequals(name, "opaque")) {
            c.opaque = std::move(val);
        } else if (iequals(name, "stale")) {
            c.stale = iequals(val, "true");
        } else if (iequals(name, "algorithm")) {
            if (iequals(val, "MD5")) {
                c.algorithm = DigestAlgorithm::kMd5;
            } else if (iequals(val, "MD5-sess")) {
                c.algorithm = DigestAlgorithm::kMd5Sess;
            } else if (iequals(val, "SHA-256")) {
                c.algorithm = DigestAlgorithm::kSha256;
            } else {
                return make_error(ErrorCode::kInvalidArgument,
                                  "unsupported digest algorithm '" + val.substr(0, 16) + "'");
            }
        } else if (iequals(name, "qop")) {
            std::string_view q(val);
            std::size_t p = 0;
            while (p <= q.size()) {
                const auto comma = q.find(',', p);
                if (iequals(trim(q.substr(p, comma == std::string_view::npos ? comma : comma - p)),
                            "auth")) {
                    c.qop_auth = true;
                }
                if (comma == std::string_view::npos) {
                    break;
                }
                p = comma + 1;
            }
        }
    }
    if (c.scheme == AuthScheme::kDigest && c.nonce.empty()) {
        return make_error(ErrorCode::kInvalidArgument, "digest challenge without a nonce");
    }
    return c;
}

core::Result<Challenge> choose_challenge(const Message& response) {
    std::optional<Challenge> best;
    auto rank = [](const Challenge& c) {
        if (c.scheme == AuthScheme::kBasic) {
            return 1;
        }
        return c.algorithm == DigestAlgorithm::kSha256 ? 3 : 2;
    };
    for (const auto& h : response.headers) {
        if (!iequals(h.name, "WWW-Authenticate")) {
            continue;
        }
        auto c = parse_challenge(h.value);
        if (c && (!best || rank(*c) > rank(*best))) {
            best = std::move(*c);
        }
    }
    if (!best) {
        return make_error(ErrorCode::kUnauthenticated,
                          "camera asks for an authentication scheme we do not support");
    }
    return *best;
}

std::string hex_digest(DigestAlgorithm algorithm, std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int size = 0;
    const EVP_MD* type = algorithm == DigestAlgorithm::kSha256 ? EVP_sha256() : EVP_md5();
    if (EVP_Digest(text.data(), text.size(), md.data(), &size, type, nullptr) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

Authenticator::Authenticator(std::string username, std::string password, Challenge challenge)
    : username_(std::move(username)),
      password_(std::move(password)),
      challenge_(std::move(challenge)) {}

std::string Authenticator::answer(std::string_view method, std::string_view uri,
                                  std::string_view cnonce) {
    if (challenge_.scheme == AuthScheme::kBasic) {
        return "Basic " + base64_encode(username_ + ":" + password_);
    }
    if (challenge_.scheme != AuthScheme::kDigest) {
        return {};
    }
    const auto alg = challenge_.algorithm;
    const std::string cn = cnonce.empty() ? random_hex(8) : std::string(cnonce);
    std::string ha1 = hex_digest(alg, username_ + ":" + challenge_.realm + ":" + password_);
    if (alg == DigestAlgorithm::kMd5Sess) {
        ha1 = hex_digest(alg, ha1 + ":" + challenge_.nonce + ":" + cn);
    }
    const std::string ha2 = hex_digest(alg, std::string(method) + ":" + std::string(uri));
    std::string out = "Digest username=" + quoted(username_) +
                      ", realm=" + quoted(challenge_.realm) +
                      ", nonce=" + quoted(challenge_.nonce) + ", uri=" + quoted(uri);
    if (challenge_.qop_auth) {
        char nc[16];
        std::snprintf(nc, sizeof nc, "%08x", ++nonce_count_);
        const std::string response =
            hex_digest(alg, ha1 + ":" + challenge_.nonce + ":" + nc + ":" + cn + ":auth:" + ha2);
        out += ", response=" + quoted(response) + ", qop=auth, nc=" + nc + ", cnonce=" + quoted(cn);
    } else {
        out += ", response=" + quoted(hex_digest(alg, ha1 + ":" + challenge_.nonce + ":" + ha2));
    }
    if (alg != DigestAlgorithm::kMd5) {
        out += std::string(", algorithm=") + algorithm_name(alg);
    }
    if (!challenge_.opaque.empty()) {
        out += ", opaque=" + quoted(challenge_.opaque);
    }
    return out;
}

core::Result<Url> parse_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return make_error(ErrorCode::kInvalidArgument, "camera URL must start with rtsp://");
    }
    Url u;
    const auto scheme = url.substr(0, scheme_end);
    if (iequals(scheme, "rtsp")) {
        u.scheme = "rtsp";
        u.port = 554;
    } else if (iequals(scheme, "rtsps")) {
        u.scheme = "rtsps";
        u.port = 322;
    } else {
        return make_error(ErrorCode::kInvalidArgument, "camera URL must start with rtsp://");
    }
    const auto rest = url.substr(scheme_end + 3);
    const auto path_start = rest.find_first_of("/?");
    const auto authority = rest.substr(0, path_start);
    if (authority.find('@') != std::string_view::npos) {
        return make_error(ErrorCode::kInvalidArgument,
                          "camera URL must not carry credentials here");
    }
    std::string_view host;
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return make_error(ErrorCode::kInvalidArgument, "camera URL has a bad IPv6 address");
        }
        host = authority.substr(1, close - 1);
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return make_error(ErrorCode::kInvalidArgument, "camera URL has a bad port");
            }
            port = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
        }
    }
    if (host.empty() || has_control_chars(host) || host.find(' ') != std::string_view::npos) {
        return make_error(ErrorCode::kInvalidArgument, "camera URL has no host");
    }
    if (!port.empty()) {
        int p = 0;
        if (!parse_number(port, &p) || p < 1 || p > 65535) {
            return make_error(ErrorCode::kInvalidArgument, "camera URL has a bad port");
        }
        u.port = static_cast<std::uint16_t>(p);
    }
    u.host = std::string(host);
    if (path_start == std::string_view::npos) {
        u.path = "/";
    } else if (rest[path_start] == '?') {
        u.path = "/" + std::string(rest.substr(path_start));
    } else {
        u.path = std::string(rest.substr(path_start));
    }
    if (has_control_chars(u.path) || u.path.find(' ') != std::string::npos) {
        return make_error(ErrorCode::kInvalidArgument,
                          "camera URL has spaces or control characters");
    }
    return u;
}

std::vector<RtpInfo> parse_rtp_info(std::string_view value) {
    std::vector<RtpInfo> out;
    // Entries are split on "," followed by "url=": a URL itself may hold commas.
    std::size_t pos = 0;
    while (pos < value.size() && out.size() < 16) {
        auto next = value.find(",url=", pos);
        auto next_spaced = value.find(", url=", pos);
        if (next_spaced < next) {
            next = next_spaced;
        }
        const auto entry =
            value.substr(pos, next == std::string_view::npos ? value.npos : next - pos);
        pos = next == std::string_view::npos ? value.size() : next + 1;
        RtpInfo info;
        std::size_t at = 0;
        while (at <= entry.size()) {
            auto semi = entry.find(';', at);
            auto field = entry.substr(at, semi == std::string_view::npos ? entry.npos : semi - at);
            while (!field.empty() && field.front() == ' ') {
                field.remove_prefix(1);
            }
            if (field.rfind("url=", 0) == 0) {
                info.url = std::string(field.substr(4));
            } else if (field.rfind("rtptime=", 0) == 0) {
                std::uint32_t t = 0;
                const auto digits = field.substr(8);
                const auto [end, ec] =
                    std::from_chars(digits.data(), digits.data() + digits.size(), t);
                if (ec == std::errc() && end == digits.data() + digits.size()) {
                    info.rtptime = t;
                }
            }
            if (semi == std::string_view::npos) {
                break;
            }
            at = semi + 1;
        }
        if (!info.url.empty()) {
            out.push_back(std::move(info));
        }
    }
    return out;
}

bool rtp_info_matches(std::string_view info_url, std::string_view control) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && s.back() == '/') {
            s.remove_suffix(1);
        }
        return s;
    };
    info_url = trim(info_url);
    control = trim(control);
    if (info_url.empty() || control.empty()) {
        return false;
    }
    if (info_url == control) {
        return true;
    }
    // A relative url ("trackID=1" or "stream=0") matches the end of the absolute control.
    return control.size() > info_url.size() &&
           control.substr(control.size() - info_url.size()) == info_url &&
           control[control.size() - info_url.size() - 1] == '/';
}

}  // namespace hearth::media::rtsp
