#include "crypto/recovery_words.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace hearth::crypto {
namespace {

constexpr std::string_view kLegal =
    "legal winner thank year wave sausage worth useful legal winner thank year wave sausage "
    "worth useful legal winner thank year wave sausage worth title";

SecretBytes key_of(std::string_view hex) {
    auto key = SecretBytes::allocate(hex.size() / 2);
    EXPECT_TRUE(key);
    for (std::size_t i = 0; i < key->size(); ++i) {
        key->data()[i] =
            static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
    }
    return std::move(key).value();
}

std::string hex_of(const SecretBytes& key) {
    std::string out;
    for (const auto b : key.view()) {
        out.push_back("0123456789abcdef"[b >> 4]);
        out.push_back("0123456789abcdef"[b & 15]);
    }
    return out;
}

std::string repeat(std::string_view word, int times, std::string_view last) {
    std::string out;
    for (int i = 0; i < times; ++i) {
        out.append(word).push_back(' ');
    }
    return out.append(last);
}

std::vector<std::string> split(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
        words.push_back(w);
    }
    return words;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        out.append(out.empty() ? "" : " ").append(w);
    }
    return out;
}

// The words for `key_hex` and back, checked against the expected words.
void expect_vector(std::string_view key_hex, std::string_view expected) {
    const SecretBytes key = key_of(key_hex);
    auto words = recovery_words_from_key(key);
    ASSERT_TRUE(words) << words.error().describe();
    EXPECT_EQ(*words, expected);
    auto back = recovery_key_from_words(expected);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(hex_of(*back), key_hex);
}

std::string error_of(std::string_view text) {
    auto key = recovery_key_from_words(text);
    EXPECT_FALSE(key);
    if (key) {
        return {};
    }
    EXPECT_EQ(key.error().code, core::ErrorCode::kInvalidArgument);
    return key.error().message;
}

TEST(RecoveryWordListTest, IsTheSortedBip39EnglishList) {
    EXPECT_EQ(kRecoveryWordList.front(), "abandon");
    EXPECT_EQ(kRecoveryWordList[1], "ability");
    EXPECT_EQ(kRecoveryWordList.back(), "zoo");
    EXPECT_TRUE(std::is_sorted(kRecoveryWordList.begin(), kRecoveryWordList.end()));
}

// BIP39's official vectors for 256-bit entropy (trezor/python-mnemonic vectors.json).
TEST(RecoveryWordsTest, Bip39Vectors) {
    expect_vector(std::string(64, '0'), repeat("abandon", 23, "art"));
    expect_vector(std::string(64, 'f'), repeat("zoo", 23, "vote"));
    std::string sevens;
    for (int i = 0; i < 32; ++i) {
        sevens += "7f";
    }
    expect_vector(sevens, kLegal);
    std::string eighties;
    for (int i = 0; i < 32; ++i) {
        eighties += "80";
    }
    expect_vector(eighties,
                  "letter advice cage absurd amount doctor acoustic avoid letter advice cage "
                  "absurd amount doctor acoustic avoid letter advice cage absurd amount doctor "
                  "acoustic bless");
    expect_vector("68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c",
                  "hamster diagram private dutch cause delay private meat slide toddler razor "
                  "book happy fancy gospel tennis maple dilemma loan word shrug inflict delay "
                  "length");
}

TEST(RecoveryWordsTest, RandomKeysRoundTrip) {
    for (int i = 0; i < 200; ++i) {
        auto key = SecretBytes::random(kRecoveryKeyBytes);
        ASSERT_TRUE(key);
        auto words = recovery_words_from_key(*key);
        ASSERT_TRUE(words) << words.error().describe();
        EXPECT_EQ(split(*words).size(), kRecoveryWordCount);
        auto back = recovery_key_from_words(*words);
        ASSERT_TRUE(back) << back.error().describe();
        EXPECT_TRUE(back->equals(*key));
        wipe(*words);
    }
}

