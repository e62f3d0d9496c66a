#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_new_user_body(input)) {
    check(!b->username.empty() && !b->role.empty() && !b->password.empty());
    check(b->rights.size() <= 1024);
    for (const auto& [camera, names] : b->rights) {
        check(camera >= 0 && names.size() <= 16);
    }
})
