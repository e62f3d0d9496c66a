// Key files: read straight into guarded memory, written atomically with a mode.
//
// Thread-safety: plain functions; callers serialise writers of one path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

// The whole regular file at `path`, 1 to `max_bytes` bytes, into guarded memory, so the
// key never sits in an ordinary heap buffer. `what` names it in errors ("TLS key").
// Errors: kNotFound (missing), kInvalidArgument (not a file, empty, too large),
// kUnavailable (unreadable).
core::Result<SecretBytes> read_secret_file(const std::filesystem::path& path,
                                           std::string_view what, std::size_t max_bytes);

// Temp file in the same directory, fsync, rename: readers see the old file or the new one.
// Error: kUnavailable.
core::Status write_file_atomically(const std::filesystem::path& path,
                                   std::span<const std::uint8_t> bytes, mode_t mode);

}  // namespace hearth::crypto
