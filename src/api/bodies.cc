#include "api/bodies.h"

#include <charconv>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "api/http_parse.h"
#include "core/time_text.h"

namespace hearth::api {
namespace {

using core::ErrorCode;
using core::make_error;
using nlohmann::json;

core::Error bad(std::string message) {
    return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

core::Result<json> parse_object(std::string_view body,
                                std::initializer_list<std::string_view> allowed) {
    json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return bad("the body is not valid JSON");
    }
    if (!j.is_object()) {
        return bad("the body must be a JSON object");
    }
    for (const auto& [key, value] : j.items()) {
        bool known = false;
        for (const auto a : allowed) {
            known = known || key == a;
        }
        if (!known) {
            return bad("unknown field '" + key.substr(0, 32) + "'");
        }
    }
    return j;
}

// A string field: `required` or empty when absent.
core::Result<std::string> text(json& j, const char* name, bool required,
                               std::size_t max = kMaxBodyFieldBytes) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        if (required) {
            return bad(std::string("'") + name + "' is required");
        }
        return std::string();
    }
    if (!it->is_string()) {
        return bad(std::string("'") + name + "' must be a string");
    }
    auto& s = it->get_ref<std::string&>();
    if (s.size() > max) {
        return bad(std::string("'") + name + "' is longer than " + std::to_string(max) + " bytes");
    }
    if (required && s.empty()) {
        return bad(std::string("'") + name + "' must not be empty");
    }
    return s;
}

// A passphrase field, moved into guarded memory and wiped from the parsed JSON.
core::Result<crypto::SecretBytes> secret(json& j, const char* name, bool required) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        if (required) {
            return bad(std::string("'") + name + "' is required");
        }
        return crypto::SecretBytes();
    }
    if (!it->is_string()) {
        return bad(std::string("'") + name + "' must be a string");
    }
    auto& s = it->get_ref<std::string&>();
    if (s.size() > kMaxBodyFieldBytes) {
        crypto::wipe(s);
        return bad(std::string("'") + name + "' is longer than " +
                   std::to_string(kMaxBodyFieldBytes) + " bytes");
    }
    if (required && s.empty()) {
        return bad(std::string("'") + name + "' must not be empty");
    }
    auto out = crypto::SecretBytes::copy_of(std::string_view(s));
    crypto::wipe(s);
    return out;
}

core::Result<RightsByCamera> rights(const json& j) {
    if (!j.is_object()) {
        return bad("'rights' must be an object like {\"all\": [\"live\"], \"3\": [\"ptz\"]}");
    }
    if (j.size() > 1024) {
        return bad("'rights' names too many cameras");
    }
    RightsByCamera out;
    for (const auto& [key, value] : j.items()) {
        std::int64_t camera = 0;
        if (key != "all") {
            const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), camera);
            if (ec != std::errc() || end != key.data() + key.size() || camera <= 0) {
                return bad("'rights' keys are camera ids or \"all\"");
            }
        }
        if (!value.is_array() || value.size() > 16) {
            return bad("each entry of 'rights' is a list of right names");
        }
        auto& names = out[camera];
        for (const auto& v : value) {
            if (!v.is_string() || v.get_ref<const std::string&>().size() > 32) {
                return bad("each right is a name: live, recordings, ptz, talk, share, manage");
            }
            names.push_back(v.get<std::string>());
        }
    }
    return out;
}

}  // namespace

core::Result<SetupBody> parse_setup_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"code", "username", "password"}));
    SetupBody out;
    HEARTH_ASSIGN_OR_RETURN(out.code, text(j, "code", true, 64));
    HEARTH_ASSIGN_OR_RETURN(out.username, text(j, "username", true, 64));
    HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", true));
    return out;
}

core::Result<RecoverBody> parse_recover_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"username", "recovery_key", "password"}));
    RecoverBody out;
    HEARTH_ASSIGN_OR_RETURN(out.username, text(j, "username", true, 64));
    HEARTH_ASSIGN_OR_RETURN(out.recovery_key, secret(j, "recovery_key", true));
    HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", true));
    return out;
}

