#include "api/http.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/http_parse.h"
#include "core/result.h"

namespace hearth::api {
namespace {

bool is_param(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Client-supplied text may be any bytes; never let a bad UTF-8 sequence throw from dump().
std::string dump_json(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(Method method) {
    switch (method) {
        case Method::kGet:
            return "GET";
        case Method::kHead:
            return "HEAD";
        case Method::kPost:
            return "POST";
        case Method::kPut:
            return "PUT";
        case Method::kPatch:
            return "PATCH";
        case Method::kDelete:
            return "DELETE";
        case Method::kInvalid:
            break;
    }
    return "INVALID";
}

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
    const auto it = headers.find(std::string(lower_name));
    if (it == headers.end()) {
        return std::nullopt;
    }
    return std::string_view(it->second);
}

Response Response::later(std::function<Response()> work) {
    Response r;
    r.deferred = std::move(work);
    return r;
}

Response Response::json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response Response::error(int status, std::string_view message, const Request& req,
                         std::string_view extra_json_fields) {
    nlohmann::json object = nlohmann::json::object();
    if (!extra_json_fields.empty()) {
        std::string wrapped;
        wrapped.reserve(extra_json_fields.size() + 2);
        wrapped.append("{").append(extra_json_fields).append("}");
        auto extra = nlohmann::json::parse(wrapped, nullptr, /*allow_exceptions=*/false);
        if (extra.is_object()) {
            object = std::move(extra);
        } else {
            // A bug in the caller, not the client's fault: keep the error itself intact.
            spdlog::warn("http error response dropped malformed extra JSON fields request_id={}",
                         req.request_id);
        }
    }
    object["error"] = std::string(message);
    object["request_id"] = req.request_id;
    return json(status, dump_json(object));
}

void Router::add(Method method, std::string pattern, Handler handler) {
    HEARTH_ASSERT(!pattern.empty() && pattern.front() == '/', "route patterns start with '/'");
    HEARTH_ASSERT(method != Method::kInvalid, "routes need a real method");
    Route route{method, {}, std::move(handler)};
    for (const std::string_view segment : split_path(pattern)) {
        HEARTH_ASSERT(segment != "{}", "a {param} needs a name");
        route.segments.emplace_back(segment);
    }
    routes_.push_back(std::move(route));
}

namespace {

bool segments_match(const std::vector<std::string>& pattern,
                    const std::vector<std::string_view>& path) {
    if (pattern.size() != path.size()) {
        return false;
    }
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_param(pattern[i])) {
            if (path[i].empty()) {
                return false;
            }
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

// Same length (both matched one path): the first literal-versus-param difference decides.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const bool a_param = is_param(a[i]);
        if (a_param != is_param(b[i])) {
            return !a_param;
        }
    }
    return false;
}

}  // namespace

Router::Match Router::route(Request& req, const Handler** handler) const {
    const std::vector<std::string_view> path = split_path(req.path);
    const Route* best = nullptr;
    bool path_matched = false;
    const auto find = [&](Method method) {
        for (const Route& r : routes_) {
            if (!segments_match(r.segments, path)) {
                continue;
            }
            path_matched = true;
            if (r.method == method &&
                (best == nullptr || more_specific(r.segments, best->segments))) {
                best = &r;
            }
        }
    };
    find(req.method);
    if (best == nullptr && req.method == Method::kHead) {
        find(Method::kGet);
    }
    if (best == nullptr && !path_matched && fallback_) {
        req.params.clear();
        if (handler != nullptr) {
            *handler = &fallback_;
        }
        return Match::kFound;
    }
    if (best == nullptr) {
        return path_matched ? Match::kWrongMethod : Match::kNoPath;
    }
    req.params.clear();
    for (std::size_t i = 0; i < best->segments.size(); ++i) {
        const std::string& segment = best->segments[i];
        if (is_param(segment)) {
            req.params[segment.substr(1, segment.size() - 2)] = std::string(path[i]);
        }
    }
    if (handler != nullptr) {
        *handler = &best->handler;
    }
    return Match::kFound;
}

std::vector<Method> Router::allowed_methods(std::string_view path_text) const {
    const std::vector<std::string_view> path = split_path(path_text);
    std::vector<Method> out;
    for (const Route& r : routes_) {
        if (segments_match(r.segments, path)) {
            out.push_back(r.method);
            if (r.method == Method::kGet) {
                out.push_back(Method::kHead);
            }
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace hearth::api
