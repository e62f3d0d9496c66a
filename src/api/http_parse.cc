#include "api/http_parse.h"

#include "core/text.h"

namespace hearth::api {
namespace {

core::Error invalid(std::string message) {
    return core::make_error(core::ErrorCode::kInvalidArgument, std::move(message));
}

core::Result<std::string> decode_query_part(std::string_view text) {
    std::string plus_as_space(text);
    for (char& c : plus_as_space) {
        if (c == '+') {
            c = ' ';
        }
    }
    auto decoded = url_decode(plus_as_space);
    if (!decoded) {
        return decoded.error();
    }
    if (decoded->find('\0') != std::string::npos) {
        return invalid("query contains a NUL byte");
    }
    return decoded;
}

// True for a raw segment holding an escape that decodes to a path separator: the router
// splits decoded paths on '/', so "%2F" would let one segment pose as two.
bool has_encoded_separator(std::string_view raw_segment) {
    for (std::size_t i = 0; i + 2 < raw_segment.size(); ++i) {
        if (raw_segment[i] != '%') {
            continue;
        }
        const int hi = core::hex_digit_value(raw_segment[i + 1]);
        const int lo = core::hex_digit_value(raw_segment[i + 2]);
        const int byte = hi * 16 + lo;
        if (hi >= 0 && lo >= 0 && (byte == '/' || byte == '\\')) {
            return true;
        }
    }
    return false;
}

}  // namespace

core::Result<std::string> url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        if (i + 2 >= text.size()) {
            return invalid("truncated percent escape");
        }
        const int hi = core::hex_digit_value(text[i + 1]);
        const int lo = core::hex_digit_value(text[i + 2]);
        if (hi < 0 || lo < 0) {
            return invalid("percent escape is not two hex digits");
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

core::Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    std::size_t pieces = 0;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) {
            continue;
        }
        if (++pieces > kMaxQueryParams) {
            return invalid("too many query parameters");
        }
        const std::size_t eq = piece.find('=');
        auto name = decode_query_part(piece.substr(0, eq));
        if (!name) {
            return name.error();
        }
        if (name->empty()) {
            return invalid("query parameter with an empty name");
        }
        std::string value;
        if (eq != std::string_view::npos) {
            auto decoded = decode_query_part(piece.substr(eq + 1));
            if (!decoded) {
                return decoded.error();
            }
            value = std::move(decoded).value();
        }
        out.insert_or_assign(std::move(name).value(), std::move(value));
    }
    return out;
}

core::Result<std::string> decode_path(std::string_view raw_path) {
    if (raw_path.empty() || raw_path.front() != '/') {
        return invalid("path must start with '/'");
    }
    std::string out;
    out.reserve(raw_path.size());
    for (const std::string_view raw_segment : split_path(raw_path)) {
        if (has_encoded_separator(raw_segment)) {
            return invalid("path segment contains an encoded separator");
        }
        auto segment = url_decode(raw_segment);
        if (!segment) {
            return segment.error();
        }
        if (*segment == "." || *segment == "..") {
            return invalid("path contains a '.' or '..' segment");
        }
        for (const char c : *segment) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) {
                return invalid("path contains a control character");
            }
            if (c == '\\') {
                return invalid("path contains a backslash");
            }
        }
        out.push_back('/');
        out += *segment;
    }
    if (out.empty()) {
        out.push_back('/');  // "/" itself; push_back also dodges a GCC 12 -Wstringop-overflow
    }
    return out;
}

core::Result<ParsedTarget> parse_target(std::string_view target) {
    const std::size_t question = target.find('?');
    ParsedTarget out;
    auto path = decode_path(target.substr(0, question));
    if (!path) {
        return path.error();
    }
    out.path = std::move(path).value();
    if (question != std::string_view::npos) {
        auto query = parse_query(target.substr(question + 1));
        if (!query) {
            return query.error();
        }
        out.query = std::move(query).value();
    }
    return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (!path.empty() && path.front() == '/') {
        path.remove_prefix(1);
    }
    if (path.empty()) {
        return out;
    }
    while (true) {
        const std::size_t slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return out;
}

std::map<std::string, std::string> parse_cookies(std::string_view header) {
    std::map<std::string, std::string> out;
    const auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
            v.remove_prefix(1);
        }
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
            v.remove_suffix(1);
        }
        return v;
    };
    while (!header.empty() && out.size() < kMaxQueryParams) {
        const auto semi = header.find(';');
        const auto piece = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
        const auto eq = piece.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            continue;
        }
        auto value = trim(piece.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        out.emplace(std::string(trim(piece.substr(0, eq))), std::string(value));
    }
    return out;
}

}  // namespace hearth::api
