// Decoding of request targets: percent escapes, query strings and safe paths.
//
// Pure functions on untrusted bytes from the network (fuzzed by tests/fuzz/http_query_fuzz.cc).
// Thread: any. Errors: kInvalidArgument with a short message safe to show to a client.
//
//     auto t = parse_target("/api/cameras/7/recordings?start=2024-01-01T00%3A00");
//     // t->path == "/api/cameras/7/recordings", t->query["start"] == "2024-01-01T00:00"
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hearth::api {

// Caps what one query string may expand to; the header limit bounds it anyway.
inline constexpr std::size_t kMaxQueryParams = 256;

// Decodes %XX escapes; '+' is left alone (only queries treat it as a space).
// Errors: a '%' not followed by two hex digits.
core::Result<std::string> url_decode(std::string_view text);

// Parses "a=1&b=x+y%21" into {a: "1", b: "x y!"}. A name without '=' has an empty value,
// empty pieces ("a=1&&b=2") are skipped and the last of repeated names wins.
// Errors: bad escapes, an empty name, a NUL byte, more than kMaxQueryParams pieces.
core::Result<std::map<std::string, std::string>> parse_query(std::string_view query);

// Decodes an origin-form path ("/api/x%20y" -> "/api/x y") segment by segment. Rejects what
// could escape a directory or fool the router: "." and ".." segments (also when encoded), an
// encoded '/' or '\' inside a segment, a literal '\', NUL and other control characters, and
// anything not starting with '/'.
core::Result<std::string> decode_path(std::string_view raw_path);

struct ParsedTarget {
    std::string path;                          // decoded, see decode_path
    std::map<std::string, std::string> query;  // see parse_query
};

// Splits a request target at the first '?' and decodes both halves.
core::Result<ParsedTarget> parse_target(std::string_view target);

// The Cookie header "a=1; b=2" as {a: "1", b: "2"}; values are not decoded. Malformed pieces
// are skipped, the first of repeated names wins (RFC 6265 §5.4 orders the most specific
// first), and at most kMaxQueryParams cookies are read.
std::map<std::string, std::string> parse_cookies(std::string_view header);

// "/a/b" -> {"a", "b"}; "/" -> {}; "/a/" -> {"a", ""}. Views point into `path`.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace hearth::api
