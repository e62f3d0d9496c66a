// Dispatcher on simulated time: dedup window, updates of ongoing events, the per-camera rate
// limit, quiet hours across midnight with an injected UTC offset, urgent bypass, fan-out.
#include "notify/dispatcher.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace hearth::notify {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSecondUs = 1'000'000;
// 2025-11-29T00:00:00Z, a midnight in UTC; the tests' local zone is UTC+2.
constexpr core::WallMicros kMidnightUtcUs = 1'764'374'400LL * kSecondUs;
constexpr std::int64_t kOffsetS = 2 * 3600;

// Wall time whose local (UTC+2) clock reads hh:mm.
core::WallMicros local(int hh, int mm) {
    return kMidnightUtcUs + (static_cast<std::int64_t>(hh) * 3600 + mm * 60 - kOffsetS) * kSecondUs;
}

class FakeChannel final : public NoticeChannel {
public:
    void alert(const Notice& n) override { alerts.push_back(n); }
    void observe(const Notice& n) override { observed.push_back(n); }
    std::vector<Notice> alerts;
    std::vector<Notice> observed;
};

struct World {
    explicit World(DispatcherOptions options = {}, core::WallMicros start = local(12, 0))
        : clock(start),
          dispatcher(clock, with_offset(std::move(options)),
                     [this](const Notice& n, Verdict v) { in_app.emplace_back(n, v); },
                     {&channel}) {}

    static DispatcherOptions with_offset(DispatcherOptions o) {
        o.local_offset = [](core::WallMicros) { return std::chrono::seconds(kOffsetS); };
        return o;
    }

    Verdict submit(std::string kind, std::int64_t camera, std::int64_t event_id = 0,
                   bool urgent = false, core::WallMicros end_us = 0) {
        Notice n;
        n.kind = std::move(kind);
        n.camera = core::CameraId(camera);
        n.camera_name = "camera " + std::to_string(camera);
        n.start_us = clock.now_us();
        n.end_us = end_us;
        n.event_id = event_id;
        n.urgent = urgent;
        n.summary = "Something happened.";
        return dispatcher.submit(n);
    }

    core::FakeClock clock;
    FakeChannel channel;
    std::vector<std::pair<Notice, Verdict>> in_app;
    Dispatcher dispatcher;
};

TEST(Dispatcher, SameCameraAndKindWithinTheWindowAlertsOnce) {
    World w;
    EXPECT_EQ(w.submit("motion", 1, 10), Verdict::kAlert);
    w.clock.advance(30s);
    EXPECT_EQ(w.submit("motion", 1, 11), Verdict::kDuplicate);
    EXPECT_EQ(w.submit("person", 1, 12), Verdict::kAlert);  // another kind
    EXPECT_EQ(w.submit("motion", 2, 13), Verdict::kAlert);  // another camera
    w.clock.advance(29s);
    EXPECT_EQ(w.submit("motion", 1, 14), Verdict::kDuplicate);  // 59 s after the alert
    w.clock.advance(1s);
    EXPECT_EQ(w.submit("motion", 1, 15), Verdict::kAlert);  // 60 s: a new alert

    const auto c = w.dispatcher.counters();
    EXPECT_EQ(c.received, 6u);
    EXPECT_EQ(c.alerts, 4u);
    EXPECT_EQ(c.duplicates, 2u);
    // The app hears of all of them, channels observe all, and only alerts go out.
    EXPECT_EQ(w.in_app.size(), 6u);
    EXPECT_EQ(w.in_app[1].second, Verdict::kDuplicate);
    EXPECT_EQ(w.channel.observed.size(), 6u);
    ASSERT_EQ(w.channel.alerts.size(), 4u);
    EXPECT_EQ(w.channel.alerts[3].event_id, 15);
}

