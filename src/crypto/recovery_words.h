// The household recovery key as 24 words a person can write on paper (BIP39, English list).
//
// Standard BIP39 encoding of 256 bits of entropy: the 32 key bytes followed by the first
// byte of their SHA-256 (264 bits) split into 24 numbers of 11 bits, each an index into the
// 2048-word list. Any BIP39 tool (python-mnemonic, hardware wallets) gives the same words
// for the same bytes. The list is generated at build time from Debian's python3-mnemonic
// (src/crypto/CMakeLists.txt), which also checks that it is sorted and unique by the first
// four letters of each word.
//
// Reading words back is forgiving where it is safe: any whitespace between words, any
// case, and a word may be shortened to 4 or more of its first letters ("aban" for
// "abandon") as BIP39 allows, because no two words share their first four letters. The
// checksum (8 bits) catches most typos that land on another real word and swapped words.
//
// Thread-safety: pure functions, safe from any thread.
// Errors: kInvalidArgument for a key that is not 32 bytes and for words that are too long,
// unknown, the wrong count, or fail the checksum. A message names at most the one offending
// word (truncated), so that the person can find it; a word is a piece of the key, so show
// the message to that person and do not log it.
//
// Example:
//     HEARTH_ASSIGN_OR_RETURN(std::string words, crypto::recovery_words_from_key(key));
//     print_for_paper(words);
//     crypto::wipe(words);
//     HEARTH_ASSIGN_OR_RETURN(auto key, crypto::recovery_key_from_words(typed));
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

inline constexpr std::size_t kRecoveryKeyBytes = 32;
inline constexpr std::size_t kRecoveryWordCount = 24;
inline constexpr std::size_t kRecoveryWordListSize = 2048;
// Longest text recovery_key_from_words reads; 24 words need at most 215 bytes.
inline constexpr std::size_t kMaxRecoveryWordsText = 1024;

// The BIP39 English word list, sorted (generated, see above); for autocompletion and tests.
extern const std::array<std::string_view, kRecoveryWordListSize> kRecoveryWordList;

// The 24 words for a 32-byte `key`: lower case, separated by single spaces. The result is
// the key in other clothes: wipe it when done.
core::Result<std::string> recovery_words_from_key(const SecretBytes& key);

// The 32-byte key that `text` (24 words) encodes. Accepts any whitespace, any case and
// unambiguous prefixes of 4+ letters; at most kMaxRecoveryWordsText bytes.
core::Result<SecretBytes> recovery_key_from_words(std::string_view text);

}  // namespace hearth::crypto
