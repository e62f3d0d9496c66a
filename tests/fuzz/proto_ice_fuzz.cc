// libFuzzer target for the ICE candidate lines browsers send over the WebRTC signalling
// socket. Seed corpus: tests/fuzz/corpus/proto_ice/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "media/proto_sdp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto address = hearth::media::sdp::ice_candidate_address(line);
    if (address.size() > 45 || (!address.empty() && line.find(address) == std::string_view::npos)) {
        std::abort();  // a bounded piece of the line itself, never anything else
    }
    for (const char c : address) {
        if (c == ' ' || c == '\n') std::abort();
    }
    return 0;
}
