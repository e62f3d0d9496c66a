// Injected time, so tests advance a simulated clock instead of sleeping.
//
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hearth::core {

// Wall-clock time as microseconds since the Unix epoch: what the index stores.
using WallMicros = std::int64_t;

class Clock {
public:
    virtual ~Clock() = default;
    virtual WallMicros now_us() const = 0;
};

class SystemClock final : public Clock {
public:
    WallMicros now_us() const override {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
public:
    explicit FakeClock(WallMicros start_us) : now_(start_us) {}
    WallMicros now_us() const override { return now_.load(); }
    void advance(std::chrono::microseconds by) { now_ += by.count(); }
    void set(WallMicros t) { now_ = t; }

private:
    std::atomic<WallMicros> now_;
};

}  // namespace hearth::core
