#include "crypto/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace hearth::crypto {
namespace {

class SecretBoxTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("hearth-box-test-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

std::string text(const SecretBytes& s) {
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

TEST_F(SecretBoxTest, SealsAndOpensWithAKeyFileOnlyTheHubMayRead) {
    const auto key = dir_ / "hub.key";
    auto box = SecretBox::load_or_create(key);
    ASSERT_TRUE(box) << box.error().describe();
    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 32);

    const std::string sealed = (*box)->seal("camera-pass-1");
    EXPECT_TRUE(SecretBox::is_sealed(sealed));
    EXPECT_EQ(sealed.find("camera-pass-1"), std::string::npos);
    EXPECT_NE((*box)->seal("camera-pass-1"), sealed);  // a fresh nonce each time
    auto opened = (*box)->open(sealed);
    ASSERT_TRUE(opened);
    EXPECT_EQ(text(*opened), "camera-pass-1");

    // The same file gives the same key next time.
    auto again = SecretBox::load_or_create(key);
    ASSERT_TRUE(again);
    EXPECT_EQ(text(*(*again)->open(sealed)), "camera-pass-1");
    auto empty = (*again)->open((*again)->seal(""));
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST_F(SecretBoxTest, AlteredOrForeignValuesDoNotOpen) {
    auto box = SecretBox::ephemeral();
    auto other = SecretBox::ephemeral();
    ASSERT_TRUE(box && other);
    std::string sealed = (*box)->seal("hunter2-but-longer");
    EXPECT_EQ((*other)->open(sealed).error().code, core::ErrorCode::kPermissionDenied);
    std::string altered = sealed;
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    EXPECT_EQ((*box)->open(altered).error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_EQ((*box)->open("plain").error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ((*box)->open("sb1:!!").error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ((*box)->open("sb1:AAAA").error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ((*box)->open("sb1:" + std::string(5000, 'A')).error().code,
              core::ErrorCode::kInvalidArgument);
}

TEST_F(SecretBoxTest, ARevealedOrDamagedKeyFileIsRefused) {
    const auto key = dir_ / "hub.key";
    ASSERT_TRUE(SecretBox::load_or_create(key));
    ::chmod(key.c_str(), 0644);
    auto loose = SecretBox::load_or_create(key);
    ASSERT_FALSE(loose);
    EXPECT_EQ(loose.error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);

    const auto short_key = dir_ / "short.key";
    std::ofstream(short_key) << "too short";
    ::chmod(short_key.c_str(), 0600);
    EXPECT_EQ(SecretBox::load_or_create(short_key).error().code,
              core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::crypto
