// Recordings encrypted in chunks (design notes: "Encryption at rest"): each chunk of a
// segment (its init segment, then each fMP4 fragment) is one crypto_secretstream_xchacha20poly1305
// stream under the segment's key, cut into messages of at most 64 KiB, the last one tagged
// FINAL. Playback seeks to a chunk and decrypts only it.
//
// Every message carries the chunk's number as additional data, so a chunk moved to
// another place in the file, or cut short, fails to decrypt instead of playing out of order.
//
// Layout of one chunk: header (24 bytes) | message | message | ... where a message is its
// plaintext length + 17 bytes.
//
// Thread-safety: plain functions. Errors: kPermissionDenied when a chunk was altered, moved
// or truncated (the caller reports that fragment and goes on), kInvalidArgument for a key
// of the wrong size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"

namespace hearth::crypto {

inline constexpr std::size_t kChunkKeyBytes = 32;
inline constexpr std::size_t kChunkMessageBytes = 64 * 1024;

// Bytes the chunk of `plain_bytes` takes once encrypted.
std::size_t encrypted_chunk_size(std::size_t plain_bytes);
// Its inverse: the plaintext bytes of a chunk of `chunk_bytes` (kInvalidArgument when no
// chunk has that size), so playback knows its length before decrypting.
core::Result<std::size_t> plain_chunk_size(std::size_t chunk_bytes);

core::Result<std::vector<std::uint8_t>> encrypt_chunk(const SecretBytes& key,
                                                      std::uint64_t chunk_number,
                                                      std::span<const std::uint8_t> plain);
core::Result<std::vector<std::uint8_t>> decrypt_chunk(const SecretBytes& key,
                                                      std::uint64_t chunk_number,
                                                      std::span<const std::uint8_t> chunk);

}  // namespace hearth::crypto
