#include "crypto/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "crypto/key_file.h"

namespace hearth::crypto {

using core::ErrorCode;
using core::make_error;

namespace {

constexpr std::string_view kPrefix = "sb1:";
constexpr std::size_t kMaxSealedBytes = 4096;

// Writes the key to a temporary file, then links it into place: two hubs starting at once
// cannot both make one, and a crash mid-write leaves no empty key file behind.
core::Result<SecretBytes> create_key(const std::filesystem::path& path) {
    HEARTH_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::random(crypto_secretbox_KEYBYTES));
    std::string tmp = path.string() + ".new-XXXXXX";
    const int fd = ::mkstemp(tmp.data());  // created 0600
    if (fd < 0) {
        return make_error(ErrorCode::kUnavailable,
                          "hub key " + path.string() + ": cannot create: " + std::strerror(errno));
    }
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < key.size()) {
        const ssize_t n = ::write(fd, key.data() + done, key.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    const int linked = ok ? ::link(tmp.c_str(), path.c_str()) : -1;
    const int err = errno;
    ::unlink(tmp.c_str());
    if (linked != 0) {
        return make_error(ok && err == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kUnavailable,
                          "hub key " + path.string() + ": cannot write: " + std::strerror(err));
    }
    return key;
}

}  // namespace

core::Result<std::shared_ptr<const SecretBox>> SecretBox::load_or_create(
    const std::filesystem::path& key_file) {
    HEARTH_TRY(init_sodium());
    auto key = read_secret_file(key_file, "hub key", crypto_secretbox_KEYBYTES);
    if (!key && key.error().code == ErrorCode::kNotFound) {
        key = create_key(key_file);
        if (!key && key.error().code == ErrorCode::kAlreadyExists) {
            key = read_secret_file(key_file, "hub key", crypto_secretbox_KEYBYTES);
        }
    }
    if (!key) {
        return key.error();
    }
    if (key->size() != crypto_secretbox_KEYBYTES) {
        return make_error(ErrorCode::kInvalidArgument,
                          "hub key " + key_file.string() + ": must be exactly 32 bytes");
    }
    struct stat st {};
    // After the read, by name: a key file swapped in between is refused at the next start.
    if (::stat(key_file.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
        return make_error(ErrorCode::kPermissionDenied,
                          "hub key " + key_file.string() +
                              ": others may read it; run chmod 600 on it (and consider every "
                              "camera password it protects exposed)");
    }
    return std::make_shared<const SecretBox>(std::move(*key));
}

core::Result<std::shared_ptr<const SecretBox>> SecretBox::ephemeral() {
    HEARTH_TRY(init_sodium());
    HEARTH_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::random(crypto_secretbox_KEYBYTES));
    return std::make_shared<const SecretBox>(std::move(key));
}

bool SecretBox::is_sealed(std::string_view stored) { return stored.starts_with(kPrefix); }

std::string SecretBox::seal(std::string_view plaintext) const {
    return seal(
        std::span(reinterpret_cast<const std::uint8_t*>(plaintext.data()), plaintext.size()));
}

std::string SecretBox::seal(std::span<const std::uint8_t> plaintext) const {
    std::vector<std::uint8_t> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                  plaintext.size());
    randombytes_buf(box.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES, plaintext.data(),
                          plaintext.size(), box.data(), key_.data());
    return std::string(kPrefix) + base64url_encode(box);
}

core::Result<SecretBytes> SecretBox::open(std::string_view sealed) const {
    if (!is_sealed(sealed) || sealed.size() > kMaxSealedBytes) {
        return make_error(ErrorCode::kInvalidArgument, "not a sealed value");
    }
    HEARTH_ASSIGN_OR_RETURN(auto box, base64url_decode(sealed.substr(kPrefix.size())));
    if (box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        return make_error(ErrorCode::kInvalidArgument, "sealed value is too short");
    }
    const std::size_t n = box.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    HEARTH_ASSIGN_OR_RETURN(SecretBytes out, SecretBytes::allocate(n));
    std::uint8_t none[1];  // an empty secret still has its tag checked
    if (crypto_secretbox_open_easy(
            n == 0 ? none : out.data(), box.data() + crypto_secretbox_NONCEBYTES,
            box.size() - crypto_secretbox_NONCEBYTES, box.data(), key_.data()) != 0) {
        return make_error(ErrorCode::kPermissionDenied,
                          "a sealed value does not open with this hub's key (altered, or from "
                          "another hub)");
    }
    return out;
}

}  // namespace hearth::crypto
