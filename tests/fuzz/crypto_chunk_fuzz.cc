// libFuzzer target for recording chunks read back from disk, where anyone with the disk
// could have changed them: decrypting must refuse cleanly, never crash or over-read, and a
// chunk this key really made must still round-trip.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "crypto/chunk_cipher.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace crypto = hearth::crypto;
    // A random key per run: the code paths do not depend on its value.
    static const crypto::SecretBytes key =
        std::move(crypto::SecretBytes::random(crypto::kChunkKeyBytes)).value();
    const std::span<const std::uint8_t> input(data, size);
    (void)crypto::decrypt_chunk(key, 1, input);
    auto sealed = crypto::encrypt_chunk(key, size, input);
    if (!sealed) {
        std::abort();
    }
    auto back = crypto::decrypt_chunk(key, size, *sealed);
    if (!back || !std::equal(back->begin(), back->end(), input.begin(), input.end())) {
        std::abort();
    }
    return 0;
}