TEST(RecoveryWordsTest, KeyMustBe32Bytes) {
    for (const std::size_t size : {0, 16, 31, 33, 64}) {
        auto key = SecretBytes::allocate(size);
        ASSERT_TRUE(key);
        auto words = recovery_words_from_key(*key);
        ASSERT_FALSE(words) << size;
        EXPECT_EQ(words.error().code, core::ErrorCode::kInvalidArgument);
    }
}

TEST(RecoveryWordsTest, AnyWhitespaceAndCase) {
    const std::string key_hex = std::string(64, '0');
    std::string text = "  ABANDON\tAbandon\n\nabandon\r\n";
    for (int i = 0; i < 20; ++i) {
        text += (i % 2 ? "\n" : "   ") + std::string("aBaNdOn");
    }
    text += "\f\vArT\n";
    auto key = recovery_key_from_words(text);
    ASSERT_TRUE(key) << key.error().describe();
    EXPECT_EQ(hex_of(*key), key_hex);
}

TEST(RecoveryWordsTest, UniquePrefixesOfFourOrMoreLetters) {
    auto key = recovery_key_from_words(
        "lega winn than year wave saus wort usef legal winne thank year wave sausa worth useful "
        "LEGA WINN THAN YEAR WAVE SAUS WORT titl");
    ASSERT_TRUE(key) << key.error().describe();
    EXPECT_EQ(*recovery_words_from_key(*key), kLegal);
    // Every word of the list is found by its first four letters: keys whose first word is
    // each word in turn, read back from the words cut to four letters.
    for (std::size_t i = 0; i < kRecoveryWordList.size(); ++i) {
        auto key = SecretBytes::random(kRecoveryKeyBytes);
        ASSERT_TRUE(key);
        key->data()[0] = static_cast<std::uint8_t>(i >> 3);
        key->data()[1] = static_cast<std::uint8_t>((key->data()[1] & 0x1f) | ((i & 7) << 5));
        std::vector<std::string> words = split(*recovery_words_from_key(*key));
        ASSERT_EQ(words[0], kRecoveryWordList[i]);
        for (auto& w : words) {
            w.resize(std::min<std::size_t>(w.size(), 4));
        }
        auto back = recovery_key_from_words(join(words));
        ASSERT_TRUE(back) << kRecoveryWordList[i] << ": " << back.error().describe();
        EXPECT_TRUE(back->equals(*key)) << kRecoveryWordList[i];
    }
    // Shorter than four letters, or longer than the word, is not a prefix.
    EXPECT_EQ(error_of(repeat("aba", 23, "art")),
              "word 1 (\"aba\") is not in the recovery word list");
    EXPECT_EQ(error_of(repeat("abandon", 22, "abandons art")),
              "word 23 (\"abandons\") is not in the recovery word list");
    EXPECT_EQ(error_of(repeat("abandon", 23, "ar")),
              "word 24 (\"ar\") is not in the recovery word list");
}

TEST(RecoveryWordsTest, TypoNamesTheWord) {
    std::vector<std::string> words = split(kLegal);
    words[6] = "wurth";
    EXPECT_EQ(error_of(join(words)), "word 7 (\"wurth\") is not in the recovery word list");
    words[6] = "Foo";
    EXPECT_EQ(error_of(join(words)), "word 7 (\"Foo\") is not in the recovery word list");
}

TEST(RecoveryWordsTest, UnknownWordIsShownShortAndPrintable) {
    const std::string message =
        error_of(std::string(500, 'x') + " " + repeat("abandon", 22, "art"));
    EXPECT_EQ(message, "word 1 (\"xxxxxxxxxxxx...\") is not in the recovery word list");
    EXPECT_EQ(error_of(repeat("abandon", 23, "a\x1b[2Jrt")),
              "word 24 (\"a?[2Jrt\") is not in the recovery word list");
    EXPECT_EQ(error_of(repeat("abandon", 23, "\xc3\xa0rt")),
              "word 24 (\"??rt\") is not in the recovery word list");
}

