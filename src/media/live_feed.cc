#include "media/live_feed.h"

#include <algorithm>

namespace hearth::media {
namespace {

std::size_t sample_bytes(const EncodedSample& s) { return s.data ? s.data->size() : 0; }

}  // namespace

// ---- LiveSubscription ----

std::optional<LiveItem> LiveSubscription::pop() {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
        return std::nullopt;
    }
    auto [item, bytes] = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= bytes;
    return std::move(item);
}

void LiveSubscription::set_notify(std::function<void()> notify) {
    std::lock_guard lock(mu_);
    notify_ = notify ? std::make_shared<std::function<void()>>(std::move(notify)) : nullptr;
}

std::uint64_t LiveSubscription::dropped() const {
    std::lock_guard lock(mu_);
    return dropped_;
}

std::size_t LiveSubscription::queued_bytes() const {
    std::lock_guard lock(mu_);
    return queued_bytes_;
}

bool LiveSubscription::ended() const {
    std::lock_guard lock(mu_);
    return ended_;
}

void LiveSubscription::push(LiveItem item, bool video_keyframe, std::size_t bytes) {
    std::shared_ptr<std::function<void()>> notify;
    {
        std::lock_guard lock(mu_);
        if (ended_) {
            return;
        }
        const bool is_tracks = std::holds_alternative<LiveTracks>(item);
        if (!is_tracks) {
            if (skipping_ && !video_keyframe) {
                ++dropped_;
                return;
            }
            if (queued_bytes_ + bytes > options_.max_queue_bytes) {
                // Behind: drop what is queued too (it cannot be decoded without what we
                // skip) and start again at the next keyframe.
                for (const auto& [queued, n] : queue_) {
                    dropped_ += std::holds_alternative<EncodedSample>(queued) ? 1 : 0;
                }
                std::deque<std::pair<LiveItem, std::size_t>> kept;
                for (auto& entry : queue_) {
                    if (std::holds_alternative<LiveTracks>(entry.first)) {
                        kept.push_back(std::move(entry));  // the decoder still needs them
                    }
                }
                queue_ = std::move(kept);
                queued_bytes_ = 0;
                skipping_ = true;
                if (!video_keyframe) {
                    ++dropped_;
                    return;
                }
            }
            skipping_ = false;
        }
        const bool was_empty = queue_.empty();
        queue_.emplace_back(std::move(item), bytes);
        queued_bytes_ += bytes;
        if (was_empty) {
            notify = notify_;
        }
    }
    if (notify && *notify) {
        (*notify)();
    }
}

void LiveSubscription::end() {
    std::shared_ptr<std::function<void()>> notify;
    {
        std::lock_guard lock(mu_);
        if (ended_) {
            return;
        }
        ended_ = true;
        notify = notify_;
    }
    if (notify && *notify) {
        (*notify)();  // so the consumer notices and lets go
    }
}

// ---- LiveFeed ----

LiveFeed::~LiveFeed() {
    std::vector<std::shared_ptr<LiveSubscription>> viewers;
    {
        std::lock_guard lock(mu_);
        for (auto& weak : viewers_) {
            if (auto v = weak.lock()) {
                viewers.push_back(std::move(v));
            }
        }
        viewers_.clear();
    }
    for (auto& v : viewers) {
        v->end();
    }
}

std::shared_ptr<LiveSubscription> LiveFeed::subscribe(SubscriptionOptions options) {
    auto sub = std::make_shared<LiveSubscription>(options);
    std::lock_guard lock(mu_);
    prune_viewers();
    if (!tracks_.empty()) {
        sub->push(LiveTracks{tracks_}, false, 0);
        // The cached GOP starts with a keyframe, so the viewer can decode from its first item.
        for (const auto& s : gop_) {
            sub->push(s, s.keyframe && is_video_track(s.track), sample_bytes(s));
        }
    }
    viewers_.push_back(sub);
    return sub;
}

LiveFeedStats LiveFeed::stats() const {
    std::lock_guard lock(mu_);
    LiveFeedStats s;
    for (const auto& weak : viewers_) {
        s.viewers += weak.expired() ? 0 : 1;
    }
    s.gop_samples = gop_.size();
    s.gop_bytes = gop_bytes_;
    return s;
}

SourceState LiveFeed::state() const {
    std::lock_guard lock(mu_);
    return state_;
}

bool LiveFeed::is_video_track(int track) const {
    return track >= 0 && static_cast<std::size_t>(track) < tracks_.size() &&
           is_video(tracks_[static_cast<std::size_t>(track)].codec);
}

void LiveFeed::prune_viewers() {
    viewers_.erase(std::remove_if(viewers_.begin(), viewers_.end(),
                                  [](const auto& weak) { return weak.expired(); }),
                   viewers_.end());
}

void LiveFeed::on_tracks(const std::vector<TrackInfo>& tracks) noexcept {
    std::vector<std::shared_ptr<LiveSubscription>> viewers;
    {
        std::lock_guard lock(mu_);
        tracks_ = tracks;
        gop_.clear();
        gop_bytes_ = 0;
        gop_valid_ = false;
        prune_viewers();
        for (auto& weak : viewers_) {
            if (auto v = weak.lock()) {
                viewers.push_back(std::move(v));
            }
        }
    }
    for (auto& v : viewers) {
        v->push(LiveTracks{tracks}, false, 0);
    }
}

void LiveFeed::on_sample(const EncodedSample& sample) noexcept {
    std::vector<std::shared_ptr<LiveSubscription>> viewers;
    bool video_keyframe = false;
    {
        std::lock_guard lock(mu_);
        video_keyframe = sample.keyframe && is_video_track(sample.track);
        if (video_keyframe) {
            gop_.clear();
            gop_bytes_ = 0;
            gop_valid_ = true;
        }
        if (gop_valid_) {
            gop_.push_back(sample);
            gop_bytes_ += sample_bytes(sample);
            const bool too_big = gop_bytes_ > options_.max_gop_bytes;
            const bool too_long = gop_.back().dts_us - gop_.front().dts_us > options_.max_gop_us;
            if (too_big || too_long) {
                // A camera with very long keyframe intervals: new viewers wait instead.
                gop_.clear();
                gop_bytes_ = 0;
                gop_valid_ = false;
            }
        }
        viewers.reserve(viewers_.size());
        for (auto& weak : viewers_) {
            if (auto v = weak.lock()) {
                viewers.push_back(std::move(v));
            }
        }
    }
    // Outside the feed's lock: a viewer's notify may take its own locks.
    const auto bytes = sample_bytes(sample);
    for (auto& v : viewers) {
        v->push(sample, video_keyframe, bytes);
    }
}

std::vector<TrackInfo> LiveFeed::tracks() const {
    std::lock_guard lock(mu_);
    return tracks_;
}

void LiveFeed::on_state(SourceState state, const std::string&) noexcept {
    std::lock_guard lock(mu_);
    state_ = state;
    if (state != SourceState::kOnline) {
        // What follows a reconnect cannot continue the old GOP.
        gop_.clear();
        gop_bytes_ = 0;
        gop_valid_ = false;
    }
}

// ---- SinkTee ----

void SinkTee::on_tracks(const std::vector<TrackInfo>& tracks) noexcept {
    for (auto* s : sinks_) {
        s->on_tracks(tracks);
    }
}

void SinkTee::on_sample(const EncodedSample& sample) noexcept {
    for (auto* s : sinks_) {
        s->on_sample(sample);
    }
}

void SinkTee::on_state(SourceState state, const std::string& detail) noexcept {
    for (auto* s : sinks_) {
        s->on_state(state, detail);
    }
}

}  // namespace hearth::media
