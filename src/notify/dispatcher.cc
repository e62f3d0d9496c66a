#include "notify/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace hearth::notify {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
// Event ids remembered to recognise updates: events longer than this are rare, and a late
// update of one counts as a new notice (an alert at worst), never a lost one.
constexpr std::int64_t kRememberEventsUs = 6 * 3600 * kMicrosPerSecond;
constexpr std::size_t kMaxRememberedEvents = 4096;

// "HH:MM" as minutes after midnight, or -1.
int parse_clock(std::string_view s) {
    if (s.size() != 5 || s[2] != ':') {
        return -1;
    }
    int h = 0;
    int m = 0;
    const auto hr = std::from_chars(s.data(), s.data() + 2, h);
    const auto mr = std::from_chars(s.data() + 3, s.data() + 5, m);
    if (hr.ec != std::errc() || hr.ptr != s.data() + 2 || mr.ec != std::errc() ||
        mr.ptr != s.data() + 5 || h < 0 || h > 23 || m < 0 || m > 59) {
        return -1;
    }
    return h * 60 + m;
}

}  // namespace

bool QuietHours::contains(int minute) const {
    if (start_minute < end_minute) {
        return minute >= start_minute && minute < end_minute;
    }
    return minute >= start_minute || minute < end_minute;  // across midnight
}

std::string QuietHours::to_string() const {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", start_minute / 60, start_minute % 60,
                  end_minute / 60, end_minute % 60);
    return buf;
}

core::Result<QuietHours> parse_quiet_hours(std::string_view text) {
    const auto bad = [](std::string why) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "quiet hours: " + why);
    };
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        return bad("expected HH:MM-HH:MM, for example 22:00-07:00");
    }
    const int start = parse_clock(text.substr(0, dash));
    const int end = parse_clock(text.substr(dash + 1));
    if (start < 0 || end < 0) {
        return bad("expected HH:MM-HH:MM on a 24-hour clock, for example 22:00-07:00");
    }
    if (start == end) {
        return bad("the start and the end are the same time");
    }
    return QuietHours{start, end};
}

std::chrono::seconds system_local_offset(core::WallMicros at_us) {
    const std::time_t t = static_cast<std::time_t>(at_us / kMicrosPerSecond);
    std::tm local{};
    if (::localtime_r(&t, &local) == nullptr) {
        return std::chrono::seconds(0);
    }
    return std::chrono::seconds(local.tm_gmtoff);
}

const char* to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::kInvalid:
            return "invalid";
        case Verdict::kAlert:
            return "alert";
        case Verdict::kUpdate:
            return "update";
        case Verdict::kDuplicate:
            return "duplicate";
        case Verdict::kQuietHours:
            return "quiet hours";
        case Verdict::kRateLimited:
            return "rate limited";
    }
    return "invalid";
}

Dispatcher::Dispatcher(const core::Clock& clock, DispatcherOptions options, InAppCallback in_app,
                       std::vector<NoticeChannel*> channels)
    : clock_(clock),
      in_app_(std::move(in_app)),
      channels_(std::move(channels)),
      options_(std::move(options)) {
    options_.rate_limit_alerts = std::max(options_.rate_limit_alerts, 1);
    options_.rate_limit_window = std::max(options_.rate_limit_window, std::chrono::seconds(1));
    if (!options_.local_offset) {
        options_.local_offset = system_local_offset;
    }
}

Verdict Dispatcher::submit(const Notice& notice) {
    Verdict verdict = Verdict::kInvalid;
    {
        std::lock_guard lock(mu_);
        verdict = judge(notice, clock_.now_us());
    }
    const auto guarded = [&](const char* what, auto&& call) {
        try {
            call();
        } catch (const std::exception& e) {
            spdlog::error("notify: {} threw on a {} notice: {}", what, notice.kind, e.what());
        }
    };
    if (in_app_) {
        guarded("the in-app callback", [&] { in_app_(notice, verdict); });
    }
    for (NoticeChannel* channel : channels_) {
        guarded("a channel", [&] { channel->observe(notice); });
        if (verdict == Verdict::kAlert) {
            guarded("a channel", [&] { channel->alert(notice); });
        }
    }
    return verdict;
}

