// libFuzzer target for the SDP parser (a DESCRIBE body from a camera) and the codec parameters
// it decodes. Seed corpus: tests/fuzz/corpus/proto_sdp/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "media/proto_rtp.h"
#include "media/proto_sdp.h"

using namespace hearth::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto sdp = sdp::parse_sdp(text, "rtsp://cam:554/stream/");
    if (!sdp) {
        return 0;
    }
    if (sdp->media.size() > sdp::kMaxMediaSections) {
        std::abort();
    }
    for (const auto& m : sdp->media) {
        if (m.codec == Codec::kInvalid || m.control.empty()) {
            std::abort();  // only supported sections are listed, each with a URL
        }
        // A depacketizer must build from anything the parser accepts (sprop parsing included).
        auto d = rtp::make_depacketizer(m, 0);
        if (!d) {
            std::abort();
        }
        (void)(*d)->ready();
    }
    return 0;
}
