// Sound events from the audio level: the level of each 100 ms block against a slowly
// learned background; a block `threshold_db` above it starts a sound, and a second of
// quiet ends it. Only levels are kept, never the audio itself.
//
// Thread-safety: one per camera thread.
#pragma once

#include <cstdint>
#include <span>

#include "core/clock.h"

namespace hearth::detect {

struct SoundLevel {
    bool loud = false;        // this block is above the background by the threshold
    double level_db = -120;   // dBFS of the block
    double background_db = -120;
};

class SoundDetector {
public:
    SoundDetector(int sample_rate, int threshold_db);
    void set_threshold(int threshold_db) { threshold_db_ = threshold_db; }
    // Mono samples in [-1, 1], the first at `at_us`. Calls `on_block(level, block_start_us)`
    // per finished 100 ms block.
    template <typename F>
    void push(std::span<const float> samples, core::WallMicros at_us, F&& on_block) {
        for (std::size_t i = 0; i < samples.size(); ++i) {
            if (count_ == 0) {
                block_start_us_ = at_us + static_cast<std::int64_t>(i) * 1'000'000 / sample_rate_;
            }
            sum_sq_ += static_cast<double>(samples[i]) * samples[i];
            if (++count_ == block_) {
                on_block(finish_block(), block_start_us_);
            }
        }
    }

private:
    SoundLevel finish_block();

    int sample_rate_;
    int threshold_db_;
    int block_;
    int count_ = 0;
    double sum_sq_ = 0;
    double background_db_ = 0;
    int blocks_seen_ = 0;
    core::WallMicros block_start_us_ = 0;
};

}  // namespace hearth::detect
