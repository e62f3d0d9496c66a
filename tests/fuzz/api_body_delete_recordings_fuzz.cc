#include "api_body_fuzz.h"

HEARTH_BODY_FUZZER(if (auto b = parse_delete_recordings_body(input)) {
    check(b->all || b->end_us > b->start_us);
    check(!b->camera || *b->camera > 0);
})
