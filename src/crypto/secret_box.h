// Small secrets at rest (camera passwords): sealed with libsodium's crypto_secretbox
// (XSalsa20-Poly1305) under the hub key, 32 random bytes in a file only the hub's user
// may read (`<data>/hub.key`, mode 0600). A copy of the database alone reveals no camera
// password; a changed value fails to open instead of yielding garbage. (A sealed value
// copied to another camera's row still opens: it is not bound to its row.)
//
// Sealed text is "sb1:" + base64url(nonce || ciphertext), so it fits a TEXT column and
// is told apart from legacy plain text.
//
// Thread-safety: a SecretBox is immutable after load; share it freely.
// Example:
//     HEARTH_ASSIGN_OR_RETURN(auto box, crypto::SecretBox::load_or_create(dir / "hub.key"));
//     std::string stored = box.seal(password);
//     HEARTH_ASSIGN_OR_RETURN(crypto::SecretBytes back, box.open(stored));
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

class SecretBox {
public:
    // Reads the key, or makes one (O_EXCL, 0600) when the file does not exist. A key file
    // others may read is refused (kPermissionDenied) rather than trusted; a file of the
    // wrong size is kInvalidArgument.
    static core::Result<std::shared_ptr<const SecretBox>> load_or_create(
        const std::filesystem::path& key_file);
    // A fresh random key, for tests.
    static core::Result<std::shared_ptr<const SecretBox>> ephemeral();

    std::string seal(std::span<const std::uint8_t> plaintext) const;
    std::string seal(std::string_view plaintext) const;
    // Errors: kInvalidArgument (not sealed text), kPermissionDenied (altered, or sealed
    // under another key).
    core::Result<SecretBytes> open(std::string_view sealed) const;
    static bool is_sealed(std::string_view stored);

    explicit SecretBox(SecretBytes key) : key_(std::move(key)) {}

private:
    SecretBytes key_;
};

}  // namespace hearth::crypto
