// libFuzzer target for the text a person types or pastes during 2FA setup and
// login: base32 TOTP secrets, six-digit codes and recovery codes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/secret.h"
#include "crypto/totp.h"

namespace {

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace crypto = hearth::crypto;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // Decoding then encoding gives back the input, upper-cased and without padding.
    if (auto decoded = crypto::base32_decode(text)) {
        std::string expected;
        for (const char c : text) {
            if (c != '=') {
                expected.push_back(upper(c));
            }
        }
        if (crypto::base32_encode(decoded->view()) != expected) {
            std::abort();
        }
    } else if (text.size() <= crypto::kMaxBase32Chars && decoded.error().message.empty()) {
        std::abort();  // every refusal says why
    }

    // Encoding any bytes decodes back to the same bytes.
    if (size <= crypto::kMaxBase32Chars * 5 / 8) {
        auto back = crypto::base32_decode(crypto::base32_encode({data, size}));
        if (!back || back->size() != size ||
            !std::equal(back->view().begin(), back->view().end(), data)) {
            std::abort();
        }
    }

    // A parsed code is six digits and prints back the same.
    if (auto code = crypto::parse_otp_code(text)) {
        const std::string printed = std::to_string(*code + 1000000).substr(1);
        if (*code > 999999 || text.size() != 6 || printed != text) {
            std::abort();
        }
    }

    // A normalised recovery code is canonical: normalising it again changes nothing.
    if (auto rc = crypto::normalize_recovery_code(text)) {
        auto again = crypto::normalize_recovery_code(*rc);
        if (!again || *again != *rc || rc->size() != 11) {
            std::abort();
        }
    }
    return 0;
}
