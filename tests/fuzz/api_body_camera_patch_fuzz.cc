#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_camera_patch_body(input)) {
    check(b->name || b->enabled);
    if (b->name) {
        check(!b->name->empty() && b->name->size() <= 64);
    }
})
