#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_reauth_body(input)) {
    check(b->password.empty() != b->code.empty());
    check(bounded(b->password) && bounded(b->code));
})