core::Result<LoginBody> parse_login_body(std::string_view body, bool form) {
    LoginBody out;
    if (form) {
        auto fields = parse_query(body);
        if (!fields) {
            return bad("the form is malformed: " + fields.error().message);
        }
        json j = json::object();
        for (auto& [k, v] : *fields) {
            j[k] = std::move(v);
            crypto::wipe(v);
        }
        HEARTH_ASSIGN_OR_RETURN(out.username, text(j, "username", true, 64));
        HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", true));
        HEARTH_ASSIGN_OR_RETURN(out.code, text(j, "code", false, 64));
        return out;
    }
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"username", "password", "code"}));
    HEARTH_ASSIGN_OR_RETURN(out.username, text(j, "username", true, 64));
    HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", true));
    HEARTH_ASSIGN_OR_RETURN(out.code, text(j, "code", false, 64));
    return out;
}

core::Result<ReauthBody> parse_reauth_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"password", "code"}));
    ReauthBody out;
    HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", false));
    HEARTH_ASSIGN_OR_RETURN(out.code, text(j, "code", false, 64));
    if (out.password.empty() == out.code.empty()) {
        return bad("give either 'password' or 'code'");
    }
    return out;
}

core::Result<PasswordChangeBody> parse_password_change_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"old_password", "new_password"}));
    PasswordChangeBody out;
    HEARTH_ASSIGN_OR_RETURN(out.old_password, secret(j, "old_password", true));
    HEARTH_ASSIGN_OR_RETURN(out.new_password, secret(j, "new_password", true));
    return out;
}

core::Result<CodeBody> parse_code_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"code"}));
    CodeBody out;
    HEARTH_ASSIGN_OR_RETURN(out.code, text(j, "code", true, 64));
    return out;
}

core::Result<NewUserBody> parse_new_user_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"username", "role", "password", "rights"}));
    NewUserBody out;
    HEARTH_ASSIGN_OR_RETURN(out.username, text(j, "username", true, 64));
    HEARTH_ASSIGN_OR_RETURN(out.role, text(j, "role", true, 16));
    HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", true));
    if (const auto it = j.find("rights"); it != j.end() && !it->is_null()) {
        HEARTH_ASSIGN_OR_RETURN(out.rights, rights(*it));
    }
    return out;
}

core::Result<UserPatchBody> parse_user_patch_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"role", "rights"}));
    UserPatchBody out;
    if (j.contains("role")) {
        HEARTH_ASSIGN_OR_RETURN(auto role, text(j, "role", true, 16));
        out.role = std::move(role);
    }
    if (const auto it = j.find("rights"); it != j.end()) {
        HEARTH_ASSIGN_OR_RETURN(auto r, rights(*it));
        out.rights = std::move(r);
    }
    if (!out.role && !out.rights) {
        return bad("give 'role', 'rights' or both");
    }
    return out;
}

core::Result<CameraPatchBody> parse_camera_patch_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"name", "enabled"}));
    CameraPatchBody out;
    if (j.contains("name")) {
        HEARTH_ASSIGN_OR_RETURN(auto name, text(j, "name", true, 64));
        for (const unsigned char c : name) {
            if (c < 0x20 || c == 0x7f) {
                return bad("'name' must not contain control characters");
            }
        }
        out.name = std::move(name);
    }
    if (const auto it = j.find("enabled"); it != j.end()) {
        if (!it->is_boolean()) {
            return bad("'enabled' must be true or false");
        }
        out.enabled = it->get<bool>();
    }
    if (!out.name && !out.enabled) {
        return bad("give 'name', 'enabled' or both");
    }
    return out;
}

