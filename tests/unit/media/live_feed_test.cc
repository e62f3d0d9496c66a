#include "media/live_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace hearth::media {
namespace {

std::vector<TrackInfo> tracks() {
    TrackInfo video;
    video.codec = Codec::kH264;
    video.codec_data = {1, 2, 3};
    video.width = 640;
    video.height = 360;
    TrackInfo audio;
    audio.codec = Codec::kAac;
    audio.sample_rate = 48000;
    audio.channels = 1;
    return {video, audio};
}

EncodedSample frame(std::int64_t n, bool keyframe, std::size_t bytes = 1000) {
    EncodedSample s;
    s.track = 0;
    s.data = std::make_shared<const std::vector<std::uint8_t>>(bytes, std::uint8_t(n));
    s.pts_us = s.dts_us = n * 66'666;
    s.duration_us = 66'666;
    s.keyframe = keyframe;
    return s;
}

EncodedSample audio(std::int64_t n) {
    EncodedSample s;
    s.track = 1;
    s.data = std::make_shared<const std::vector<std::uint8_t>>(200, std::uint8_t(n));
    s.pts_us = s.dts_us = n * 21'333;
    s.keyframe = true;  // audio samples are all sync samples
    return s;
}

// Feeds `gops` groups of `gop` frames (keyframe first) with an audio packet after each.
void feed_gops(LiveFeed& feed, int gops, int gop, std::int64_t* n) {
    for (int g = 0; g < gops; ++g) {
        for (int i = 0; i < gop; ++i, ++*n) {
            feed.on_sample(frame(*n, i == 0));
            feed.on_sample(audio(*n));
        }
    }
}

std::vector<LiveItem> drain(LiveSubscription& sub) {
    std::vector<LiveItem> out;
    while (auto item = sub.pop()) {
        out.push_back(std::move(*item));
    }
    return out;
}

TEST(LiveFeedTest, ANewViewerStartsAtTheLastKeyframe) {
    LiveFeed feed;
    feed.on_tracks(tracks());
    feed.on_state(SourceState::kOnline, "");
    std::int64_t n = 0;
    feed_gops(feed, 3, 30, &n);    // three full GOPs
    feed.on_sample(frame(n, true));  // the fourth begins
    const auto key = n++;
    for (int i = 0; i < 5; ++i, ++n) {
        feed.on_sample(frame(n, false));
    }
    auto viewer = feed.subscribe();
    const auto items = drain(*viewer);
    ASSERT_EQ(items.size(), 1u + 6u);
    ASSERT_TRUE(std::holds_alternative<LiveTracks>(items[0]));
    EXPECT_EQ(std::get<LiveTracks>(items[0]).tracks, tracks());
    const auto& first = std::get<EncodedSample>(items[1]);
    EXPECT_TRUE(first.keyframe);
    EXPECT_EQ(first.dts_us, key * 66'666);
    // Then it follows live.
    feed.on_sample(frame(n, false));
    const auto next = drain(*viewer);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(std::get<EncodedSample>(next[0]).dts_us, n * 66'666);
}

TEST(LiveFeedTest, ViewersShareTheSamplesInsteadOfCopying) {
    LiveFeed feed;
    feed.on_tracks(tracks());
    std::vector<std::shared_ptr<LiveSubscription>> viewers;
    for (int i = 0; i < 20; ++i) {
        viewers.push_back(feed.subscribe());
    }
    const auto s = frame(0, true, 50'000);
    feed.on_sample(s);
    for (auto& v : viewers) {
        auto items = drain(*v);
        ASSERT_EQ(items.size(), 2u);
        EXPECT_EQ(std::get<EncodedSample>(items[1]).data.get(), s.data.get());
    }
    EXPECT_EQ(feed.stats().viewers, 20u);
    viewers.resize(5);
    feed.on_sample(frame(1, false));
    EXPECT_EQ(feed.stats().viewers, 5u);
}

TEST(LiveFeedTest, ASlowViewerSkipsToTheNextKeyframeAndOthersAreUntouched) {
    LiveFeed feed;
    feed.on_tracks(tracks());
    auto slow = feed.subscribe({.max_queue_bytes = 10'000});
    auto fast = feed.subscribe({.max_queue_bytes = 1u << 20});
    std::int64_t n = 0;
    std::size_t fast_samples = 0;
    for (int i = 0; i < 30; ++i, ++n) {
        feed.on_sample(frame(n, i == 0));
        fast_samples += drain(*fast).size();  // the fast one keeps up
    }
    EXPECT_GT(slow->dropped(), 0u);
    EXPECT_LE(slow->queued_bytes(), 10'000u);
    EXPECT_EQ(fast->dropped(), 0u);
    EXPECT_EQ(fast_samples, 1u + 30u);
    // Catching up, it resumes at a keyframe, never mid-GOP.
    drain(*slow);
    feed.on_sample(frame(n++, false));
    EXPECT_TRUE(drain(*slow).empty());
    feed.on_sample(frame(n++, true));
    auto items = drain(*slow);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_TRUE(std::get<EncodedSample>(items[0]).keyframe);
}

TEST(LiveFeedTest, NewTracksReachViewersAndResetTheCache) {
    LiveFeed feed;
    feed.on_tracks(tracks());
    std::int64_t n = 0;
    feed_gops(feed, 1, 10, &n);
    auto viewer = feed.subscribe();
    drain(*viewer);
    auto changed = tracks();
    changed[0].width = 1280;
    feed.on_tracks(changed);
    auto items = drain(*viewer);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(std::get<LiveTracks>(items[0]).tracks[0].width, 1280);
    EXPECT_EQ(feed.stats().gop_samples, 0u);
    // Audio before the first keyframe of the new stream is not cached (nothing to show yet).
    feed.on_sample(audio(n));
    EXPECT_EQ(feed.stats().gop_samples, 0u);
}

TEST(LiveFeedTest, TheCacheIsBoundedForCamerasWithRareKeyframes) {
    LiveFeed feed({.max_gop_bytes = 100'000, .max_gop_us = 20'000'000});
    feed.on_tracks(tracks());
    std::int64_t n = 0;
    for (int i = 0; i < 500; ++i, ++n) {
        feed.on_sample(frame(n, i == 0));
    }
    EXPECT_LE(feed.stats().gop_bytes, 100'000u);
    auto viewer = feed.subscribe();
    auto items = drain(*viewer);
    EXPECT_EQ(items.size(), 1u);  // tracks only: it waits for the next keyframe
}

TEST(LiveFeedTest, NotifyFiresOnlyWhenTheQueueWasEmptyAndEndIsSignalled) {
    LiveFeed feed;
    feed.on_tracks(tracks());
    auto viewer = feed.subscribe();
    drain(*viewer);
    std::atomic<int> calls{0};
    viewer->set_notify([&] { ++calls; });
    feed.on_sample(frame(0, true));
    feed.on_sample(frame(1, false));
    EXPECT_EQ(calls.load(), 1);
    drain(*viewer);
    feed.on_sample(frame(2, false));
    EXPECT_EQ(calls.load(), 2);
    // Destroying the feed (camera removed) ends its viewers and wakes them.
    auto short_lived = std::make_unique<LiveFeed>();
    auto v = short_lived->subscribe();
    std::atomic<bool> told{false};
    v->set_notify([&] { told = true; });
    short_lived.reset();
    EXPECT_TRUE(v->ended());
    EXPECT_TRUE(told.load());
}

TEST(LiveFeedTest, ConcurrentViewersAndSourceDoNotRace) {
    LiveFeed feed;
    feed.on_tracks(tracks());
    std::atomic<bool> stop{false};
    std::thread source([&] {
        std::int64_t n = 0;
        while (!stop) {
            feed.on_sample(frame(n, n % 30 == 0, 500));
            ++n;
        }
    });
    std::vector<std::thread> viewers;
    for (int t = 0; t < 4; ++t) {
        viewers.emplace_back([&] {
            for (int round = 0; round < 200; ++round) {
                auto v = feed.subscribe({.max_queue_bytes = 20'000});
                auto first = drain(*v);
                // Whatever the interleaving, a viewer learns the tracks before any sample.
                ASSERT_FALSE(first.empty());
                EXPECT_TRUE(std::holds_alternative<LiveTracks>(first.front()));
                for (int i = 0; i < 10; ++i) {
                    drain(*v);
                }
            }
        });
    }
    for (auto& t : viewers) {
        t.join();
    }
    stop = true;
    source.join();
    EXPECT_EQ(feed.stats().viewers, 0u);  // every subscription that went away is forgotten
}

TEST(SinkTeeTest, EverySinkSeesEveryCall) {
    LiveFeed a, b;
    SinkTee tee({&a, &b});
    tee.on_tracks(tracks());
    tee.on_state(SourceState::kOnline, "");
    tee.on_sample(frame(0, true));
    EXPECT_EQ(a.stats().gop_samples, 1u);
    EXPECT_EQ(b.stats().gop_samples, 1u);
    EXPECT_EQ(b.state(), SourceState::kOnline);
}

}  // namespace
}  // namespace hearth::media
