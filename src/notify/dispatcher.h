// The Dispatcher decides which notices become alerts, then fans them out.
//
// Every notice is judged, in this order:
//   1. urgent (alarm, emergency): always an alert; quiet hours, dedup and rate limits do
//      not apply.
//   2. an update: a notice for an event already seen (same event_id, e.g. its end time
//      arrived) is not a new alert.
//   3. a duplicate: the same camera and kind alerted less than `dedup_window` ago (60 s).
//   4. quiet hours: inside the household's daily window (e.g. 22:00-07:00, local time).
//   5. rate limit: a token bucket per camera, `rate_limit_alerts` per `rate_limit_window`
//      (10 per 10 minutes); hub-wide notices share one bucket.
// Then: the in-app callback gets every notice with its verdict (the app lists all of them
// and pushes only alerts to live clients); every channel observes every notice (MQTT
// mirrors motion/person state for automations at any hour); alerts go to every channel
// (webhooks, MQTT's event topic).
//
// Time comes from the injected clock (arrival time, not the notice's start: a late notice
// is judged when it arrives); quiet hours use the injected local offset, the system's time
// zone by default.
//
// Thread-safety: every method is safe from any thread (one mutex, held only while judging).
// The in-app callback and the channels run on the submitting thread, outside the lock; they
// must post their work and return. Two notices submitted at once may reach them in either
// order.
// Errors: none; an exception thrown by a callback or channel is logged and swallowed.
//
// Example:
//     notify::DispatcherOptions options;
//     options.quiet_hours = notify::parse_quiet_hours("22:00-07:00").value();
//     notify::Dispatcher dispatcher(
//         clock, std::move(options),
//         [&](const notify::Notice& n, notify::Verdict v) { app.post(n, v); },
//         {&webhooks, &mqtt});
//     dispatcher.submit(notice);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "notify/notice.h"

namespace hearth::notify {

// A daily local-time window. start == end is refused (empty or all day: ambiguous).
struct QuietHours {
    int start_minute = 0;  // minutes after local midnight, 0..1439
    int end_minute = 0;    // exclusive; may be before start (the window crosses midnight)

    bool contains(int minute_of_day) const;
    std::string to_string() const;  // "22:00-07:00"
};

// "HH:MM-HH:MM", 24-hour clock. Error: kInvalidArgument saying the expected form.
core::Result<QuietHours> parse_quiet_hours(std::string_view text);

// The local time's offset from UTC at an instant (it changes with daylight saving time).
using LocalOffset = std::function<std::chrono::seconds(core::WallMicros at_us)>;
// The process's time zone (TZ, /etc/localtime), through localtime_r.
std::chrono::seconds system_local_offset(core::WallMicros at_us);

enum class Verdict : std::uint8_t {
    kInvalid = 0,
    kAlert,        // tell people: webhooks, MQTT events, a push in the app
    kUpdate,       // more about an event already told
    kDuplicate,    // same camera and kind within the dedup window
    kQuietHours,   // held back by the household's quiet hours
    kRateLimited,  // the camera's alert budget is spent
};
const char* to_string(Verdict verdict);

struct DispatcherOptions {
    std::chrono::seconds dedup_window{60};
    int rate_limit_alerts = 10;  // per camera per window (at least 1)
    std::chrono::seconds rate_limit_window{600};
    std::optional<QuietHours> quiet_hours;
    LocalOffset local_offset;  // empty: system_local_offset
};

// For the status page.
struct DispatcherCounters {
    std::uint64_t received = 0;
    std::uint64_t alerts = 0;  // including urgent ones
    std::uint64_t urgent = 0;
    std::uint64_t updates = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t quiet_hours = 0;
    std::uint64_t rate_limited = 0;
};

// Gets every notice with its verdict.
using InAppCallback = std::function<void(const Notice&, Verdict)>;

class Dispatcher {
public:
    // `channels` may be empty (no webhooks, no MQTT configured); they must outlive this.
    Dispatcher(const core::Clock& clock, DispatcherOptions options, InAppCallback in_app,
               std::vector<NoticeChannel*> channels = {});

    // Judges `notice`, hands it on, and returns the verdict.
    Verdict submit(const Notice& notice);

    // The owner changed quiet hours (nullopt: none).
    void set_quiet_hours(std::optional<QuietHours> quiet_hours);

    DispatcherCounters counters() const;

private:
    struct Bucket {
        core::WallMicros tat_us = 0;  // when the bucket is full again (see take_token)
    };

    Verdict judge(const Notice& notice, core::WallMicros now_us);   // with mu_ held
    bool in_quiet_hours(core::WallMicros now_us) const;             // with mu_ held
    bool take_token(std::int64_t camera, core::WallMicros now_us);  // with mu_ held
    void forget_old_events(core::WallMicros now_us);                // with mu_ held

    const core::Clock& clock_;
    const InAppCallback in_app_;
    const std::vector<NoticeChannel*> channels_;

    mutable std::mutex mu_;
    DispatcherOptions options_;    // GUARDED_BY(mu_) (quiet hours change)
    DispatcherCounters counters_;  // GUARDED_BY(mu_)
    std::map<std::pair<std::int64_t, std::string>, core::WallMicros>
        last_alert_us_;                                             // GUARDED_BY(mu_)
    std::unordered_map<std::int64_t, Bucket> buckets_;              // GUARDED_BY(mu_), by camera
    std::unordered_map<std::int64_t, core::WallMicros> events_us_;  // GUARDED_BY(mu_): last seen
};

}  // namespace hearth::notify
