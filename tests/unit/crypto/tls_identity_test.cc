// The hub's TLS identity: creation, file modes, reopening, renewal, user certificates.
#include "crypto/tls_identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "crypto/secret.h"

namespace hearth::crypto {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct TempDir {
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "hearth-tls-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path path;
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
}

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr parse_cert(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

// Independent of the code under test: DER of the leaf, libsodium's SHA-256, openssl's format.
std::string fingerprint_of_file(const fs::path& cert_file) {
    auto cert = parse_cert(read_file(cert_file));
    if (!cert) {
        return {};
    }
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert.get(), &der);
    const auto digest = sha256(std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    std::string out;
    char pair[4];
    for (const auto b : digest) {
        std::snprintf(pair, sizeof pair, out.empty() ? "%02X" : ":%02X", b);
        out += pair;
    }
    return out;
}

TEST(TlsIdentityTest, CreatesOnFirstStartWithPrivateFiles) {
    TempDir tmp;
    const auto dir = tmp.path / "tls";
    auto id = load_or_create_tls_identity(dir);
    ASSERT_TRUE(id) << id.error().describe();
    EXPECT_EQ(id->origin, TlsIdentityOrigin::kCreated);
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(dir / "key.pem"), 0600u);
    EXPECT_EQ(id->fingerprint_sha256, fingerprint_of_file(dir / "cert.pem"));
    EXPECT_EQ(id->fingerprint_sha256.size(), 32u * 3 - 1);
    EXPECT_EQ(id->cert_chain_pem, read_file(dir / "cert.pem"));
    const std::string key_file = read_file(dir / "key.pem");
    ASSERT_EQ(id->key_pem.size(), key_file.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(id->key_pem.data()), id->key_pem.size()),
              key_file);
    // No temporary files left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) {
        ++files;
    }
    EXPECT_EQ(files, 2u);
}

TEST(TlsIdentityTest, CertificateIsWhatBrowsersExpect) {
    TempDir tmp;
    const auto now = std::chrono::system_clock::now();
    auto id = load_or_create_tls_identity(tmp.path, now);
    ASSERT_TRUE(id) << id.error().describe();
    auto cert = parse_cert(id->cert_chain_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);

    char cn[64] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
    EXPECT_STREQ(cn, "Hearth hub");

    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    ASSERT_NE(key, nullptr);
    EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
    char group[32] = {};
    std::size_t group_len = 0;
    ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, &group_len), 1);
    EXPECT_STREQ(group, "prime256v1");

    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    EXPECT_EQ(ASN1_STRING_length(serial), 16);

    EXPECT_EQ(X509_check_ca(cert.get()), 0);  // CA:FALSE
    EXPECT_TRUE(X509_get_extension_flags(cert.get()) & EXFLAG_KUSAGE);
    EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
    EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
    EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
    EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);

    const auto days =
        std::chrono::duration_cast<std::chrono::hours>(id->not_after - now).count() / 24;
    EXPECT_GE(days, 824);
    EXPECT_LE(days, 825);
}

TEST(TlsIdentityTest, ReopeningKeepsTheSameIdentity) {
    TempDir tmp;
    auto first = load_or_create_tls_identity(tmp.path);
    ASSERT_TRUE(first) << first.error().describe();
    auto again = load_or_create_tls_identity(tmp.path);
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(again->origin, TlsIdentityOrigin::kLoaded);
    EXPECT_EQ(again->fingerprint_sha256, first->fingerprint_sha256);
    EXPECT_TRUE(again->key_pem.equals(first->key_pem));
}

