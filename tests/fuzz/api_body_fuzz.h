// Shared body of the per-parser fuzz targets (api_body_<name>_fuzz.cc): feeds untrusted
// bytes to one JSON body parser; it must never crash, and what it accepts must respect
// the bounds the handlers rely on.
#pragma once

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/bodies.h"

namespace hearth::api::fuzz {

inline void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

inline bool bounded(const std::string& s) { return s.size() <= kMaxBodyFieldBytes; }
inline bool bounded(const crypto::SecretBytes& s) { return s.size() <= kMaxBodyFieldBytes; }

}  // namespace hearth::api::fuzz

// Defines the libFuzzer entry point around `CHECK(body)`, a statement using `input`.
#define HEARTH_BODY_FUZZER(CHECK)                                                     \
    extern "C" int LLVMFuzzerInitialize(int*, char***) {                              \
        spdlog::set_level(spdlog::level::off);                                        \
        return 0;                                                                     \
    }                                                                                 \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        using namespace hearth::api;                                                  \
        using hearth::api::fuzz::bounded;                                             \
        using hearth::api::fuzz::check;                                               \
        const std::string_view input(reinterpret_cast<const char*>(data), size);      \
        CHECK;                                                                        \
        return 0;                                                                     \
    }
