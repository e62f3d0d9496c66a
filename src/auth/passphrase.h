// Passphrase policy: what a new account passphrase must meet before it is hashed.
//
// Pure policy, no I/O: length in code points, a zxcvbn strength score, and no
// username or product name inside it. Safe to call from any thread.
//
// Example:
//     auto verdict = check_passphrase(input, "alice");
//     if (!verdict.ok) { show(verdict.reason + " " + verdict.advice); }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hearth::auth {

// Bounds, shared with the UI so it can hint before submitting.
inline constexpr std::size_t kMinPassphraseCodePoints = 12;
inline constexpr std::size_t kMaxPassphraseBytes = 1024;
inline constexpr int kMinPassphraseScore = 3;

struct PassphraseVerdict {
    bool ok = false;
    int score = 0;       // zxcvbn-style 0..4; 0 when refused before scoring
    std::string reason;  // why it was refused; empty when ok
    std::string advice;  // how to choose a better one; empty when ok
};

// Checks `passphrase` for an account named `username`. Never echoes the
// passphrase in reason or advice.
PassphraseVerdict check_passphrase(std::string_view passphrase, std::string_view username);

// zxcvbn's guesses→score mapping, from entropy in bits (guesses = 2^bits).
int score_from_entropy_bits(double bits);

}  // namespace hearth::auth
