#include "crypto/tls_identity.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "core/address.h"
#include "crypto/key_file.h"

namespace hearth::crypto {
namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using core::make_error;
using Clock = std::chrono::system_clock;

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const {
        Free(p);
    }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using Chain = std::vector<X509Ptr>;

// Public files (certificates) are small; a larger file is not what we think it is.
constexpr std::size_t kMaxPemBytes = 256 * 1024;
constexpr std::chrono::hours kBackdate{1};  // tolerate clients whose clock is a little behind

// The first queued OpenSSL error as text, and the queue cleared; never holds key bytes.
std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
}

core::Error ssl_failure(std::string_view what) {
    return make_error(ErrorCode::kInternal, std::string(what) + ": " + openssl_error());
}

// Never prompt on a terminal for a passphrase: an encrypted key simply fails to load.
int no_passphrase(char*, int, int, void*) { return 0; }

core::Result<std::string> read_public_file(const fs::path& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(ErrorCode::kNotFound,
                          std::string(what) + " " + path.string() + ": cannot open");
    }
    std::string text(kMaxPemBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxPemBytes) {
        return make_error(ErrorCode::kInvalidArgument, std::string(what) + " " + path.string() +
                                                           ": larger than " +
                                                           std::to_string(kMaxPemBytes) + " bytes");
    }
    return text;
}

std::string hex_fingerprint(const X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(cert, EVP_sha256(), md, &n) != 1) {
        ERR_clear_error();
        return {};
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(n * 3);
    for (unsigned int i = 0; i < n; ++i) {
        if (i > 0) {
            out.push_back(':');
        }
        out.push_back(kHex[md[i] >> 4]);
        out.push_back(kHex[md[i] & 0xf]);
    }
    return out;
}

Clock::time_point to_time_point(const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) {
        return {};
    }
    return Clock::from_time_t(::timegm(&tm));
}

core::Result<Chain> parse_chain(std::string_view pem, std::string_view origin) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        return ssl_failure("BIO_new_mem_buf");
    }
    Chain chain;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
        chain.emplace_back(cert);
    }
    // Running out of certificates ends the loop with a "no start line" error: expected.
    ERR_clear_error();
    if (chain.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "TLS certificate " + std::string(origin) +
                              ": no PEM certificate (-----BEGIN CERTIFICATE-----) found");
    }
    return chain;
}

core::Result<PkeyPtr> parse_key(const SecretBytes& pem, const fs::path& origin) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        return ssl_failure("BIO_new_mem_buf");
    }
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key) {
        ERR_clear_error();
        return make_error(ErrorCode::kInvalidArgument,
                          "TLS key " + origin.string() +
                              ": not an unencrypted PEM private key (an encrypted key cannot be "
                              "used: the hub starts unattended)");
    }
    return key;
}

// Checks and assembles an identity from a chain and a key already read.
core::Result<TlsIdentity> make_identity(std::string chain_pem, SecretBytes key_pem,
                                        const fs::path& cert_file, const fs::path& key_file,
                                        Clock::time_point now, TlsIdentityOrigin origin) {
    HEARTH_ASSIGN_OR_RETURN(Chain chain, parse_chain(chain_pem, cert_file.string()));
    HEARTH_ASSIGN_OR_RETURN(PkeyPtr key, parse_key(key_pem, key_file));
    X509* leaf = chain.front().get();
    if (X509_check_private_key(leaf, key.get()) != 1) {
        ERR_clear_error();
        return make_error(ErrorCode::kInvalidArgument,
                          "TLS key " + key_file.string() +
                              " does not belong to the certificate in " + cert_file.string() +
                              " (the first certificate must be the server's own)");
    }
    std::time_t now_t = Clock::to_time_t(now);
    if (X509_cmp_time(X509_get0_notAfter(leaf), &now_t) < 0) {
        return make_error(ErrorCode::kInvalidArgument,
                          "TLS certificate " + cert_file.string() + " has expired");
    }
    if (X509_cmp_time(X509_get0_notBefore(leaf), &now_t) > 0) {
        return make_error(
            ErrorCode::kInvalidArgument,
            "TLS certificate " + cert_file.string() + " is not valid yet (check the system clock)");
    }
    TlsIdentity id;
    id.fingerprint_sha256 = hex_fingerprint(leaf);
    if (id.fingerprint_sha256.empty()) {
        return ssl_failure("certificate digest");
    }
    id.not_after = to_time_point(X509_get0_notAfter(leaf));
    id.cert_chain_pem = std::move(chain_pem);
    id.key_pem = std::move(key_pem);
    id.origin = origin;
    return id;
}

core::Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        return ssl_failure("certificate extension " + std::string(OBJ_nid2sn(nid)));
    }
    return {};
}

std::string subject_alt_names() {
    std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) {
        std::string name(host);
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        // Validated as a DNS name, so it cannot smuggle ',' or another entry into the list.
        if (core::is_dns_name(name) && name != "localhost") {
            san += ",DNS:" + name;
        }
    }
    return san;
}

struct Generated {
    std::string cert_pem;
    SecretBytes key_pem;
};

