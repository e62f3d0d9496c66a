#include "auth/passphrase.h"

#include <zxcvbn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

namespace hearth::auth {
namespace {

constexpr std::string_view kProductWord = "hearth";
constexpr std::size_t kMinUsernameToMatch = 3;
constexpr const char* kWordsAdvice =
    "Use four or more unrelated words, e.g. from a dice list, and avoid names, dates and "
    "keyboard patterns.";

PassphraseVerdict refuse(int score, std::string reason, std::string advice) {
    return PassphraseVerdict{false, score, std::move(reason), std::move(advice)};
}

// Counts UTF-8 code points; nullopt on malformed input (so length is never guessed).
std::optional<std::size_t> count_code_points(std::string_view text) {
    std::size_t count = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<std::uint8_t>(text[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (lead < 0x80) {
            cp = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            extra = 1;
            cp = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            extra = 2;
            cp = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            extra = 3;
            cp = lead & 0x07;
        } else {
            return std::nullopt;
        }
        if (i + extra >= text.size()) {  // truncated sequence
            return std::nullopt;
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cont = static_cast<std::uint8_t>(text[i + k]);
            if ((cont & 0xC0) != 0x80) {
                return std::nullopt;
            }
            cp = (cp << 6) | (cont & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
        static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::nullopt;
        }
        i += extra + 1;
        ++count;
    }
    return count;
}

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

double zxcvbn_entropy_bits(const std::string& passphrase, const std::string& username) {
    const char* dict[3] = {nullptr, nullptr, nullptr};
    std::size_t n = 0;
    if (!username.empty()) {
        dict[n++] = username.c_str();
    }
    const std::string product(kProductWord);
    dict[n++] = product.c_str();
    return ZxcvbnMatch(passphrase.c_str(), dict, nullptr);
}

}  // namespace

int score_from_entropy_bits(double bits) {
    // Compare in log10 so 2^bits never overflows a double.
    const double log10_guesses = std::max(0.0, bits) * std::log10(2.0);
    if (log10_guesses < 3.0) {
        return 0;
    }
    if (log10_guesses < 6.0) {
        return 1;
    }
    if (log10_guesses < 8.0) {
        return 2;
    }
    if (log10_guesses < 10.0) {
        return 3;
    }
    return 4;
}

PassphraseVerdict check_passphrase(std::string_view passphrase, std::string_view username) {
    if (passphrase.size() > kMaxPassphraseBytes) {
        return refuse(
            0, "The passphrase is longer than " + std::to_string(kMaxPassphraseBytes) + " bytes.",
            "Use a shorter passphrase: four to six unrelated words are plenty.");
    }
    if (passphrase.find('\0') != std::string_view::npos) {
        return refuse(0, "The passphrase contains a NUL character.",
                      "Use only printable characters.");
    }
    const auto code_points = count_code_points(passphrase);
    if (!code_points) {
        return refuse(0, "The passphrase is not valid UTF-8 text.",
                      "Type the passphrase again; it may have been garbled when pasted.");
    }
    if (*code_points < kMinPassphraseCodePoints) {
        return refuse(0,
                      "The passphrase is too short: " + std::to_string(*code_points) +
                          " characters, at least " + std::to_string(kMinPassphraseCodePoints) +
                          " are needed.",
                      kWordsAdvice);
    }
    const std::string lowered = ascii_lower(passphrase);
    const std::string lowered_user = ascii_lower(username);
    if (lowered_user.size() >= kMinUsernameToMatch &&
        lowered.find(lowered_user) != std::string::npos) {
        return refuse(0, "The passphrase contains the username.",
                      "Leave your name out; pick words that have nothing to do with you.");
    }
    if (lowered.find(kProductWord) != std::string::npos) {
        return refuse(0, "The passphrase contains the word \"hearth\".",
                      "Leave the product's name out; pick unrelated words.");
    }
    const int score = score_from_entropy_bits(
        zxcvbn_entropy_bits(std::string(passphrase), std::string(username)));
    if (score < kMinPassphraseScore) {
        return refuse(score,
                      "The passphrase is too easy to guess (strength " + std::to_string(score) +
                          " of 4, at least " + std::to_string(kMinPassphraseScore) + " is needed).",
                      kWordsAdvice);
    }
    return PassphraseVerdict{true, score, {}, {}};
}

}  // namespace hearth::auth
