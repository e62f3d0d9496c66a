#include "detect/sound.h"

#include <algorithm>
#include <cmath>

namespace hearth::detect {

SoundDetector::SoundDetector(int sample_rate, int threshold_db)
    : sample_rate_(std::max(1, sample_rate)), threshold_db_(threshold_db), block_(std::max(1, sample_rate / 10)) {}

SoundLevel SoundDetector::finish_block() {
    SoundLevel out;
    const double rms = std::sqrt(sum_sq_ / count_);
    out.level_db = 20.0 * std::log10(std::max(rms, 1e-6));
    count_ = 0;
    sum_sq_ = 0;
    if (blocks_seen_ < 10) {  // the first second sets the background
        background_db_ += (out.level_db - background_db_) / ++blocks_seen_;
        out.background_db = background_db_;
        return out;
    }
    out.background_db = background_db_;
    out.loud = out.level_db > background_db_ + threshold_db_;
    // The background follows the room (a fridge, rain) but not the events themselves.
    const double rate = out.loud ? 0.001 : 0.02;
    background_db_ += (out.level_db - background_db_) * rate;
    return out;
}

}  // namespace hearth::detect
