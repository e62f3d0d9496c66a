#include "media/sample.h"

namespace hearth::media {

const char* to_string(Codec codec) {
    switch (codec) {
        case Codec::kH264: return "h264";
        case Codec::kH265: return "h265";
        case Codec::kAac: return "aac";
        case Codec::kOpus: return "opus";
        case Codec::kPcmu: return "pcmu";
        case Codec::kPcma: return "pcma";
        case Codec::kInvalid: break;
    }
    return "invalid";
}

bool is_video(Codec codec) { return codec == Codec::kH264 || codec == Codec::kH265; }

}  // namespace hearth::media
