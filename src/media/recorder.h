// The recorder: one per camera. Receives encoded samples from a Source, cuts
// them into fMP4 fragments (~1-2 s, at keyframes) and files (~1 min), writes
// each fragment to disk and then indexes it, so a crash loses at most the
// fragment in flight. Nothing is decoded or re-encoded.
//
// With a household public key, every file is encrypted (design notes: "Encryption at
// rest"): a fresh random key per file, sealed to the household and kept in the index; the
// init segment and each fragment are one crypto::encrypt_chunk each, numbered by their
// offset in the file. The recorder never holds a key that could open older files.
//
// Thread: SourceSink callbacks (media threads) only queue; a writer thread owns
// the file and the index calls. start/stop from the control thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "core/clock.h"
#include "core/ids.h"
#include "crypto/household_key.h"
#include "crypto/secret.h"
#include "media/source.h"
#include "store/index.h"

namespace hearth::media {

struct RecorderOptions {
    std::chrono::microseconds fragment_target{1'000'000};  // cut at the first keyframe after this
    std::chrono::microseconds fragment_max{2'000'000};     // cut without a keyframe past this
    std::chrono::microseconds segment_target{60'000'000};  // new file at a keyframe after this
    std::size_t queue_capacity = 3000;  // samples; when full, drop until the next keyframe
    std::chrono::seconds retry_after_error{5};
    std::optional<crypto::PublicKey> household;  // encrypt to it; none: files in the clear
};

struct RecorderStats {
    std::atomic<std::uint64_t> fragments{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> segments{0};
    std::atomic<std::uint64_t> dropped_samples{0};
    std::atomic<std::uint64_t> write_errors{0};
    std::atomic<std::int64_t> last_written_us{0};  // wall time of the end of the last fragment
    std::atomic<bool> online{false};
};

// Called (from the writer thread) for camera and recording events worth keeping.
using EventCallback = std::function<void(const store::Event&)>;

class Recorder final : public SourceSink {
public:
    Recorder(core::CameraId camera, store::Index& index, std::filesystem::path data_dir,
             const core::Clock& clock, RecorderOptions options = {}, EventCallback events = {});
    ~Recorder() override;

    void start();
    void stop();  // flushes the last fragment and closes the segment
    const RecorderStats& stats() const { return stats_; }

    void on_tracks(const std::vector<TrackInfo>& tracks) noexcept override;
    void on_sample(const EncodedSample& sample) noexcept override;
    void on_state(SourceState state, const std::string& detail) noexcept override;

private:
    struct StateChange {
        SourceState state;
        std::string detail;
    };
    using Item = std::variant<std::vector<TrackInfo>, EncodedSample, StateChange>;

    void run();
    void handle_tracks(std::vector<TrackInfo> tracks);
    void handle_sample(EncodedSample sample);
    void flush_fragment();
    bool open_segment(core::WallMicros start_us);
    void close_segment();
    void fail(const std::string& what);
    // What goes to disk for a chunk that starts at `offset`: encrypted under the file's key.
    core::Result<std::vector<std::uint8_t>> seal_chunk(std::vector<std::uint8_t> plain,
                                                       std::int64_t offset) const;
    void emit(const std::string& kind, const std::string& detail);

    const core::CameraId camera_;
    store::Index& index_;
    const std::filesystem::path data_dir_;
    const core::Clock& clock_;
    const RecorderOptions options_;
    EventCallback events_;
    RecorderStats stats_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Item> queue_;       // GUARDED_BY(mu_)
    bool stopping_ = false;        // GUARDED_BY(mu_)
    bool dropping_ = false;        // GUARDED_BY(mu_): skip until the next video keyframe
    int queue_video_track_ = -1;   // GUARDED_BY(mu_)
    std::thread writer_;

    // Writer-thread state.
    std::vector<TrackInfo> tracks_;
    int video_track_ = -1;
    std::vector<EncodedSample> pending_;
    std::vector<std::int64_t> last_dts_;     // per track, recording time
    std::int64_t anchor_wall_us_ = 0;        // wall time of the first sample
    std::int64_t anchor_source_us_ = -1;     // its source timestamp
    int fd_ = -1;
    crypto::SecretBytes file_key_;  // the open file's key (empty when in the clear)
    core::SegmentId segment_;
    std::string segment_path_;  // relative to data_dir_
    std::int64_t segment_start_us_ = 0;
    std::int64_t file_bytes_ = 0;
    std::uint32_t sequence_ = 0;
    std::int64_t failed_at_us_ = 0;          // nonzero while recording is failing
    bool offline_reported_ = false;
};

// What shred_recordings() destroyed.
struct ShredReport {
    std::int64_t segments = 0;
    std::int64_t snapshots = 0;  // event pictures destroyed with them
    std::int64_t bytes = 0;
    core::WallMicros first_us = 0;  // the destroyed recordings span [first, last)
    core::WallMicros last_us = 0;
    std::int64_t files_left = 0;    // files that could not be removed (unreadable anyway)
    std::string describe() const;   // "12 files, 48.2 MB, 10:00:00Z to 10:12:00Z"
};

// Deletes recordings by crypto-shredding: the segments' keys go from the index first
// (Index::shred_segments), the files after. A recorder writing a deleted file drops it.
core::Result<ShredReport> shred_recordings(store::Index& index,
                                           const std::filesystem::path& data_dir,
                                           std::optional<core::CameraId> camera,
                                           core::WallMicros from_us, core::WallMicros to_us);

// Startup check after a crash: every segment not closed cleanly is compared with
// its file; the index keeps only fragments that are whole on disk, and bytes
// after the last indexed fragment are cut off. Returns a summary per segment.
core::Result<std::vector<std::string>> recover_segments(store::Index& index,
                                                        const std::filesystem::path& data_dir);

}  // namespace hearth::media
