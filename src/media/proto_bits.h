// A bounded MSB-first bit reader for codec headers (SPS, AudioSpecificConfig, AU headers).
// Reading past the end never touches memory: it sets a sticky failure flag and yields zeros, so
// parsers read a whole structure and check ok() once.
//
// Thread-safety: one instance per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hearth::media::bits {

class BitReader {
public:
    explicit BitReader(std::span<const std::uint8_t> data) : data_(data) {}

    bool ok() const { return ok_; }
    std::size_t bits_left() const { return ok_ ? data_.size() * 8 - pos_ : 0; }

    // Up to 32 bits.
    std::uint32_t read(int count) {
        std::uint32_t v = 0;
        for (int i = 0; i < count; ++i) {
            v = (v << 1) | read_bit();
        }
        return v;
    }
    std::uint32_t read_bit() {
        if (pos_ >= data_.size() * 8) {
            ok_ = false;
            return 0;
        }
        const std::uint32_t bit = (data_[pos_ / 8] >> (7 - pos_ % 8)) & 1u;
        ++pos_;
        return bit;
    }
    void skip(std::size_t count) {
        if (count > bits_left()) {
            ok_ = false;
            pos_ = data_.size() * 8;
            return;
        }
        pos_ += count;
    }
    // Unsigned exp-Golomb ue(v); more than 31 leading zeros is malformed (fails).
    std::uint32_t read_ue() {
        int zeros = 0;
        while (read_bit() == 0) {
            if (!ok_ || ++zeros > 31) {
                ok_ = false;
                return 0;
            }
        }
        if (zeros == 0) {
            return 0;
        }
        const std::uint64_t v = (std::uint64_t{1} << zeros) - 1 + read(zeros);
        return v > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(v);
    }
    // Signed exp-Golomb se(v).
    std::int32_t read_se() {
        const std::uint32_t k = read_ue();
        const auto magnitude = static_cast<std::int32_t>((k + 1) / 2 & 0x7fffffffu);
        return (k & 1u) ? magnitude : -magnitude;
    }

private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace hearth::media::bits
