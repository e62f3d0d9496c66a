// libFuzzer target for the recovery words a person types or pastes to get back into the
// household: parsing must refuse cleanly with a short, printable message, never crash or
// over-read, and words it accepts must name the key that encodes to them again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/recovery_words.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace crypto = hearth::crypto;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto key = crypto::recovery_key_from_words(text);
    if (!key) {
        // Every refusal says why, and shows at most a short piece of one word.
        const std::string& message = key.error().message;
        if (message.empty() || message.size() > 100) {
            std::abort();
        }
        for (const char c : message) {
            if (c < ' ' || c > '~') {
                std::abort();
            }
        }
        return 0;
    }
    // The encoder only as an oracle: the canonical words of what was parsed parse the same.
    auto words = crypto::recovery_words_from_key(*key);
    if (key->size() != crypto::kRecoveryKeyBytes || !words) {
        std::abort();
    }
    auto again = crypto::recovery_key_from_words(*words);
    if (!again || !again->equals(*key)) {
        std::abort();
    }
    crypto::wipe(*words);
    return 0;
}