TEST(TlsIdentityTest, RenewsShortlyBeforeExpiry) {
    TempDir tmp;
    const auto now = std::chrono::system_clock::now();
    auto first = load_or_create_tls_identity(tmp.path, now);
    ASSERT_TRUE(first);
    auto still = load_or_create_tls_identity(tmp.path, now + kTlsValidity - kTlsRenewBefore - 48h);
    ASSERT_TRUE(still);
    EXPECT_EQ(still->origin, TlsIdentityOrigin::kLoaded);
    const auto late = now + kTlsValidity - kTlsRenewBefore + 24h;
    auto renewed = load_or_create_tls_identity(tmp.path, late);
    ASSERT_TRUE(renewed) << renewed.error().describe();
    EXPECT_EQ(renewed->origin, TlsIdentityOrigin::kRenewed);
    EXPECT_NE(renewed->fingerprint_sha256, first->fingerprint_sha256);
    EXPECT_EQ(renewed->fingerprint_sha256, fingerprint_of_file(tmp.path / "cert.pem"));
    EXPECT_EQ(mode_of(tmp.path / "key.pem"), 0600u);
}

TEST(TlsIdentityTest, CertificateWithoutItsKeyIsAnErrorNotANewIdentity) {
    TempDir tmp;
    ASSERT_TRUE(load_or_create_tls_identity(tmp.path));
    const std::string cert_before = read_file(tmp.path / "cert.pem");
    fs::remove(tmp.path / "key.pem");
    auto id = load_or_create_tls_identity(tmp.path);
    ASSERT_FALSE(id);
    EXPECT_NE(id.error().message.find("key.pem"), std::string::npos) << id.error().message;
    EXPECT_EQ(read_file(tmp.path / "cert.pem"), cert_before);
}

TEST(TlsIdentityTest, LoadsAUserCertificateAndKey) {
    TempDir tmp;
    auto made = load_or_create_tls_identity(tmp.path);
    ASSERT_TRUE(made);
    auto user = load_tls_identity(tmp.path / "cert.pem", tmp.path / "key.pem");
    ASSERT_TRUE(user) << user.error().describe();
    EXPECT_EQ(user->origin, TlsIdentityOrigin::kUser);
    EXPECT_EQ(user->fingerprint_sha256, made->fingerprint_sha256);
    auto fp = tls_fingerprint_sha256(made->cert_chain_pem);
    ASSERT_TRUE(fp);
    EXPECT_EQ(*fp, made->fingerprint_sha256);
}

TEST(TlsIdentityTest, MismatchedUserKeyIsRefusedNamingTheFiles) {
    TempDir a, b;
    ASSERT_TRUE(load_or_create_tls_identity(a.path));
    ASSERT_TRUE(load_or_create_tls_identity(b.path));
    auto id = load_tls_identity(a.path / "cert.pem", b.path / "key.pem");
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, core::ErrorCode::kInvalidArgument);
    const auto& m = id.error().message;
    EXPECT_NE(m.find("does not belong"), std::string::npos) << m;
    EXPECT_NE(m.find((b.path / "key.pem").string()), std::string::npos) << m;
    EXPECT_NE(m.find((a.path / "cert.pem").string()), std::string::npos) << m;
    EXPECT_EQ(m.find("BEGIN"), std::string::npos) << "no key material in errors";
}

TEST(TlsIdentityTest, ExpiredMissingAndGarbledUserFilesAreClearErrors) {
    TempDir tmp;
    ASSERT_TRUE(load_or_create_tls_identity(tmp.path));
    const auto cert = tmp.path / "cert.pem";
    const auto key = tmp.path / "key.pem";

    auto expired =
        load_tls_identity(cert, key, std::chrono::system_clock::now() + kTlsValidity + 24h);
    ASSERT_FALSE(expired);
    EXPECT_NE(expired.error().message.find("has expired"), std::string::npos);
    EXPECT_NE(expired.error().message.find(cert.string()), std::string::npos);

    auto missing = load_tls_identity(tmp.path / "nope.pem", key);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
    EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);

    std::ofstream(tmp.path / "garbage.pem") << "not a certificate\n";
    auto garbled = load_tls_identity(tmp.path / "garbage.pem", key);
    ASSERT_FALSE(garbled);
    EXPECT_NE(garbled.error().message.find("garbage.pem"), std::string::npos);

    auto key_as_cert = load_tls_identity(cert, tmp.path / "garbage.pem");
    ASSERT_FALSE(key_as_cert);
    EXPECT_NE(key_as_cert.error().message.find("garbage.pem"), std::string::npos);
}

}  // namespace
}  // namespace hearth::crypto