TEST(Dispatcher, UpdatesOfAnOngoingEventAreNotNewAlerts) {
    World w;
    EXPECT_EQ(w.submit("person", 1, 42), Verdict::kAlert);
    w.clock.advance(5s);
    EXPECT_EQ(w.submit("person", 1, 42, false, w.clock.now_us()), Verdict::kUpdate);
    w.clock.advance(10min);  // long after the dedup window, still the same event
    EXPECT_EQ(w.submit("person", 1, 42, false, w.clock.now_us()), Verdict::kUpdate);
    EXPECT_EQ(w.dispatcher.counters().updates, 2u);
    EXPECT_EQ(w.channel.alerts.size(), 1u);
    ASSERT_EQ(w.channel.observed.size(), 3u);  // MQTT still learns the event ended
    EXPECT_NE(w.channel.observed[2].end_us, 0);
}

TEST(Dispatcher, RateLimitIsATokenBucketPerCamera) {
    DispatcherOptions o;
    o.dedup_window = 0s;  // every notice distinct, to see the bucket alone
    o.rate_limit_alerts = 10;
    o.rate_limit_window = 10min;
    World w(o);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(w.submit("motion", 1, 100 + i), Verdict::kAlert) << i;
    }
    EXPECT_EQ(w.submit("motion", 1, 200), Verdict::kRateLimited);
    EXPECT_EQ(w.submit("person", 1, 201), Verdict::kRateLimited);  // the budget is per camera
    EXPECT_EQ(w.submit("motion", 2, 202), Verdict::kAlert);        // another camera's own
    // One token comes back every minute (10 per 10 minutes).
    w.clock.advance(59s);
    EXPECT_EQ(w.submit("motion", 1, 203), Verdict::kRateLimited);
    w.clock.advance(1s);
    EXPECT_EQ(w.submit("motion", 1, 204), Verdict::kAlert);
    EXPECT_EQ(w.submit("motion", 1, 205), Verdict::kRateLimited);
    // A quiet hour refills the whole bucket, and no more than that.
    w.clock.advance(1h);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(w.submit("motion", 1, 300 + i), Verdict::kAlert) << i;
    }
    EXPECT_EQ(w.submit("motion", 1, 400), Verdict::kRateLimited);
    EXPECT_EQ(w.dispatcher.counters().rate_limited, 5u);
}

TEST(Dispatcher, QuietHoursAcrossMidnightInLocalTime) {
    DispatcherOptions o;
    o.dedup_window = 0s;
    o.quiet_hours = parse_quiet_hours("22:00-07:00").value();
    World w(o, local(21, 59));
    EXPECT_EQ(w.submit("motion", 1, 1), Verdict::kAlert);
    w.clock.set(local(22, 0));
    EXPECT_EQ(w.submit("motion", 1, 2), Verdict::kQuietHours);
    w.clock.set(local(23, 59));
    EXPECT_EQ(w.submit("motion", 1, 3), Verdict::kQuietHours);
    w.clock.set(local(24 + 0, 0));  // local midnight: the next day
    EXPECT_EQ(w.submit("motion", 1, 4), Verdict::kQuietHours);
    w.clock.set(local(24 + 3, 0));
    EXPECT_EQ(w.submit("motion", 1, 5), Verdict::kQuietHours);
    // 03:00 local is 01:00 UTC: a UTC-only check would let it through; so would 06:59 local.
    w.clock.set(local(24 + 6, 59));
    EXPECT_EQ(w.submit("motion", 1, 6), Verdict::kQuietHours);
    w.clock.set(local(24 + 7, 0));
    EXPECT_EQ(w.submit("motion", 1, 7), Verdict::kAlert);
    EXPECT_EQ(w.dispatcher.counters().quiet_hours, 5u);

    // The owner turns quiet hours off.
    w.dispatcher.set_quiet_hours(std::nullopt);
    w.clock.set(local(24 + 23, 0));
    EXPECT_EQ(w.submit("motion", 1, 8), Verdict::kAlert);
}

