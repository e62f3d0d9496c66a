#include "auth/permissions.h"

#include <array>
#include <utility>

namespace hearth::auth {
namespace {

constexpr std::array<std::pair<Right, const char*>, 6> kRightNames = {{
    {Right::kLive, "live"},
    {Right::kRecordings, "recordings"},
    {Right::kPtz, "ptz"},
    {Right::kTalk, "talk"},
    {Right::kShare, "share"},
    {Right::kManage, "manage"},
}};

}  // namespace

const char* to_string(Role role) {
    switch (role) {
        case Role::kOwner: return "owner";
        case Role::kMember: return "member";
        case Role::kGuest: return "guest";
        case Role::kInvalid: break;
    }
    return "invalid";
}

core::Result<Role> parse_role(std::string_view text) {
    if (text == "owner") return Role::kOwner;
    if (text == "member") return Role::kMember;
    if (text == "guest") return Role::kGuest;
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "role must be owner, member or guest (got '" +
                                std::string(text.substr(0, 32)) + "')");
}

const char* to_string(Right right) {
    for (const auto& [r, name] : kRightNames) {
        if (r == right) {
            return name;
        }
    }
    return "invalid";
}

core::Result<Right> parse_right(std::string_view text) {
    for (const auto& [r, name] : kRightNames) {
        if (text == name) {
            return r;
        }
    }
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "unknown right '" + std::string(text.substr(0, 32)) +
                                "' (rights: live, recordings, ptz, talk, share, manage)");
}

std::vector<std::string> right_names(Rights rights) {
    std::vector<std::string> out;
    for (const auto& [r, name] : kRightNames) {
        if ((rights & bit(r)) != 0) {
            out.emplace_back(name);
        }
    }
    return out;
}

core::Result<Rights> parse_rights(const std::vector<std::string>& names) {
    Rights out = 0;
    for (const auto& name : names) {
        HEARTH_ASSIGN_OR_RETURN(const Right r, parse_right(name));
        out |= bit(r);
    }
    return out;
}

core::Status check_grant(Role role, const store::CameraRights& rights) {
    for (const auto& [camera, bits] : rights) {
        if (camera < 0) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "camera ids in rights are positive (0: every camera)");
        }
        if ((bits & ~kAllRights) != 0) {
            return core::make_error(core::ErrorCode::kInvalidArgument, "unknown right bits");
        }
        if (role == Role::kGuest && (bits & ~kGuestMaxRights) != 0) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "a guest may only be given live and recordings rights");
        }
    }
    return {};
}

Rights Principal::rights_on(core::CameraId camera) const {
    if (role == Role::kOwner) {
        return kAllRights;
    }
    if (role == Role::kInvalid) {
        return 0;
    }
    Rights out = 0;
    if (const auto all = rights.find(0); all != rights.end()) {
        out |= all->second;
    }
    if (camera.valid()) {
        if (const auto it = rights.find(camera.value()); it != rights.end()) {
            out |= it->second;
        }
    }
    if (role == Role::kGuest) {
        out &= kGuestMaxRights;  // even a row written behind our back cannot widen a guest
    }
    return out;
}

}  // namespace hearth::auth
