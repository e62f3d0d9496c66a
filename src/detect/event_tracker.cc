#include "detect/event_tracker.h"

#include <algorithm>

namespace hearth::detect {

std::optional<Transition> EventTracker::observe(bool seen, double confidence, core::WallMicros at_us) {
    recent_.emplace_back(seen, at_us);
    while (recent_.size() > static_cast<std::size_t>(rules_.window)) {
        recent_.pop_front();
    }
    if (!active_) {
        const auto positives = std::count_if(recent_.begin(), recent_.end(), [](const auto& r) { return r.first; });
        if (!seen || positives < rules_.need) {
            return std::nullopt;
        }
        active_ = true;
        start_us_ = std::find_if(recent_.begin(), recent_.end(), [](const auto& r) { return r.first; })->second;
        last_seen_us_ = at_us;
        best_ = confidence;
        return Transition{Phase::kStarted, start_us_, at_us, best_, true};
    }
    if (seen) {
        last_seen_us_ = at_us;
        if (at_us - start_us_ >= rules_.max_length_us) {
            // Ends here; the next sighting starts the next event at once.
            active_ = false;
            recent_.clear();
            recent_.emplace_back(true, at_us);
            return Transition{Phase::kEnded, start_us_, at_us, best_, false};
        }
        if (confidence > best_ + 0.05) {
            best_ = confidence;
            return Transition{Phase::kUpdated, start_us_, at_us, best_, true};
        }
        return std::nullopt;
    }
    if (at_us - last_seen_us_ >= rules_.hold_us) {
        active_ = false;
        recent_.clear();
        return Transition{Phase::kEnded, start_us_, last_seen_us_, best_, false};
    }
    return std::nullopt;
}

std::optional<Transition> EventTracker::close() {
    if (!active_) {
        return std::nullopt;
    }
    active_ = false;
    recent_.clear();
    return Transition{Phase::kEnded, start_us_, last_seen_us_, best_, false};
}

}  // namespace hearth::detect