namespace {

// A time field as text: ISO 8601 as a string, or Unix seconds as a string or a number.
core::Result<std::string> time_text(json& j, const char* name) {
    const auto it = j.find(name);
    if (it != j.end() && it->is_number()) {
        const double v = it->get<double>();
        if (!(v >= 0 && v < 1e11)) {
            return bad(std::string("'") + name + "' is out of range");
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6f", v);
        return std::string(buf);
    }
    return text(j, name, false, 64);
}

}  // namespace

core::Result<DeleteRecordingsBody> parse_delete_recordings_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"camera", "all", "start", "end"}));
    DeleteRecordingsBody out;
    if (const auto it = j.find("camera"); it != j.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() <= 0) {
            return bad("'camera' must be a camera id");
        }
        out.camera = it->get<std::int64_t>();
    }
    if (const auto it = j.find("all"); it != j.end() && !it->is_null()) {
        if (!it->is_boolean()) {
            return bad("'all' must be true or false");
        }
        out.all = it->get<bool>();
    }
    HEARTH_ASSIGN_OR_RETURN(const auto start, time_text(j, "start"));
    HEARTH_ASSIGN_OR_RETURN(const auto end, time_text(j, "end"));
    if (out.all) {
        if (!start.empty() || !end.empty()) {
            return bad("give either 'all': true or 'start' and 'end', not both");
        }
        return out;
    }
    if (start.empty() || end.empty()) {
        return bad("give 'start' and 'end' (ISO 8601 or Unix seconds), or 'all': true");
    }
    auto from = core::parse_time(start);
    auto to = core::parse_time(end);
    if (!from || !to) {
        return bad("'start' and 'end' must be ISO 8601 times or Unix seconds");
    }
    if (*to <= *from) {
        return bad("'end' must be after 'start'");
    }
    out.start_us = *from;
    out.end_us = *to;
    return out;
}

namespace {

// An integer field in [lo, hi]; `fallback` when absent.
core::Result<std::int64_t> integer(const json& j, const char* name, std::int64_t lo,
                                   std::int64_t hi, std::int64_t fallback) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        return fallback;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
        return bad(std::string("'") + name + "' must be a whole number from " +
                   std::to_string(lo) + " to " + std::to_string(hi));
    }
    return it->get<std::int64_t>();
}

}  // namespace

core::Result<NewShareBody> parse_new_share_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"kind", "start", "end", "expires_in_s",
                                                        "passcode", "max_views", "blur_faces",
                                                        "label"}));
    NewShareBody out;
    HEARTH_ASSIGN_OR_RETURN(out.kind, text(j, "kind", true, 8));
    if (out.kind != "clip" && out.kind != "live") {
        return bad("'kind' is 'clip' or 'live'");
    }
    HEARTH_ASSIGN_OR_RETURN(out.label, text(j, "label", true, 64));
    HEARTH_ASSIGN_OR_RETURN(out.expires_in_s, integer(j, "expires_in_s", 60, 7 * 24 * 3600,
                                                      24 * 3600));
    HEARTH_ASSIGN_OR_RETURN(out.max_views, integer(j, "max_views", 0, 1000, 0));
    HEARTH_ASSIGN_OR_RETURN(out.passcode, secret(j, "passcode", false));
    if (const auto it = j.find("blur_faces"); it != j.end() && !it->is_null()) {
        if (!it->is_boolean()) {
            return bad("'blur_faces' must be true or false");
        }
        out.blur_faces = it->get<bool>();
    }
    HEARTH_ASSIGN_OR_RETURN(const auto start, time_text(j, "start"));
    HEARTH_ASSIGN_OR_RETURN(const auto end, time_text(j, "end"));
    if (out.kind == "live") {
        if (!start.empty() || !end.empty() || out.blur_faces) {
            return bad("a live link takes no 'start', 'end' or 'blur_faces'");
        }
        return out;
    }
    auto from = core::parse_time(start);
    auto to = core::parse_time(end);
    if (start.empty() || end.empty() || !from || !to) {
        return bad("a clip needs 'start' and 'end' (ISO 8601 or Unix seconds)");
    }
    if (*to <= *from) {
        return bad("'end' must be after 'start'");
    }
    out.start_us = *from;
    out.end_us = *to;
    return out;
}

core::Result<ShareOpenBody> parse_share_open_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(auto j, parse_object(body, {"token", "passcode"}));
    ShareOpenBody out;
    HEARTH_ASSIGN_OR_RETURN(out.token, text(j, "token", true, 128));
    HEARTH_ASSIGN_OR_RETURN(out.passcode, secret(j, "passcode", false));
    return out;
}

