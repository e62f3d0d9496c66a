// The live branch of one camera: one per camera however many viewers.
//
// A LiveFeed sits beside the recorder on the camera's source (SinkTee) and hands
// the camera's samples, as they came, to every viewer's LiveSubscription. It keeps
// the GOP cache: the tracks and every sample since the last video keyframe, so a
// new viewer starts at once from that keyframe instead of waiting for the camera's
// next one. Samples are shared (shared_ptr), never copied per viewer.
//
// A viewer that cannot keep up never slows the camera or the others: when its queue
// is over its byte budget, it skips to the next keyframe and counts what it missed.
//
// Thread: the SourceSink calls come from the source's media thread and never block
// on a viewer (a short mutex only). subscribe() and the LiveSubscription methods are
// safe from any thread.
//
// Example:
//     media::LiveFeed feed;
//     media::SinkTee tee({&recorder, &feed});
//     source->start(&tee);
//     auto viewer = feed.subscribe({.max_queue_bytes = 4 << 20});
//     viewer->set_notify([&] { post_to_my_strand(drain); });
//     while (auto item = viewer->pop()) { send(*item); }
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "media/source.h"

namespace hearth::media {

// What a viewer receives: a (new) track list, then samples for it.
struct LiveTracks {
    std::vector<TrackInfo> tracks;
};
using LiveItem = std::variant<LiveTracks, EncodedSample>;

struct SubscriptionOptions {
    std::size_t max_queue_bytes = 8u << 20;  // over it: skip to the next keyframe
};

class LiveSubscription {
public:
    // Thread: any. The next item, or nullopt when the queue is empty.
    std::optional<LiveItem> pop();
    // Called (from the feed's thread) when an item arrives in an empty queue: the consumer
    // schedules a drain on its own thread. Must not block and must not call back into the
    // feed. Replaces any earlier callback; null removes it.
    void set_notify(std::function<void()> notify);
    // Samples skipped because this viewer fell behind.
    std::uint64_t dropped() const;
    std::size_t queued_bytes() const;
    // The feed stopped (camera removed, hub stopping): no more items will come.
    bool ended() const;

    // Used by LiveFeed.
    void push(LiveItem item, bool video_keyframe, std::size_t bytes);
    void end();
    explicit LiveSubscription(SubscriptionOptions options) : options_(options) {}

private:
    const SubscriptionOptions options_;
    mutable std::mutex mu_;
    std::deque<std::pair<LiveItem, std::size_t>> queue_;  // GUARDED_BY(mu_)
    std::size_t queued_bytes_ = 0;                        // GUARDED_BY(mu_)
    bool skipping_ = false;                               // GUARDED_BY(mu_)
    bool ended_ = false;                                  // GUARDED_BY(mu_)
    std::uint64_t dropped_ = 0;                           // GUARDED_BY(mu_)
    std::shared_ptr<std::function<void()>> notify_;       // GUARDED_BY(mu_)
};

struct LiveFeedOptions {
    // The GOP cache is dropped (new viewers wait for the next keyframe) when the camera's
    // keyframe interval makes it larger than this: a bound on memory per camera.
    std::size_t max_gop_bytes = 16u << 20;
    std::int64_t max_gop_us = 20'000'000;
};

struct LiveFeedStats {
    std::size_t viewers = 0;
    std::size_t gop_samples = 0;
    std::size_t gop_bytes = 0;
};

class LiveFeed final : public SourceSink {
public:
    explicit LiveFeed(LiveFeedOptions options = {}) : options_(options) {}
    ~LiveFeed() override;  // ends every subscription

    std::shared_ptr<LiveSubscription> subscribe(SubscriptionOptions options = {});
    LiveFeedStats stats() const;
    SourceState state() const;
    std::vector<TrackInfo> tracks() const;  // empty until the camera announced them

    void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override;
    void on_sample(const EncodedSample& sample) noexcept override;
    void on_state(SourceState state, const std::string& detail) noexcept override;

private:
    bool is_video_track(int track) const;  // caller holds mu_
    void prune_viewers();                  // caller holds mu_

    const LiveFeedOptions options_;
    mutable std::mutex mu_;
    std::vector<TrackInfo> tracks_;                           // GUARDED_BY(mu_)
    std::vector<EncodedSample> gop_;                          // GUARDED_BY(mu_)
    std::size_t gop_bytes_ = 0;                               // GUARDED_BY(mu_)
    bool gop_valid_ = false;                                  // GUARDED_BY(mu_)
    SourceState state_ = SourceState::kConnecting;            // GUARDED_BY(mu_)
    std::vector<std::weak_ptr<LiveSubscription>> viewers_;    // GUARDED_BY(mu_)
};

// Hands every call to each sink in order: the recorder and the live feed share a source.
class SinkTee final : public SourceSink {
public:
    explicit SinkTee(std::vector<SourceSink*> sinks) : sinks_(std::move(sinks)) {}
    void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override;
    void on_sample(const EncodedSample& sample) noexcept override;
    void on_state(SourceState state, const std::string& detail) noexcept override;

private:
    const std::vector<SourceSink*> sinks_;
};

}  // namespace hearth::media
