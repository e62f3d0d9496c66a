#include <cmath>

#include "api_body_fuzz.h"

// What the PTZ route relies on: a known action, finite axes within the spaces, a bounded
// timeout, and a clean preset name only for preset actions.
HEARTH_BODY_FUZZER(if (auto b = parse_ptz_body(input)) {
    check(b->action != PtzBody::Action::kInvalid);
    for (const double v : {b->pan, b->tilt}) {
        check(std::isfinite(v) && v >= -2 && v <= 2);
    }
    check(std::isfinite(b->zoom) && b->zoom >= -1 && b->zoom <= 1);
    if (b->action == PtzBody::Action::kAbsolute) {
        check(b->pan >= -1 && b->pan <= 1 && b->tilt >= -1 && b->tilt <= 1 && b->zoom >= 0);
    }
    check(b->timeout_ms >= 100 && b->timeout_ms <= 2000);
    const bool named = b->action == PtzBody::Action::kPreset ||
                       b->action == PtzBody::Action::kSavePreset ||
                       b->action == PtzBody::Action::kRemovePreset;
    check(named == !b->name.empty() && b->name.size() <= 64);
    for (const unsigned char c : b->name) {
        check(c >= 0x20 && c != 0x7f);
    }
})
