// Reads the chunks of one recorded file (the init segment, then fragments) at the offsets
// the index gives, decrypting those of an encrypted file (recorder.h) on the fly.
//
// The bytes on disk are untrusted: sizes are bounded, and a chunk that fails its
// authentication is reported as damaged (kDataLoss), never returned.
//
// Thread: one reader per request; not shared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::media {

// Opens a segment key sealed to the household (or re-sealed to a share link). Errors are
// passed through: kFailedPrecondition when the household key is locked.
using KeyOpener =
    std::function<core::Result<crypto::SecretBytes>(std::span<const std::uint8_t> sealed)>;

inline constexpr std::int64_t kMaxChunkBytes = 256LL * 1024 * 1024;

class SegmentReader {
public:
    // `sealed_key` empty: the file is in the clear. Errors: kNotFound (no file), the
    // opener's errors.
    static core::Result<SegmentReader> open(const std::filesystem::path& file,
                                            std::span<const std::uint8_t> sealed_key,
                                            const KeyOpener& opener);
    SegmentReader(SegmentReader&& other) noexcept;
    SegmentReader& operator=(SegmentReader&& other) noexcept;
    SegmentReader(const SegmentReader&) = delete;
    SegmentReader& operator=(const SegmentReader&) = delete;
    ~SegmentReader();

    // The plaintext of the chunk stored at [offset, offset + bytes). Errors: kDataLoss when
    // the file is shorter than its index or the chunk fails its check (altered on disk),
    // kInvalidArgument for an impossible size.
    core::Result<std::vector<std::uint8_t>> read(std::int64_t offset, std::int64_t bytes) const;
    // Plaintext bytes of a chunk of `bytes` on disk, without reading it.
    core::Result<std::int64_t> plain_size(std::int64_t bytes) const;
    bool encrypted() const { return !key_.empty(); }

private:
    SegmentReader(int fd, crypto::SecretBytes key) : fd_(fd), key_(std::move(key)) {}

    int fd_ = -1;
    crypto::SecretBytes key_;
};

// A 'free' box of exactly `bytes` (>= 8) bytes: what stands in for a damaged fragment, so
// a stream keeps its announced length and players skip over the gap.
std::vector<std::uint8_t> filler_box(std::size_t bytes);

}  // namespace hearth::media
