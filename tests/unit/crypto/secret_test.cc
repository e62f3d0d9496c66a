#include "crypto/secret.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <type_traits>
#include <utility>

namespace hearth::crypto {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(!std::is_convertible_v<SecretBytes, std::string>);
static_assert(!std::is_convertible_v<SecretBytes, std::string_view>);

TEST(SecretBytesTest, AllocateGivesZeroedBytes) {
    auto s = SecretBytes::allocate(48);
    ASSERT_TRUE(s) << s.error().describe();
    ASSERT_EQ(s->size(), 48U);
    for (const auto b : s->view()) {
        EXPECT_EQ(b, 0);
    }
}

TEST(SecretBytesTest, ZeroSizeIsEmpty) {
    auto s = SecretBytes::allocate(0);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->empty());
    EXPECT_TRUE(s->view().empty());
}

TEST(SecretBytesTest, CopyOfKeepsTheBytes) {
    std::string passphrase = "correct horse battery staple";
    auto s = SecretBytes::copy_of(passphrase);
    ASSERT_TRUE(s);
    wipe(passphrase);
    EXPECT_TRUE(passphrase.empty());
    const std::string back(reinterpret_cast<const char*>(s->data()), s->size());
    EXPECT_EQ(back, "correct horse battery staple");
}

TEST(SecretBytesTest, WipeZeroesBeforeClearing) {
    std::string s(64, 'x');
    const char* p = s.data();
    wipe(s);
    EXPECT_TRUE(s.empty());
    // clear() keeps the buffer, so the old bytes can be checked in place.
    for (std::size_t i = 0; i < 64; ++i) {
        EXPECT_EQ(p[i], '\0');
    }
}

TEST(SecretBytesTest, MovesTransferOwnership) {
    auto a = SecretBytes::copy_of("secret");
    ASSERT_TRUE(a);
    SecretBytes moved(std::move(*a));
    EXPECT_EQ(moved.size(), 6U);
    EXPECT_EQ(a->size(), 0U);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(a->data(), nullptr);

    auto b = SecretBytes::copy_of("other");
    ASSERT_TRUE(b);
    *b = std::move(moved);
    EXPECT_EQ(b->size(), 6U);
    EXPECT_EQ(moved.size(), 0U);  // NOLINT(bugprone-use-after-move)
}

TEST(SecretBytesTest, EqualsComparesContentsAndSize) {
    auto a = SecretBytes::copy_of("same bytes");
    auto b = SecretBytes::copy_of("same bytes");
    auto c = SecretBytes::copy_of("same byteZ");
    auto d = SecretBytes::copy_of("same");
    ASSERT_TRUE(a && b && c && d);
    EXPECT_TRUE(a->equals(*b));
    EXPECT_FALSE(a->equals(*c));
    EXPECT_FALSE(a->equals(*d));
    EXPECT_TRUE(SecretBytes().equals(SecretBytes()));
}

TEST(SecretBytesTest, RandomDiffers) {
    auto a = SecretBytes::random(32);
    auto b = SecretBytes::random(32);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->size(), 32U);
    EXPECT_FALSE(a->equals(*b));
}

TEST(TokenTest, SessionTokensAre43CharsOfBase64UrlAndDiffer) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string t = random_token_base64url(32);
        ASSERT_EQ(t.size(), 43U);
        for (const char c : t) {
            const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_';
            EXPECT_TRUE(ok) << "unexpected character in token";
        }
        seen.insert(t);
    }
    EXPECT_EQ(seen.size(), 100U);
}

TEST(HashTest, Sha256OfAbc) {
    EXPECT_EQ(sha256_hex(std::string_view("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const auto digest = sha256(std::string_view("abc"));
    EXPECT_EQ(digest[0], 0xba);
    EXPECT_EQ(digest[31], 0xad);
    EXPECT_EQ(sha256_hex(std::string_view("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, SpanAndStringOverloadsAgree) {
    auto s = SecretBytes::copy_of("abc");
    ASSERT_TRUE(s);
    EXPECT_EQ(sha256_hex(s->view()), sha256_hex(std::string_view("abc")));
}

TEST(CompareTest, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("token", "token"));
    EXPECT_FALSE(constant_time_equal("token", "tokeN"));
    EXPECT_FALSE(constant_time_equal("token", "token2"));
    EXPECT_FALSE(constant_time_equal("", "x"));
}

}  // namespace
}  // namespace hearth::crypto
