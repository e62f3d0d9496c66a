// Typed, bounded parsing of the JSON request bodies the API accepts.
//
// Each parser takes untrusted bytes and returns either a complete value or a
// kInvalidArgument error whose message is safe to show the client (it never
// echoes a passphrase). Unknown fields are errors, so a typo is not silently
// ignored. Passphrases go straight into guarded memory. Each parser has a
// libFuzzer target (tests/fuzz/api_body_fuzz.cc).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::api {

inline constexpr std::size_t kMaxBodyFieldBytes = 1024;

struct SetupBody {
    std::string code;
    std::string username;
    crypto::SecretBytes password;
};

struct LoginBody {
    std::string username;
    crypto::SecretBytes password;
    std::string code;  // second factor, optional
};

struct ReauthBody {
    crypto::SecretBytes password;  // one of the two
    std::string code;
};

// POST /api/recover: the recovery key's words (decoded later), a new owner passphrase.
struct RecoverBody {
    std::string username;
    crypto::SecretBytes recovery_key;  // the words as typed
    crypto::SecretBytes password;
};

// POST /api/recordings/delete: everything (of one camera or all), or a time range.
struct DeleteRecordingsBody {
    std::optional<std::int64_t> camera;  // none: every camera
    bool all = false;                    // every recording, whatever its time
    core::WallMicros start_us = 0;       // with !all: [start, end)
    core::WallMicros end_us = 0;
};

// POST /api/cameras/{id}/shares: a link to a clip or the live view.
struct NewShareBody {
    std::string kind;                 // "clip" or "live"
    core::WallMicros start_us = 0;    // clip
    core::WallMicros end_us = 0;
    std::int64_t expires_in_s = 24 * 3600;
    crypto::SecretBytes passcode;     // empty: none
    std::int64_t max_views = 0;
    bool blur_faces = false;
    std::string label;
};

// POST /api/shared/open: the link's token and, when it has one, the passcode.
struct ShareOpenBody {
    std::string token;
    crypto::SecretBytes passcode;
};

struct PasswordChangeBody {
    crypto::SecretBytes old_password;
    crypto::SecretBytes new_password;
};

struct CodeBody {
    std::string code;
};

// Rights per camera as names: camera id 0 is "all".
using RightsByCamera = std::map<std::int64_t, std::vector<std::string>>;

struct NewUserBody {
    std::string username;
    std::string role;
    crypto::SecretBytes password;
    RightsByCamera rights;
};

struct UserPatchBody {
    std::optional<std::string> role;
    std::optional<RightsByCamera> rights;
};

// PATCH /api/cameras/{id}: a new name (1-64 characters, no control characters) and/or
// whether the camera runs (a stopped camera neither records nor streams).
struct CameraPatchBody {
    std::optional<std::string> name;
    std::optional<bool> enabled;
};

// POST /api/cameras/{id}/ptz: {"action": "...", ...}. Moves carry "pan", "tilt", "zoom"
// (continuous: velocities in [-1, 1] and "timeout_ms" 100-2000; relative: steps, pan/tilt
// in [-2, 2], zoom in [-1, 1]; absolute: all three, pan/tilt in [-1, 1], zoom in [0, 1]);
// preset actions carry "name".
struct PtzBody {
    enum class Action : std::uint8_t {
        kInvalid = 0,
        kContinuous,
        kRelative,
        kAbsolute,
        kStop,
        kHome,
        kPreset,
        kSavePreset,
        kRemovePreset,
        kRelease
    };
    Action action = Action::kInvalid;
    double pan = 0;
    double tilt = 0;
    double zoom = 0;
    int timeout_ms = 1000;
    std::string name;
};

// POST /api/cameras: {"name", "onvif" or "rtsp", "username", "password", "check"}.
struct NewCameraBody {
    std::string name;
    std::string onvif;  // exactly one of onvif and rtsp
    std::string rtsp;
    std::string username;
    crypto::SecretBytes password;
    bool check = true;
};

core::Result<SetupBody> parse_setup_body(std::string_view body);
// JSON, or an HTML form (application/x-www-form-urlencoded) when `form` is true.
core::Result<LoginBody> parse_login_body(std::string_view body, bool form);
core::Result<ReauthBody> parse_reauth_body(std::string_view body);
core::Result<PasswordChangeBody> parse_password_change_body(std::string_view body);
core::Result<RecoverBody> parse_recover_body(std::string_view body);
core::Result<DeleteRecordingsBody> parse_delete_recordings_body(std::string_view body);
core::Result<NewShareBody> parse_new_share_body(std::string_view body);
core::Result<ShareOpenBody> parse_share_open_body(std::string_view body);
core::Result<CodeBody> parse_code_body(std::string_view body);
core::Result<NewUserBody> parse_new_user_body(std::string_view body);
core::Result<UserPatchBody> parse_user_patch_body(std::string_view body);
core::Result<CameraPatchBody> parse_camera_patch_body(std::string_view body);
core::Result<PtzBody> parse_ptz_body(std::string_view body);
core::Result<NewCameraBody> parse_new_camera_body(std::string_view body);

}  // namespace hearth::api