TEST(RecoveryWordsTest, SwappedWordsFailTheChecksum) {
    const std::string expected =
        "the words do not add up (checksum): check for a typo or a swapped word";
    std::vector<std::string> words = split(kLegal);
    std::swap(words[0], words[1]);
    EXPECT_EQ(error_of(join(words)), expected);
    words = split(kLegal);
    std::swap(words[2], words[3]);
    EXPECT_EQ(error_of(join(words)), expected);
    // A wrong but real word.
    EXPECT_EQ(error_of(repeat("abandon", 23, "zoo")), expected);
}

TEST(RecoveryWordsTest, WrongWordCount) {
    std::vector<std::string> words = split(kLegal);
    words.pop_back();
    EXPECT_EQ(error_of(join(words)), "expected 24 words, got 23");
    words = split(kLegal);
    words.push_back("zoo");
    EXPECT_EQ(error_of(join(words)), "expected 24 words, got 25");
    EXPECT_EQ(error_of(""), "expected 24 words, got 0");
    EXPECT_EQ(error_of(" \n\t "), "expected 24 words, got 0");
}

TEST(RecoveryWordsTest, TooLongInputIsRefusedBeforeReading) {
    std::string padded(kLegal);
    padded.resize(kMaxRecoveryWordsText, ' ');
    EXPECT_TRUE(recovery_key_from_words(padded));
    padded.push_back(' ');
    EXPECT_NE(error_of(padded).find("too long"), std::string::npos);
    EXPECT_NE(error_of(std::string(100000, 'x')).find("too long"), std::string::npos);
}

// A real peer: python-mnemonic (the BIP39 reference, Debian's python3-mnemonic) must read our
// words as the same bytes, and we must read its words as the same bytes.
std::string python_with_mnemonic() {
    for (const char* python : {"python3", "/usr/bin/python3"}) {
        const std::string probe = std::string(python) + " -c 'import mnemonic' >/dev/null 2>&1";
        if (std::system(probe.c_str()) == 0) {
            return python;
        }
    }
    return {};
}

std::vector<std::string> run_lines(const std::string& command) {
    std::vector<std::string> lines;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return lines;
    }
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
        std::string line = buf;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        lines.push_back(line);
    }
    pclose(pipe);
    return lines;
}

TEST(RecoveryWordsPeerTest, PythonMnemonicAgreesBothWays) {
    const std::string python = python_with_mnemonic();
    if (python.empty()) {
        GTEST_SKIP()
            << "python3-mnemonic not installed; the BIP39 vectors still cover the encoding";
    }
    constexpr int kKeys = 20;

    // Our words, python's bytes: throwaway random keys, so they may go on a command line.
    std::vector<std::string> hexes;
    std::string command = python +
                          " -c 'import sys, mnemonic; m = mnemonic.Mnemonic(\"english\")\n"
                          "for w in sys.argv[1:]: print(bytes(m.to_entropy(w)).hex())'";
    for (int i = 0; i < kKeys; ++i) {
        auto key = SecretBytes::random(kRecoveryKeyBytes);
        ASSERT_TRUE(key);
        auto words = recovery_words_from_key(*key);
        ASSERT_TRUE(words);
        hexes.push_back(hex_of(*key));
        command += " '" + *words + "'";
    }
    EXPECT_EQ(run_lines(command), hexes);

    // Python's words, our bytes.
    const auto lines = run_lines(python +
                                 " -c 'import os, mnemonic; m = mnemonic.Mnemonic(\"english\")\n"
                                 "for _ in range(" +
                                 std::to_string(kKeys) +
                                 "):\n"
                                 "  e = os.urandom(32); print(e.hex()); print(m.to_mnemonic(e))'");
    ASSERT_EQ(lines.size(), 2U * kKeys);
    for (std::size_t i = 0; i < lines.size(); i += 2) {
        auto key = recovery_key_from_words(lines[i + 1]);
        ASSERT_TRUE(key) << key.error().describe();
        EXPECT_EQ(hex_of(*key), lines[i]);
        EXPECT_EQ(*recovery_words_from_key(*key), lines[i + 1]);
    }
}

}  // namespace
}  // namespace hearth::crypto
