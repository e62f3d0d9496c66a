// libFuzzer target for the RTSP client's parsers: every byte a camera sends on the RTSP TCP
// connection goes through next_chunk() (interleaved frames and responses), and 401 responses
// through the challenge parser. Seed corpus: tests/fuzz/corpus/proto_rtsp/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "media/proto_rtsp.h"

using namespace hearth::media::rtsp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> rest(data, size);
    int steps = 0;
    while (!rest.empty() && steps++ < 10000) {
        auto chunk = next_chunk(rest);
        if (!chunk) {
            break;
        }
        if (chunk->kind == ChunkKind::kNeedMore) {
            break;
        }
        if (chunk->consumed == 0 || chunk->consumed > rest.size()) {
            std::abort();  // no progress, or a chunk beyond the bytes it came from
        }
        if (chunk->kind == ChunkKind::kData &&
            (chunk->payload.data() < rest.data() ||
             chunk->payload.data() + chunk->payload.size() > rest.data() + rest.size())) {
            std::abort();
        }
        if (chunk->kind == ChunkKind::kMessage) {
            const Message& m = chunk->message;
            if (m.body.size() > kMaxBodyBytes) {
                std::abort();
            }
            (void)m.cseq();
            if (const std::string* s = m.header("Session")) {
                (void)parse_session(*s);
            }
            if (const std::string* t = m.header("Transport")) {
                (void)parse_transport(*t);
            }
            if (const std::string* p = m.header("Public")) {
                (void)public_has(*p, "GET_PARAMETER");
            }
            auto challenge = choose_challenge(m);
            if (challenge) {
                Authenticator auth("user", "pass", *challenge);
                (void)auth.answer("DESCRIBE", "rtsp://cam/stream", "0a4f113b");
            }
        }
        rest = rest.subspan(chunk->consumed);
    }
    // The raw bytes as a header value and a URL.
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)parse_challenge(text);
    (void)parse_url(text);
    (void)parse_transport(text);
    return 0;
}
