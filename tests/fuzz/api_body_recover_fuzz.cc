#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_recover_body(input)) {
    check(bounded(b->username) && bounded(b->recovery_key) && bounded(b->password));
})
