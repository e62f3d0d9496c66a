#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_new_share_body(input)) {
    check(b->kind == "clip" || b->kind == "live");
    check(!b->label.empty() && b->label.size() <= 64 && bounded(b->passcode));
    check(b->kind == "live" || b->end_us > b->start_us);
    check(b->expires_in_s >= 60 && b->expires_in_s <= 7 * 24 * 3600);
    check(b->max_views >= 0 && b->max_views <= 1000);
})
