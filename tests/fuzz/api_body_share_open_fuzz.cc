#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_share_open_body(input)) {
    check(!b->token.empty() && b->token.size() <= 128 && bounded(b->passcode));
})
