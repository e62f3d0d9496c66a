// Roles, per-camera rights and the Principal a request acts as.
//
// owner: everything, including accounts and the audit log. member and guest:
// only the rights granted per camera (camera id 0 grants on every camera). A
// member may be granted any right; a guest only live and recordings, so a
// guest can never steer a camera, talk into the house, share or manage.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "store/accounts.h"

namespace hearth::auth {

enum class Role : std::uint8_t { kInvalid = 0, kOwner, kMember, kGuest };

const char* to_string(Role role);
core::Result<Role> parse_role(std::string_view text);

enum class Right : std::uint32_t {
    kLive = 1u << 0,
    kRecordings = 1u << 1,
    kPtz = 1u << 2,
    kTalk = 1u << 3,
    kShare = 1u << 4,
    kManage = 1u << 5,
};
using Rights = std::uint32_t;
inline constexpr Rights kAllRights = 0x3f;
inline constexpr Rights kGuestMaxRights =
    static_cast<Rights>(Right::kLive) | static_cast<Rights>(Right::kRecordings);

constexpr Rights bit(Right r) { return static_cast<Rights>(r); }
const char* to_string(Right right);
core::Result<Right> parse_right(std::string_view text);
std::vector<std::string> right_names(Rights rights);
// ["live", "recordings"] -> bits. Error names the unknown right.
core::Result<Rights> parse_rights(const std::vector<std::string>& names);

// Refuses a grant the role may not hold (a guest with ptz, a right on a negative camera id).
core::Status check_grant(Role role, const store::CameraRights& rights);

// Who a request acts as: a logged-in user and the session they used.
struct Principal {
    core::UserId user;
    std::string name;
    Role role = Role::kInvalid;
    store::CameraRights rights;  // unused for owners
    bool totp_enabled = false;
    core::SessionId session;
    std::string csrf_token;
    core::WallMicros reauth_us = 0;

    bool is_owner() const { return role == Role::kOwner; }
    // The rights this user holds on `camera` (the camera's own grant plus the all-cameras one).
    Rights rights_on(core::CameraId camera) const;
    bool can(Right right, core::CameraId camera) const {
        return (rights_on(camera) & bit(right)) != 0;
    }
    // True when the user may see that the camera exists at all.
    bool sees(core::CameraId camera) const { return rights_on(camera) != 0; }
};

}  // namespace hearth::auth
