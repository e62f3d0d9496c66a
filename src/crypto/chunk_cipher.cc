#include "crypto/chunk_cipher.h"

#include <sodium.h>

#include <array>

namespace hearth::crypto {

using core::ErrorCode;
using core::make_error;

namespace {

constexpr std::size_t kHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t kOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;

std::array<std::uint8_t, 8> chunk_ad(std::uint64_t n) {
    std::array<std::uint8_t, 8> ad{};
    for (int i = 0; i < 8; ++i) {
        ad[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
    }
    return ad;
}

core::Error damaged(std::uint64_t n) {
    return make_error(ErrorCode::kPermissionDenied,
                      "recording chunk " + std::to_string(n) +
                          " was altered, moved or cut short: it does not decrypt");
}

core::Status check_key(const SecretBytes& key) {
    if (key.size() != kChunkKeyBytes) {
        return make_error(ErrorCode::kInvalidArgument, "a segment key is 32 bytes");
    }
    return init_sodium();
}

}  // namespace

std::size_t encrypted_chunk_size(std::size_t plain_bytes) {
    const std::size_t messages =
        plain_bytes == 0 ? 1 : (plain_bytes + kChunkMessageBytes - 1) / kChunkMessageBytes;
    return kHeader + plain_bytes + messages * kOverhead;
}

core::Result<std::size_t> plain_chunk_size(std::size_t chunk_bytes) {
    constexpr std::size_t kFull = kChunkMessageBytes + kOverhead;
    if (chunk_bytes < kHeader + kOverhead) {
        return make_error(ErrorCode::kInvalidArgument, "too short for an encrypted chunk");
    }
    const std::size_t body = chunk_bytes - kHeader;
    const std::size_t rest = body % kFull;
    if (rest == 0) {
        return body / kFull * kChunkMessageBytes;
    }
    if (rest < kOverhead) {
        return make_error(ErrorCode::kInvalidArgument, "not the size of an encrypted chunk");
    }
    return body / kFull * kChunkMessageBytes + rest - kOverhead;
}

core::Result<std::vector<std::uint8_t>> encrypt_chunk(const SecretBytes& key,
                                                      std::uint64_t chunk_number,
                                                      std::span<const std::uint8_t> plain) {
    HEARTH_TRY(check_key(key));
    std::vector<std::uint8_t> out(encrypted_chunk_size(plain.size()));
    crypto_secretstream_xchacha20poly1305_state state;
    crypto_secretstream_xchacha20poly1305_init_push(&state, out.data(), key.data());
    const auto ad = chunk_ad(chunk_number);
    std::size_t in = 0, at = kHeader;
    do {
        const std::size_t n = std::min(kChunkMessageBytes, plain.size() - in);
        const bool last = in + n == plain.size();
        unsigned long long written = 0;
        crypto_secretstream_xchacha20poly1305_push(
            &state, out.data() + at, &written, plain.data() + in, n, ad.data(), ad.size(),
            last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
        in += n;
        at += static_cast<std::size_t>(written);
    } while (in < plain.size());
    sodium_memzero(&state, sizeof state);
    return out;
}

core::Result<std::vector<std::uint8_t>> decrypt_chunk(const SecretBytes& key,
                                                      std::uint64_t chunk_number,
                                                      std::span<const std::uint8_t> chunk) {
    HEARTH_TRY(check_key(key));
    if (chunk.size() < kHeader + kOverhead) {
        return damaged(chunk_number);
    }
    crypto_secretstream_xchacha20poly1305_state state;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&state, chunk.data(), key.data()) != 0) {
        return damaged(chunk_number);
    }
    const auto ad = chunk_ad(chunk_number);
    std::vector<std::uint8_t> out;
    out.reserve(chunk.size());
    std::size_t at = kHeader;
    bool final = false;
    while (at < chunk.size() && !final) {
        const std::size_t n = std::min(kChunkMessageBytes + kOverhead, chunk.size() - at);
        const std::size_t start = out.size();
        out.resize(start + n - std::min(n, kOverhead));
        unsigned long long got = 0;
        unsigned char tag = 0;
        if (n < kOverhead || crypto_secretstream_xchacha20poly1305_pull(
                                 &state, out.data() + start, &got, &tag, chunk.data() + at, n,
                                 ad.data(), ad.size()) != 0) {
            sodium_memzero(&state, sizeof state);
            return damaged(chunk_number);
        }
        out.resize(start + static_cast<std::size_t>(got));
        final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
        at += n;
    }
    sodium_memzero(&state, sizeof state);
    // A chunk must end exactly with its FINAL message: anything else was cut or padded.
    if (!final || at != chunk.size()) {
        return damaged(chunk_number);
    }
    return out;
}

}  // namespace hearth::crypto