TEST(Dispatcher, QuietHoursWithinOneDay) {
    DispatcherOptions o;
    o.dedup_window = 0s;
    o.quiet_hours = parse_quiet_hours("13:30-14:00").value();
    World w(o, local(13, 29));
    EXPECT_EQ(w.submit("sound", 1, 1), Verdict::kAlert);
    w.clock.set(local(13, 30));
    EXPECT_EQ(w.submit("sound", 1, 2), Verdict::kQuietHours);
    w.clock.set(local(14, 0));
    EXPECT_EQ(w.submit("sound", 1, 3), Verdict::kAlert);
}

TEST(Dispatcher, UrgentNoticesBypassQuietHoursDedupAndRateLimits) {
    DispatcherOptions o;
    o.rate_limit_alerts = 1;
    o.quiet_hours = parse_quiet_hours("22:00-07:00").value();
    World w(o, local(3, 0));
    EXPECT_EQ(w.submit("motion", 1, 1), Verdict::kQuietHours);
    EXPECT_EQ(w.submit("alarm", 1, 2, true), Verdict::kAlert);
    EXPECT_EQ(w.submit("alarm", 1, 3, true), Verdict::kAlert);      // no dedup
    EXPECT_EQ(w.submit("alarm", 1, 3, true), Verdict::kAlert);      // nor "update"
    EXPECT_EQ(w.submit("emergency", 0, 4, true), Verdict::kAlert);  // hub-wide
    // Urgent alerts spent no tokens: at 07:00 the camera still has its one.
    w.clock.set(local(7, 0));
    EXPECT_EQ(w.submit("person", 1, 5), Verdict::kAlert);
    EXPECT_EQ(w.submit("sound", 1, 6), Verdict::kRateLimited);
    const auto c = w.dispatcher.counters();
    EXPECT_EQ(c.urgent, 4u);
    EXPECT_EQ(c.alerts, 5u);
    ASSERT_EQ(w.channel.alerts.size(), 5u);
    EXPECT_FALSE(w.channel.alerts[3].camera.valid());
}

TEST(Dispatcher, ACallbackThatThrowsDoesNotEscape) {
    core::FakeClock clock(local(12, 0));
    FakeChannel channel;
    Dispatcher d(clock, {}, [](const Notice&, Verdict) { throw std::runtime_error("app bug"); },
                 {&channel});
    Notice n;
    n.kind = "motion";
    n.camera = core::CameraId(1);
    EXPECT_EQ(d.submit(n), Verdict::kAlert);
    EXPECT_EQ(channel.alerts.size(), 1u);  // the channels still get it
}

TEST(QuietHours, ParsesAndRefuses) {
    const auto q = parse_quiet_hours("22:00-07:30");
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->start_minute, 22 * 60);
    EXPECT_EQ(q->end_minute, 7 * 60 + 30);
    EXPECT_EQ(q->to_string(), "22:00-07:30");
    EXPECT_TRUE(q->contains(23 * 60));
    EXPECT_TRUE(q->contains(0));
    EXPECT_TRUE(q->contains(7 * 60 + 29));
    EXPECT_FALSE(q->contains(7 * 60 + 30));
    EXPECT_FALSE(q->contains(12 * 60));

    for (const char* bad : {"", "22:00", "24:00-07:00", "22:60-07:00", "2200-0700", "22:00-7:00",
                            "+1:00-07:00", "22:00-07:00-08:00"}) {
        const auto r = parse_quiet_hours(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
        EXPECT_EQ(r.error().message.rfind("quiet hours: expected HH:MM-HH:MM", 0), 0u)
            << r.error().message;
    }
    const auto same = parse_quiet_hours("07:00-07:00");
    ASSERT_FALSE(same.has_value());
    EXPECT_EQ(same.error().message, "quiet hours: the start and the end are the same time");
}

}  // namespace
}  // namespace hearth::notify
