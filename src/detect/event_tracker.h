// Turns per-frame observations into events with a start and an end: an event starts when
// enough recent observations agree (so one noisy frame is not an alarm) and is dated from
// the first of them; it ends when nothing was seen for a hold time, dated at the last
// sighting; one that runs too long is closed and a new one begins.
//
// Thread-safety: one per camera thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "core/clock.h"

namespace hearth::detect {

struct TrackerRules {
    int need = 2;                           // positives among the last `window` observations
    int window = 3;
    std::int64_t hold_us = 3'000'000;       // quiet this long ends the event
    std::int64_t max_length_us = 600'000'000;
};

enum class Phase : std::uint8_t { kInvalid = 0, kStarted, kUpdated, kEnded };

struct Transition {
    Phase phase = Phase::kInvalid;
    core::WallMicros start_us = 0;
    core::WallMicros end_us = 0;  // last sighting
    double confidence = 0;        // the best seen so far in this event
    bool better = false;          // kUpdated: the confidence rose (a better snapshot)
};

class EventTracker {
public:
    explicit EventTracker(TrackerRules rules) : rules_(rules) {}
    // One observation; returns a transition when the event starts, improves or ends.
    std::optional<Transition> observe(bool seen, double confidence, core::WallMicros at_us);
    // Ends an open event now (the camera stopped, settings changed).
    std::optional<Transition> close();
    bool active() const { return active_; }

private:
    TrackerRules rules_;
    std::deque<std::pair<bool, core::WallMicros>> recent_;
    bool active_ = false;
    core::WallMicros start_us_ = 0;
    core::WallMicros last_seen_us_ = 0;
    double best_ = 0;
};

}  // namespace hearth::detect
