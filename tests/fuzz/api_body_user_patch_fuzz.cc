#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_user_patch_body(input)) {
    check(b->role || b->rights);
    if (b->rights) {
        for (const auto& [camera, names] : *b->rights) {
            check(camera >= 0 && names.size() <= 16);
        }
    }
})
