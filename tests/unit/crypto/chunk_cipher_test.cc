#include "crypto/chunk_cipher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace hearth::crypto {
namespace {

std::vector<std::uint8_t> bytes(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    std::iota(v.begin(), v.end(), std::uint8_t{7});
    return v;
}

TEST(ChunkCipherTest, RoundTripsEverySizeAcrossMessageBoundaries) {
    auto key = SecretBytes::random(kChunkKeyBytes);
    ASSERT_TRUE(key);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, kChunkMessageBytes - 1,
                          kChunkMessageBytes, kChunkMessageBytes + 1, 3 * kChunkMessageBytes + 5}) {
        const auto plain = bytes(n);
        auto sealed = encrypt_chunk(*key, 42, plain);
        ASSERT_TRUE(sealed);
        EXPECT_EQ(sealed->size(), encrypted_chunk_size(n)) << n;
        auto back = decrypt_chunk(*key, 42, *sealed);
        ASSERT_TRUE(back) << n << ": " << back.error().message;
        EXPECT_EQ(*back, plain) << n;
    }
}

TEST(ChunkCipherTest, AlteredMovedOrTruncatedChunksAreRefused) {
    auto key = SecretBytes::random(kChunkKeyBytes);
    auto other = SecretBytes::random(kChunkKeyBytes);
    ASSERT_TRUE(key && other);
    const auto plain = bytes(2 * kChunkMessageBytes + 100);
    auto sealed = encrypt_chunk(*key, 3, plain);
    ASSERT_TRUE(sealed);
    // Ciphertext looks nothing like the plaintext.
    EXPECT_EQ(std::search(sealed->begin(), sealed->end(), plain.begin(), plain.begin() + 64),
              sealed->end());
    auto flipped = *sealed;
    flipped[flipped.size() / 2] ^= 0x01;
    EXPECT_EQ(decrypt_chunk(*key, 3, flipped).error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_EQ(decrypt_chunk(*key, 4, *sealed).error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_EQ(decrypt_chunk(*other, 3, *sealed).error().code, core::ErrorCode::kPermissionDenied);
    // Cut at a message boundary: every message that is left is valid, but FINAL is missing.
    const std::size_t one_message = 24 + kChunkMessageBytes + 17;
    EXPECT_FALSE(decrypt_chunk(*key, 3, std::span(*sealed).first(one_message)));
    EXPECT_FALSE(decrypt_chunk(*key, 3, std::span(*sealed).first(sealed->size() - 1)));
    auto padded = *sealed;
    padded.push_back(0);
    EXPECT_FALSE(decrypt_chunk(*key, 3, padded));
    EXPECT_FALSE(decrypt_chunk(*key, 3, std::span(*sealed).first(10)));
    auto short_key = SecretBytes::random(16);
    EXPECT_EQ(encrypt_chunk(*short_key, 0, plain).error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::crypto