core::Result<Generated> generate(Clock::time_point now) {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) {
        return ssl_failure("ECDSA P-256 key generation");
    }
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
        return ssl_failure("X509_new");
    }
    // RFC 5280: positive, at most 20 octets; 128 random bits make serials unguessable.
    unsigned char serial_bytes[16];
    if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) {
        return ssl_failure("RAND_bytes");
    }
    serial_bytes[0] &= 0x7f;
    serial_bytes[0] |= 0x40;  // keep it 16 octets long
    BnPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
    if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
        return ssl_failure("certificate serial");
    }
    std::time_t start = Clock::to_time_t(now - kBackdate);
    std::time_t end = Clock::to_time_t(now + kTlsValidity);
    if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &start) == nullptr ||
        X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, 0, &end) == nullptr) {
        return ssl_failure("certificate validity");
    }
    X509_NAME* name = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("Hearth hub"), -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(cert.get(), name) != 1 ||
        X509_set_pubkey(cert.get(), key.get()) != 1) {
        return ssl_failure("certificate name");
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    HEARTH_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    HEARTH_TRY(add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
    HEARTH_TRY(add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
    HEARTH_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
    HEARTH_TRY(add_extension(cert.get(), &ctx, NID_subject_alt_name, subject_alt_names()));
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
        return ssl_failure("certificate signature");
    }

    Generated out;
    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
        return ssl_failure("certificate PEM");
    }
    char* data = nullptr;
    const long cert_len = BIO_get_mem_data(cert_bio.get(), &data);
    out.cert_pem.assign(data, static_cast<std::size_t>(cert_len));

    // A secure-memory BIO is wiped when freed; the PEM is copied into guarded memory at once.
    BioPtr key_bio(BIO_new(BIO_s_secmem()));
    if (!key_bio || PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                             nullptr) != 1) {
        return ssl_failure("private key PEM");
    }
    const long key_len = BIO_get_mem_data(key_bio.get(), &data);
    HEARTH_ASSIGN_OR_RETURN(out.key_pem, SecretBytes::copy_of(std::span<const std::uint8_t>(
                                             reinterpret_cast<const std::uint8_t*>(data),
                                             static_cast<std::size_t>(key_len))));
    return out;
}

core::Result<TlsIdentity> create(const fs::path& dir, Clock::time_point now,
                                 TlsIdentityOrigin origin) {
    HEARTH_ASSIGN_OR_RETURN(Generated made, generate(now));
    const fs::path cert_file = dir / "cert.pem";
    const fs::path key_file = dir / "key.pem";
    // The key first: the certificate's rename is the commit point (see load_or_create).
    HEARTH_TRY(write_file_atomically(key_file, made.key_pem.view(), 0600));
    HEARTH_TRY(write_file_atomically(
        cert_file,
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(made.cert_pem.data()),
                                      made.cert_pem.size()),
        0644));
    return make_identity(std::move(made.cert_pem), std::move(made.key_pem), cert_file, key_file,
                         now, origin);
}

}  // namespace

core::Result<std::string> tls_fingerprint_sha256(std::string_view pem) {
    HEARTH_ASSIGN_OR_RETURN(Chain chain, parse_chain(pem, "(text)"));
    std::string fingerprint = hex_fingerprint(chain.front().get());
    if (fingerprint.empty()) {
        return ssl_failure("certificate digest");
    }
    return fingerprint;
}

core::Result<TlsIdentity> load_tls_identity(const fs::path& cert_file, const fs::path& key_file,
                                            Clock::time_point now) {
    HEARTH_ASSIGN_OR_RETURN(std::string chain_pem, read_public_file(cert_file, "TLS certificate"));
    HEARTH_ASSIGN_OR_RETURN(SecretBytes key_pem, read_secret_file(key_file, "TLS key", kMaxPemBytes));
    return make_identity(std::move(chain_pem), std::move(key_pem), cert_file, key_file, now,
                         TlsIdentityOrigin::kUser);
}

core::Result<TlsIdentity> load_or_create_tls_identity(const fs::path& dir, Clock::time_point now) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return make_error(ErrorCode::kUnavailable,
                          "cannot create " + dir.string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
        return make_error(ErrorCode::kUnavailable,
                          "cannot restrict " + dir.string() + " to its owner: " + ec.message());
    }
    const fs::path cert_file = dir / "cert.pem";
    const fs::path key_file = dir / "key.pem";
    // No certificate: nothing was ever shown to anyone (a crash between the two renames
    // leaves only the key), so a fresh identity surprises nobody.
    if (!fs::exists(cert_file, ec)) {
        return create(dir, now, TlsIdentityOrigin::kCreated);
    }
    HEARTH_ASSIGN_OR_RETURN(std::string chain_pem, read_public_file(cert_file, "TLS certificate"));
    HEARTH_ASSIGN_OR_RETURN(SecretBytes key_pem, read_secret_file(key_file, "TLS key", kMaxPemBytes));
    // Expired or about to: renew rather than refuse to start, the fingerprint is printed anew.
    HEARTH_ASSIGN_OR_RETURN(Chain chain, parse_chain(chain_pem, cert_file.string()));
    std::time_t soon = Clock::to_time_t(now + kTlsRenewBefore);
    if (X509_cmp_time(X509_get0_notAfter(chain.front().get()), &soon) < 0) {
        return create(dir, now, TlsIdentityOrigin::kRenewed);
    }
    return make_identity(std::move(chain_pem), std::move(key_pem), cert_file, key_file, now,
                         TlsIdentityOrigin::kLoaded);
}

}  // namespace hearth::crypto
