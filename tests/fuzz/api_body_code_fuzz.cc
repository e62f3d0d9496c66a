#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_code_body(input)) {
    check(!b->code.empty() && b->code.size() <= 64);
})
