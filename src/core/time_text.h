// Wall-clock times as people and URLs write them.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace hearth::core {

// Accepts RFC 3339 in UTC or with an offset ("2026-11-29T03:00:00Z",
// "2026-11-29T03:00:00.250+01:00") or Unix seconds with an optional fraction
// ("1764385200.25"). Errors: kInvalidArgument saying which forms are accepted.
Result<WallMicros> parse_time(std::string_view text);

// RFC 3339 in UTC with milliseconds: "2026-11-29T03:00:00.250Z".
std::string format_time(WallMicros us);

}  // namespace hearth::core
