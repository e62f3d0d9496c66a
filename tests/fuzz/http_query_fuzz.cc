// Feeds untrusted bytes to the request-target decoders, the router and the redirect
// listener's Host check; must never crash.
// Besides memory safety it checks the promises the server relies on.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/http.h"
#include "api/http_parse.h"
#include "api/http_redirect.h"

namespace {

using hearth::api::Method;
using hearth::api::Request;
using hearth::api::Response;
using hearth::api::Router;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

const Router& router() {
    static const Router r = [] {
        Router table;
        const auto ok = [](const Request&) { return Response::json(200, "{}"); };
        table.add(Method::kGet, "/api/cameras", ok);
        table.add(Method::kGet, "/api/cameras/{id}/recordings", ok);
        table.add(Method::kPost, "/api/cameras/{id}/ptz/{action}", ok);
        table.add(Method::kGet, "/files/{name}", ok);
        return table;
    }();
    return r;
}

}  // namespace

// Malformed extras make Response::error log a warning; at fuzzing speed that is just noise.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    spdlog::set_level(spdlog::level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    if (auto decoded = hearth::api::url_decode(input)) {
        check(decoded->size() <= input.size());
    }

    if (auto query = hearth::api::parse_query(input)) {
        check(query->size() <= hearth::api::kMaxQueryParams);
        for (const auto& [name, value] : *query) {
            check(!name.empty());
            check(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
        }
    }

    if (auto path = hearth::api::decode_path(input)) {
        check(!path->empty() && path->front() == '/');
        for (const std::string_view segment : hearth::api::split_path(*path)) {
            check(segment != "." && segment != "..");
            for (const char c : segment) {
                check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\\');
            }
        }
    }

    // What goes into a redirect's Location: a name or an IP literal, nothing that could end
    // the host part or the header.
    if (auto host = hearth::api::host_from_header(input)) {
        check(!host->empty() && host->size() <= input.size());
        for (const char c : *host) {
            const bool name = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                              c == '-';
            check(name || c == ':' || c == '[' || c == ']');
        }
    }

    if (auto target = hearth::api::parse_target(input)) {
        Request req;
        req.method = size % 2 == 0 ? Method::kGet : Method::kHead;
        req.path = target->path;
        const hearth::api::Handler* handler = nullptr;
        if (router().route(req, &handler) == Router::Match::kFound) {
            check(handler != nullptr);
            for (const auto& [name, value] : req.params) {
                check(!value.empty() && value.find('/') == std::string::npos);
            }
        }
        (void)router().allowed_methods(req.path);
        const Response error = Response::error(400, input, req, input.substr(0, 64));
        check(!error.body.empty());
    }
    return 0;
}
