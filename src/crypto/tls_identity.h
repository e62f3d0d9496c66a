// The hub's TLS identity: a certificate chain and its private key.
//
// On first start the hub makes its own: an ECDSA P-256 key and a self-signed X.509 v3
// certificate (CN "Hearth hub", SAN localhost, 127.0.0.1, ::1 and the machine's host name,
// serverAuth, ~825 days) in <data_dir>/tls/. Users check it by its SHA-256 fingerprint,
// which the hub prints and the setup page shows. A household that has its own certificate
// (for example from a local CA) configures the chain and key files instead.
//
// The private key PEM lives only in guarded memory (SecretBytes); key.pem is mode 0600 in
// a 0700 directory and is written to a temporary file that is then renamed, so a crash
// never leaves half a key.
//
// Thread-safety: the functions are safe to call from any thread, but two processes must not
// create an identity in the same directory at once (the hub holds its data directory).
// Errors: kNotFound (a configured file is missing), kInvalidArgument (unreadable PEM, key
// does not match, expired), kUnavailable (cannot write the directory), kInternal (OpenSSL).
// Messages name the file concerned and never contain key material.
//
// Example:
//     auto id = crypto::load_or_create_tls_identity(data_dir / "tls");
//     if (!id) { return id.error(); }
//     std::printf("certificate fingerprint (SHA-256) %s\n", id->fingerprint_sha256.c_str());
//     server.start(listen, api::TlsSettings{id->cert_chain_pem, id->key_pem.view()});
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

enum class TlsIdentityOrigin : std::uint8_t { kInvalid = 0, kLoaded, kCreated, kRenewed, kUser };

struct TlsIdentity {
    std::string cert_chain_pem;  // leaf first, then any intermediates
    SecretBytes key_pem;         // PKCS#8 PEM of the leaf's private key
    // SHA-256 of the leaf certificate's DER, upper-case hex pairs joined by ':', the form
    // `openssl x509 -noout -fingerprint -sha256` prints.
    std::string fingerprint_sha256;
    std::chrono::system_clock::time_point not_after;
    TlsIdentityOrigin origin = TlsIdentityOrigin::kInvalid;
};

// A generated certificate is renewed (new key, new fingerprint) when it expires within this.
inline constexpr std::chrono::hours kTlsRenewBefore{30 * 24};
inline constexpr std::chrono::hours kTlsValidity{825 * 24};

// Loads <dir>/cert.pem and <dir>/key.pem, creating both when neither exists and replacing
// them when the certificate expires within kTlsRenewBefore. One file without the other,
// or a file that does not parse, is an error rather than a silent new identity: a changed
// fingerprint must never surprise the people who checked the old one.
core::Result<TlsIdentity> load_or_create_tls_identity(
    const std::filesystem::path& dir,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Loads a user-provided chain (PEM, leaf first) and private key (PEM), checks that the key
// belongs to the leaf and that the leaf is valid at `now`.
core::Result<TlsIdentity> load_tls_identity(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Fingerprint of the first certificate in `pem` (see TlsIdentity::fingerprint_sha256).
// Error: kInvalidArgument when there is no certificate.
core::Result<std::string> tls_fingerprint_sha256(std::string_view pem);

}  // namespace hearth::crypto
