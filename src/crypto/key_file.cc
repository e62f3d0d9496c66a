#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hearth::crypto {

using core::ErrorCode;
using core::make_error;
namespace fs = std::filesystem;

namespace {

core::Status fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return make_error(ErrorCode::kUnavailable, "cannot open " + dir.string());
    }
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) {
        return make_error(ErrorCode::kUnavailable, "cannot sync " + dir.string());
    }
    return {};
}

}  // namespace

core::Result<SecretBytes> read_secret_file(const fs::path& path, std::string_view what,
                                           std::size_t max_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return make_error(
            err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
            std::string(what) + " " + path.string() + ": cannot open: " + std::strerror(err));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " " + path.string() + ": not a regular file");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0 || size > max_bytes) {
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(what) + " " + path.string() + ": empty or implausibly large");
    }
    HEARTH_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::allocate(size));
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(fd, key.data() + done, size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return make_error(ErrorCode::kUnavailable,
                              std::string(what) + " " + path.string() + ": short read");
        }
        done += static_cast<std::size_t>(n);
    }
    return key;
}

core::Status write_file_atomically(const fs::path& path, std::span<const std::uint8_t> bytes,
                                   mode_t mode) {
    std::string tmp = path.string() + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());  // created 0600
    if (fd < 0) {
        return make_error(ErrorCode::kUnavailable, "cannot create a file next to " + path.string() +
                                                       ": " + std::strerror(errno));
    }
    bool ok = ::fchmod(fd, mode) == 0;
    std::size_t done = 0;
    while (ok && done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    const int err = errno;
    ok = ok && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const int rename_err = ok ? errno : err;
        ::unlink(tmp.c_str());
        return make_error(ErrorCode::kUnavailable,
                          "cannot write " + path.string() + ": " + std::strerror(rename_err));
    }
    return fsync_dir(path.parent_path());
}

}  // namespace hearth::crypto
