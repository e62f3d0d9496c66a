#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_setup_body(input)) {
    check(!b->code.empty() && !b->username.empty() && !b->password.empty());
    check(bounded(b->code) && bounded(b->username) && bounded(b->password));
})
