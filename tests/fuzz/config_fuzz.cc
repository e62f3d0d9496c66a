// libFuzzer target for the text a person or a URL hands the hub before anything
// else: the bootstrap config file, listen addresses and times in query strings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/address.h"
#include "core/config.h"
#include "core/time_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = hearth::core::parse_config(text, "fuzz.toml");
    if (!config && config.error().message.rfind("fuzz.toml", 0) != 0) {
        std::abort();  // every config error names the file
    }
    if (auto a = hearth::core::parse_listen_address(text)) {
        // What we print must parse back to the same address.
        auto again = hearth::core::parse_listen_address(a->to_string());
        if (!again || again->host != a->host || again->port != a->port) {
            std::abort();
        }
    }
    if (auto t = hearth::core::parse_time(text)) {
        // Formatting keeps milliseconds; parsing it back must land within 1 ms.
        auto back = hearth::core::parse_time(hearth::core::format_time(*t));
        if (*t >= 0 && (!back || *back > *t || *t - *back >= 1000)) {
            std::abort();
        }
    }
    return 0;
}
