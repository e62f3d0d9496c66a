#include "media/segment_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/chunk_cipher.h"

namespace hearth::media {

using core::ErrorCode;
using core::make_error;

core::Result<SegmentReader> SegmentReader::open(const std::filesystem::path& file,
                                                std::span<const std::uint8_t> sealed_key,
                                                const KeyOpener& opener) {
    crypto::SecretBytes key;
    if (!sealed_key.empty()) {
        if (!opener) {
            return make_error(ErrorCode::kFailedPrecondition, "this recording is encrypted");
        }
        HEARTH_ASSIGN_OR_RETURN(key, opener(sealed_key));
    }
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                          std::string("recording file cannot be opened: ") + std::strerror(errno));
    }
    return SegmentReader(fd, std::move(key));
}

SegmentReader::SegmentReader(SegmentReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), key_(std::move(other.key_)) {}

SegmentReader& SegmentReader::operator=(SegmentReader&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        key_ = std::move(other.key_);
    }
    return *this;
}

SegmentReader::~SegmentReader() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

core::Result<std::int64_t> SegmentReader::plain_size(std::int64_t bytes) const {
    if (bytes <= 0 || bytes > kMaxChunkBytes) {
        return make_error(ErrorCode::kInvalidArgument, "recording chunk size is out of range");
    }
    if (key_.empty()) {
        return bytes;
    }
    HEARTH_ASSIGN_OR_RETURN(const auto plain,
                            crypto::plain_chunk_size(static_cast<std::size_t>(bytes)));
    return static_cast<std::int64_t>(plain);
}

core::Result<std::vector<std::uint8_t>> SegmentReader::read(std::int64_t offset,
                                                            std::int64_t bytes) const {
    HEARTH_TRY(plain_size(bytes));
    if (offset < 0) {
        return make_error(ErrorCode::kInvalidArgument, "recording chunk offset is negative");
    }
    std::vector<std::uint8_t> raw(static_cast<std::size_t>(bytes));
    std::size_t got = 0;
    while (got < raw.size()) {
        const ssize_t n = ::pread(fd_, raw.data() + got, raw.size() - got,
                                  static_cast<off_t>(offset) + static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return make_error(ErrorCode::kDataLoss, "recording file is shorter than its index");
        }
        got += static_cast<std::size_t>(n);
    }
    if (key_.empty()) {
        return raw;
    }
    auto plain = crypto::decrypt_chunk(key_, static_cast<std::uint64_t>(offset), raw);
    if (!plain) {
        return make_error(ErrorCode::kDataLoss,
                          "recording altered on disk: the chunk at byte " + std::to_string(offset) +
                              " fails its integrity check");
    }
    return plain;
}

std::vector<std::uint8_t> filler_box(std::size_t bytes) {
    std::vector<std::uint8_t> out(bytes < 8 ? 8 : bytes, 0);
    const auto size = static_cast<std::uint32_t>(out.size());  // fragments stay under 4 GiB
    out[0] = std::uint8_t(size >> 24);
    out[1] = std::uint8_t(size >> 16);
    out[2] = std::uint8_t(size >> 8);
    out[3] = std::uint8_t(size);
    std::memcpy(out.data() + 4, "free", 4);
    return out;
}

}  // namespace hearth::media