core::Result<PtzBody> parse_ptz_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(
        auto j, parse_object(body, {"action", "pan", "tilt", "zoom", "timeout_ms", "name"}));
    HEARTH_ASSIGN_OR_RETURN(const auto action, text(j, "action", true, 32));
    using A = PtzBody::Action;
    static constexpr std::pair<std::string_view, A> kActions[] = {
        {"continuous", A::kContinuous},
        {"relative", A::kRelative},
        {"absolute", A::kAbsolute},
        {"stop", A::kStop},
        {"home", A::kHome},
        {"preset", A::kPreset},
        {"save_preset", A::kSavePreset},
        {"remove_preset", A::kRemovePreset},
        {"release", A::kRelease}};
    PtzBody out;
    for (const auto& [name, value] : kActions) {
        if (action == name) {
            out.action = value;
        }
    }
    if (out.action == A::kInvalid) {
        return bad(
            "'action' must be one of continuous, relative, absolute, stop, home, preset, "
            "save_preset, remove_preset, release");
    }
    const bool move =
        out.action == A::kContinuous || out.action == A::kRelative || out.action == A::kAbsolute;
    // Each axis: absent is 0 (absolute needs all three), present is a number within range.
    auto axis = [&](const char* key, double lo, double hi, double& value) -> core::Status {
        const auto it = j.find(key);
        if (it == j.end()) {
            if (out.action == A::kAbsolute) {
                return bad(std::string("'") + key + "' is required for an absolute move");
            }
            return {};
        }
        if (!move) {
            return bad(std::string("'") + key + "' is only for moves");
        }
        if (!it->is_number() || !(it->get<double>() >= lo && it->get<double>() <= hi)) {
            return bad(std::string("'") + key + "' must be a number from " +
                       std::to_string(static_cast<int>(lo)) + " to " +
                       std::to_string(static_cast<int>(hi)));
        }
        value = it->get<double>();
        return {};
    };
    const double pt = out.action == A::kRelative ? 2 : 1;
    HEARTH_TRY(axis("pan", -pt, pt, out.pan));
    HEARTH_TRY(axis("tilt", -pt, pt, out.tilt));
    HEARTH_TRY(axis("zoom", out.action == A::kAbsolute ? 0 : -1, 1, out.zoom));
    if (const auto it = j.find("timeout_ms"); it != j.end()) {
        if (out.action != A::kContinuous) {
            return bad("'timeout_ms' is only for continuous moves");
        }
        if (!it->is_number_integer() || it->get<std::int64_t>() < 100 ||
            it->get<std::int64_t>() > 2000) {
            return bad("'timeout_ms' must be an integer from 100 to 2000");
        }
        out.timeout_ms = it->get<int>();
    }
    const bool named =
        out.action == A::kPreset || out.action == A::kSavePreset || out.action == A::kRemovePreset;
    if (named) {
        HEARTH_ASSIGN_OR_RETURN(out.name, text(j, "name", true, 64));
        for (const unsigned char c : out.name) {
            if (c < 0x20 || c == 0x7f) {
                return bad("'name' must not contain control characters");
            }
        }
    } else if (j.contains("name")) {
        return bad("'name' is only for preset actions");
    }
    return out;
}

core::Result<NewCameraBody> parse_new_camera_body(std::string_view body) {
    HEARTH_ASSIGN_OR_RETURN(
        auto j, parse_object(body, {"name", "onvif", "rtsp", "username", "password", "check"}));
    NewCameraBody out;
    HEARTH_ASSIGN_OR_RETURN(out.password, secret(j, "password", false));
    HEARTH_ASSIGN_OR_RETURN(out.name, text(j, "name", true, 64));
    for (const unsigned char c : out.name) {
        if (c < 0x20 || c == 0x7f) {
            return bad("'name' must not contain control characters");
        }
    }
    HEARTH_ASSIGN_OR_RETURN(out.onvif, text(j, "onvif", false, 512));
    HEARTH_ASSIGN_OR_RETURN(out.rtsp, text(j, "rtsp", false, 512));
    if (out.onvif.empty() == out.rtsp.empty()) {
        return bad("give 'onvif' (the camera's ONVIF address) or 'rtsp' (its stream address)");
    }
    HEARTH_ASSIGN_OR_RETURN(out.username, text(j, "username", false, 128));
    for (const unsigned char c : out.username) {
        if (c < 0x20 || c == 0x7f || c == ':') {
            return bad("'username' must not contain control characters or ':'");
        }
    }
    if (out.username.empty() && !out.password.empty()) {
        return bad("a password needs a 'username'");
    }
    if (const auto it = j.find("check"); it != j.end()) {
        if (!it->is_boolean()) {
            return bad("'check' must be true or false");
        }
        out.check = it->get<bool>();
    }
    return out;
}

}  // namespace hearth::api