Verdict Dispatcher::judge(const Notice& n, core::WallMicros now_us) {
    ++counters_.received;
    forget_old_events(now_us);
    const std::int64_t camera = n.camera.valid() ? n.camera.value() : 0;
    const auto key = std::make_pair(camera, n.kind);
    bool seen = false;
    if (n.event_id != 0) {
        auto [it, inserted] = events_us_.try_emplace(n.event_id, now_us);
        seen = !inserted;
        it->second = now_us;
    }
    Verdict v = Verdict::kAlert;
    if (n.urgent) {
        ++counters_.urgent;
    } else if (seen) {
        v = Verdict::kUpdate;
    } else if (const auto it = last_alert_us_.find(key);
               it != last_alert_us_.end() &&
               now_us - it->second < options_.dedup_window.count() * kMicrosPerSecond) {
        v = Verdict::kDuplicate;
    } else if (in_quiet_hours(now_us)) {
        v = Verdict::kQuietHours;
    } else if (!take_token(camera, now_us)) {
        v = Verdict::kRateLimited;
    }
    switch (v) {
        case Verdict::kAlert:
            ++counters_.alerts;
            last_alert_us_[key] = now_us;
            break;
        case Verdict::kUpdate:
            ++counters_.updates;
            break;
        case Verdict::kDuplicate:
            ++counters_.duplicates;
            break;
        case Verdict::kQuietHours:
            ++counters_.quiet_hours;
            break;
        case Verdict::kRateLimited:
            ++counters_.rate_limited;
            break;
        case Verdict::kInvalid:
            break;
    }
    return v;
}

bool Dispatcher::in_quiet_hours(core::WallMicros now_us) const {
    if (!options_.quiet_hours) {
        return false;
    }
    const std::int64_t local_s = now_us / kMicrosPerSecond + options_.local_offset(now_us).count();
    const std::int64_t day_s = ((local_s % 86400) + 86400) % 86400;
    return options_.quiet_hours->contains(static_cast<int>(day_s / 60));
}

bool Dispatcher::take_token(std::int64_t camera, core::WallMicros now_us) {
    // A token bucket kept as one "theoretical arrival time" (GCRA): each alert costs one
    // interval of window/N; a burst of N is allowed from a full bucket. Integer microseconds,
    // so a token is back exactly one interval later, with no rounding drift.
    const std::int64_t window_us = options_.rate_limit_window.count() * kMicrosPerSecond;
    const std::int64_t interval_us = window_us / options_.rate_limit_alerts;
    const std::int64_t tolerance_us = window_us - interval_us;
    Bucket& b = buckets_.try_emplace(camera, Bucket{now_us}).first->second;
    const core::WallMicros tat = std::max(b.tat_us, now_us);
    if (tat - now_us > tolerance_us) {
        return false;
    }
    b.tat_us = tat + interval_us;
    return true;
}

void Dispatcher::forget_old_events(core::WallMicros now_us) {
    if (events_us_.size() >= kMaxRememberedEvents) {
        std::erase_if(events_us_,
                      [&](const auto& e) { return now_us - e.second > kRememberEventsUs; });
        if (events_us_.size() >= kMaxRememberedEvents) {
            events_us_.clear();  // a flood of distinct events: updates may alert again
        }
    }
    const std::int64_t window_us = options_.dedup_window.count() * kMicrosPerSecond;
    if (last_alert_us_.size() > 1024) {
        std::erase_if(last_alert_us_,
                      [&](const auto& e) { return now_us - e.second >= window_us; });
    }
}

void Dispatcher::set_quiet_hours(std::optional<QuietHours> quiet_hours) {
    std::lock_guard lock(mu_);
    options_.quiet_hours = quiet_hours;
}

DispatcherCounters Dispatcher::counters() const {
    std::lock_guard lock(mu_);
    return counters_;
}

}  // namespace hearth::notify
