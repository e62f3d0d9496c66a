#include "crypto/recovery_words.h"

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>

#include "core/text.h"

namespace hearth::crypto {

namespace {

constexpr std::size_t kBitsPerWord = 11;
constexpr std::size_t kMaxWordLetters = 8;    // the longest word in the list
constexpr std::size_t kMinPrefixLetters = 4;  // the list is unique by the first four letters
constexpr std::size_t kShownLetters = 12;     // of an unknown word in an error message

// The key bytes and the checksum byte: 264 bits, 24 words of 11 bits.
using Packed = std::array<std::uint8_t, kRecoveryKeyBytes + 1>;

// Wipes a buffer that held key bits on every way out of the function.
template <typename Buffer>
class WipeOnExit {
public:
    explicit WipeOnExit(Buffer& buffer) : buffer_(buffer) {}
    ~WipeOnExit() { sodium_memzero(buffer_.data(), sizeof(buffer_[0]) * buffer_.size()); }
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;

private:
    Buffer& buffer_;
};

core::Error invalid(std::string message) {
    return core::make_error(core::ErrorCode::kInvalidArgument, std::move(message));
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// A word as an error message may show it: printable ASCII only, and short.
std::string shown(std::string_view word) {
    std::string out;
    for (const char c : word.substr(0, kShownLetters)) {
        out.push_back(c > ' ' && c <= '~' ? c : '?');
    }
    return word.size() > kShownLetters ? out + "..." : out;
}

// Index of the lower-case `word` in the list, a whole word or a unique prefix of 4+ letters;
// -1 if there is none.
int word_index(std::string_view word) {
    const auto begin = kRecoveryWordList.begin();
    const auto end = kRecoveryWordList.end();
    const auto it = std::lower_bound(begin, end, word);
    if (it == end || !it->starts_with(word)) {
        return -1;
    }
    const bool prefix = it->size() != word.size();
    if (prefix && (word.size() < kMinPrefixLetters || (it + 1 != end && it[1].starts_with(word)))) {
        return -1;
    }
    return static_cast<int>(it - begin);
}

// SHA-256 of the key bytes into a buffer of ours (sha256() would leave a copy on its stack).
void checksum(const Packed& packed, std::array<std::uint8_t, crypto_hash_sha256_BYTES>& digest) {
    crypto_hash_sha256(digest.data(), packed.data(), kRecoveryKeyBytes);
}

}  // namespace

core::Result<std::string> recovery_words_from_key(const SecretBytes& key) {
    HEARTH_TRY(init_sodium());
    if (key.size() != kRecoveryKeyBytes) {
        return invalid("a recovery key is 32 bytes, not " + std::to_string(key.size()));
    }
    Packed packed{};
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    const WipeOnExit wipe_packed(packed);
    const WipeOnExit wipe_digest(digest);
    std::copy(key.view().begin(), key.view().end(), packed.begin());
    checksum(packed, digest);
    packed.back() = digest[0];

    std::string words;
    // Room for the longest words up front: a reallocation would leave a copy in freed memory.
    words.reserve(kRecoveryWordCount * (kMaxWordLetters + 1));
    for (std::size_t w = 0; w < kRecoveryWordCount; ++w) {
        std::size_t index = 0;
        for (std::size_t bit = w * kBitsPerWord; bit < (w + 1) * kBitsPerWord; ++bit) {
            index = (index << 1) | ((packed[bit / 8] >> (7 - bit % 8)) & 1U);
        }
        if (w > 0) {
            words.push_back(' ');
        }
        words.append(kRecoveryWordList[index]);
    }
    return words;
}

core::Result<SecretBytes> recovery_key_from_words(std::string_view text) {
    HEARTH_TRY(init_sodium());
    if (text.size() > kMaxRecoveryWordsText) {
        return invalid("the recovery words are too long (at most " +
                       std::to_string(kMaxRecoveryWordsText) + " characters)");
    }
    std::array<std::uint16_t, kRecoveryWordCount> indices{};
    std::array<char, kMaxWordLetters> lower{};
    const WipeOnExit wipe_indices(indices);
    const WipeOnExit wipe_lower(lower);
    std::size_t count = 0;
    std::size_t pos = 0;
    while (true) {
        while (pos < text.size() && is_space(text[pos])) {
            ++pos;
        }
        if (pos == text.size()) {
            break;
        }
        const std::size_t start = pos;
        while (pos < text.size() && !is_space(text[pos])) {
            ++pos;
        }
        const std::string_view word = text.substr(start, pos - start);
        ++count;
        int index = -1;
        if (word.size() <= lower.size()) {  // longer is in no list; no need to copy it
            std::transform(word.begin(), word.end(), lower.begin(), core::ascii_lower);
            index = word_index({lower.data(), word.size()});
        }
        if (index < 0) {
            return invalid("word " + std::to_string(count) + " (\"" + shown(word) +
                           "\") is not in the recovery word list");
        }
        if (count <= kRecoveryWordCount) {
            indices[count - 1] = static_cast<std::uint16_t>(index);
        }
    }
    if (count != kRecoveryWordCount) {
        return invalid("expected " + std::to_string(kRecoveryWordCount) + " words, got " +
                       std::to_string(count));
    }

    Packed packed{};
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    const WipeOnExit wipe_packed(packed);
    const WipeOnExit wipe_digest(digest);
    for (std::size_t bit = 0; bit < kRecoveryWordCount * kBitsPerWord; ++bit) {
        const std::size_t w = bit / kBitsPerWord;
        if ((indices[w] >> (kBitsPerWord - 1 - bit % kBitsPerWord)) & 1U) {
            packed[bit / 8] |= static_cast<std::uint8_t>(0x80U >> (bit % 8));
        }
    }
    checksum(packed, digest);
    if (digest[0] != packed.back()) {
        return invalid("the words do not add up (checksum): check for a typo or a swapped word");
    }
    return SecretBytes::copy_of(std::span<const std::uint8_t>(packed.data(), kRecoveryKeyBytes));
}

}  // namespace hearth::crypto
