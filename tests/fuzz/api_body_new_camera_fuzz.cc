#include "api_body_fuzz.h"

// What adding a camera relies on: a clean name, exactly one bounded address, a user name
// that cannot split USER:PASSWORD, and no password without a user.
HEARTH_BODY_FUZZER(if (auto b = parse_new_camera_body(input)) {
    check(!b->name.empty() && b->name.size() <= 64);
    check(b->onvif.empty() != b->rtsp.empty());
    check(b->onvif.size() <= 512 && b->rtsp.size() <= 512 && b->username.size() <= 128);
    check(b->username.find(':') == std::string::npos);
    check(!b->username.empty() || b->password.empty());
    check(bounded(b->password));
})
