#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_password_change_body(input)) {
    check(!b->old_password.empty() && !b->new_password.empty());
    check(bounded(b->old_password) && bounded(b->new_password));
})
