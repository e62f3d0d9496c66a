#include "api/http_session.h"

#include <cctype>
#include <cstdio>
#include <random>

namespace hearth::api::detail {

std::string new_request_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits = rng();
    std::string id(12, '0');
    for (char& c : id) {
        c = kHex[bits & 0xf];
        bits >>= 4;
    }
    return id;
}

// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; by hand to stay locale-free.
std::string http_date(std::time_t now) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[40];
    const int n =
        std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                      kDays[static_cast<unsigned>(tm.tm_wday) % 7], tm.tm_mday % 100,
                      kMonths[static_cast<unsigned>(tm.tm_mon) % 12], (tm.tm_year + 1900) % 10000,
                      tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && to_lower(a) == to_lower(b);
}

bool valid_header(std::string_view name, std::string_view value) {
    if (name.empty()) {
        return false;
    }
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == ':') {
            return false;
        }
    }
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool reserved_header(std::string_view name) {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "connection") || iequals(name, "x-request-id") || iequals(name, "date");
}

Method from_verb(http::verb verb) {
    switch (verb) {
        case http::verb::get:
            return Method::kGet;
        case http::verb::head:
            return Method::kHead;
        case http::verb::post:
            return Method::kPost;
        case http::verb::put:
            return Method::kPut;
        case http::verb::patch:
            return Method::kPatch;
        case http::verb::delete_:
            return Method::kDelete;
        default:
            return Method::kInvalid;
    }
}

std::string client_ip(const net::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
    }
    return address.to_string();
}

bool is_http_error(const beast::error_code& ec) {
    return ec.category() == make_error_code(http::error::bad_method).category();
}

std::optional<Response> to_request(http::request<http::string_body>& breq, Request& req) {
    req.method = from_verb(breq.method());
    req.websocket_upgrade = beast::websocket::is_upgrade(breq);
    if (req.method == Method::kInvalid) {
        return Response::error(501, "method not implemented", req);
    }
    req.target = std::string(breq.target());
    auto target = parse_target(req.target);
    if (!target) {
        return Response::error(400, target.error().message, req);
    }
    req.path = std::move(target->path);
    req.query = std::move(target->query);
    for (const auto& field : breq) {
        auto [it, inserted] = req.headers.try_emplace(to_lower(field.name_string()), field.value());
        if (!inserted) {  // repeated fields fold into one; cookies use their own separator
            it->second.append(it->first == "cookie" ? "; " : ", ").append(field.value());
        }
    }
    req.body = std::move(breq.body());
    return std::nullopt;
}

}  // namespace hearth::api::detail
