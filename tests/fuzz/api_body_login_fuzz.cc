#include "api_body_fuzz.h"

// The first byte picks JSON or an HTML form, the two encodings /api/login takes.
HEARTH_BODY_FUZZER(if (!input.empty()) {
    if (auto b = parse_login_body(input.substr(1), (input[0] & 1) != 0)) {
        check(!b->username.empty() && !b->password.empty());
        check(bounded(b->username) && bounded(b->password) && bounded(b->code));
    }
})
