// The index: cameras, recorded segments and their fragments, and events, in one
// SQLite file (WAL). Segment files are written first and indexed after, so a
// crash loses at most the fragment in flight and never corrupts the index.
//
// Thread-safety: every method is safe to call from any thread (one connection
// behind a mutex; SQLite has one writer anyway and these statements are short).
#pragma once

#include <cstdint>
#include <climits>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "crypto/secret_box.h"
#include "store/sqlite.h"

namespace hearth::store {

enum class CameraKind : std::uint8_t { kInvalid = 0, kSim, kRtsp, kV4l2 };
const char* to_string(CameraKind kind);
core::Result<CameraKind> parse_camera_kind(std::string_view text);

struct Camera {
    core::CameraId id;
    std::string name;
    CameraKind kind = CameraKind::kInvalid;
    // rtsp: the URL without credentials; v4l2: the device path; sim: empty.
    std::string url;
    std::string username;
    // Sealed under the hub key in the database (crypto::SecretBox); here in the clear for
    // the source that logs in with it. Never logged, never returned by the API.
    std::string password;
    // Why the stored password could not be opened (key changed or row altered); empty when
    // fine. The camera then cannot log in, and says so.
    std::string credentials_problem;
    std::string options;   // JSON object of kind-specific options (transport, size, fps, ...)
    bool enabled = true;
};

struct Segment {
    core::SegmentId id;
    core::CameraId camera;
    std::string path;  // relative to the data directory
    core::WallMicros start_us = 0;
    core::WallMicros end_us = 0;
    std::int64_t bytes = 0;       // indexed bytes: init segment + complete fragments
    std::int64_t init_bytes = 0;  // ftyp + moov at the start of the file
    std::string codecs;           // e.g. "h264,aac"
    bool complete = false;        // closed normally (not cut by a crash)
    core::WallMicros pinned_until_us = 0;
    // The segment key sealed to the household (crypto::seal_to); empty: stored in the clear.
    std::vector<std::uint8_t> sealed_key;
};

struct Fragment {
    std::int64_t seq = 0;
    core::WallMicros start_us = 0;
    std::int64_t duration_us = 0;
    std::int64_t offset = 0;  // byte offset of the moof in the segment file
    std::int64_t bytes = 0;   // moof + mdat
    bool keyframe = false;    // starts with a keyframe: playback may begin here
};

// A contiguous stretch of recording: segments whose ends touch within a gap tolerance.
struct TimeRange {
    core::WallMicros start_us = 0;
    core::WallMicros end_us = 0;
};

// What playback needs to stream a time range: fragments in order, with their file.
struct PlaybackPiece {
    core::CameraId camera;
    core::SegmentId segment;
    std::string path;
    std::int64_t init_bytes = 0;
    Fragment fragment;
    std::vector<std::uint8_t> sealed_key;  // as Segment::sealed_key
};

struct Event {
    std::int64_t id = 0;
    core::CameraId camera;  // invalid for hub-wide events
    // "camera.online", "camera.offline", "recording.error", ..., and from detection
    // "motion", "person", "sound", "camera.tampered".
    std::string kind;
    core::WallMicros at_us = 0;   // when it started
    std::string detail;
    core::WallMicros end_us = 0;  // detection: the last sighting; 0 while it goes on or for instants
    double confidence = 0;        // detection: 0..1
    std::string snapshot;         // encrypted picture, relative to the data directory; may be empty
    std::vector<std::uint8_t> snapshot_key;  // its key sealed to the household
};

// Events in [from, to) by start, newest first.
struct EventQuery {
    std::optional<core::CameraId> camera;
    std::string kind;  // empty: every kind
    core::WallMicros from_us = 0;
    core::WallMicros to_us = INT64_MAX;
    int limit = 100;
};

// A named PTZ preset: where to go back to. `token` is the camera's own preset token
// (ONVIF cameras); `position` is in ONVIF generic spaces when the camera reports one.
struct PtzPreset {
    std::string name;
    std::string token;
    bool has_position = false;
    double pan = 0;
    double tilt = 0;
    double zoom = 0;
    core::WallMicros created_us = 0;
};

class Index {
public:
    // Opens (creating and migrating) the database, with the hub key `hub.key` next to it
    // (made on first use); camera passwords still stored in the clear are sealed now.
    static core::Result<std::unique_ptr<Index>> open(const std::filesystem::path& db_path);

    // Cameras. Errors: kAlreadyExists for a duplicate name, kNotFound.
    core::Result<core::CameraId> add_camera(const Camera& camera);
    core::Result<std::vector<Camera>> list_cameras();
    core::Result<Camera> get_camera(core::CameraId id);
    // Renames and/or starts or stops a camera. Errors: kNotFound, kAlreadyExists (the name).
    core::Result<Camera> update_camera(core::CameraId id, const std::optional<std::string>& name,
                                       std::optional<bool> enabled);
    core::Result<Camera> find_camera(std::string_view id_or_name);
    // Removes the camera and its index rows; returns the segment paths to delete.
    core::Result<std::vector<std::string>> remove_camera(core::CameraId id);

    // Recording.
    core::Result<core::SegmentId> begin_segment(core::CameraId camera, const std::string& path,
                                                core::WallMicros start_us, std::int64_t init_bytes,
                                                const std::string& codecs,
                                                const std::vector<std::uint8_t>& sealed_key = {});
    // Indexes one fragment already written to the file, and extends the segment.
    // kNotFound when the segment was deleted meanwhile (shred_segments).
    core::Status add_fragment(core::SegmentId segment, const Fragment& fragment);
    core::Status finish_segment(core::SegmentId segment);
    core::Result<std::vector<Segment>> incomplete_segments();
    // Keeps only fragments ending at or before `valid_bytes`; deletes an empty segment.
    core::Status truncate_segment(core::SegmentId segment, std::int64_t valid_bytes);
    core::Result<std::vector<Fragment>> fragments(core::SegmentId segment);

    // Queries. Segments overlapping [from, to), oldest first, at most `limit`.
    core::Result<std::vector<Segment>> segments(core::CameraId camera, core::WallMicros from_us,
                                                core::WallMicros to_us, int limit = 10000);
    // Contiguous ranges overlapping [from, to); gaps up to `max_gap_us` are bridged.
    core::Result<std::vector<TimeRange>> ranges(core::CameraId camera, core::WallMicros from_us,
                                                core::WallMicros to_us,
                                                std::int64_t max_gap_us = 2'000'000);
    // Fragments covering [from, to), starting at the keyframe fragment at or before `from`.
    core::Result<std::vector<PlaybackPiece>> playback(core::CameraId camera,
                                                      core::WallMicros from_us,
                                                      core::WallMicros to_us);
    // Nearest recorded ranges before and after `at` (for a helpful 404).
    core::Result<std::vector<TimeRange>> nearest_ranges(core::CameraId camera,
                                                        core::WallMicros at_us);

    // Retention. Segments to delete, oldest first: older than `max_age_us`, then while
    // the total indexed bytes exceed `max_bytes`; pinned segments are kept.
    core::Result<std::vector<Segment>> retention_candidates(core::WallMicros now_us,
                                                            std::int64_t max_age_us,
                                                            std::int64_t max_bytes);
    core::Status delete_segment(core::SegmentId segment);
    // Crypto-shredding: removes every segment of `camera` (all cameras when none) overlapping
    // [from, to), with its sealed key, in one transaction, and truncates the WAL so no copy
    // of a key survives in the database; the caller deletes the files after. Whole files go:
    // the returned segments say exactly which times were destroyed.
    // Event snapshots in the range are shredded the same way (their paths are added to
    // `snapshots` for the caller to delete); the events themselves stay.
    core::Result<std::vector<Segment>> shred_segments(std::optional<core::CameraId> camera,
                                                      core::WallMicros from_us,
                                                      core::WallMicros to_us,
                                                      std::vector<std::string>* snapshots = nullptr);
    core::Status pin(core::CameraId camera, core::WallMicros from_us, core::WallMicros to_us,
                     core::WallMicros until_us);
    core::Result<std::int64_t> total_bytes(std::optional<core::CameraId> camera = std::nullopt);

    // Events.
    // Returns the new event's id.
    core::Result<std::int64_t> add_event(const Event& event);
    // Extends a detection event (the end only grows, the confidence only rises).
    core::Status update_event(std::int64_t id, core::WallMicros end_us, double confidence);
    core::Status set_event_snapshot(std::int64_t id, const std::string& path,
                                    const std::vector<std::uint8_t>& sealed_key);
    core::Result<std::vector<Event>> events(std::optional<core::CameraId> camera, int limit);
    core::Result<std::vector<Event>> events(const EventQuery& query);
    core::Result<Event> event(std::int64_t id);  // kNotFound

    // PTZ presets, by name (ordered by name). put_preset replaces one of the same name, or
    // adds one when the camera has fewer than `max_presets`. Errors: kResourceExhausted
    // (full), kNotFound (no such camera or preset).
    core::Result<std::vector<PtzPreset>> ptz_presets(core::CameraId camera);
    core::Result<PtzPreset> ptz_preset(core::CameraId camera, std::string_view name);
    core::Status put_ptz_preset(core::CameraId camera, const PtzPreset& preset, int max_presets);
    core::Status remove_ptz_preset(core::CameraId camera, std::string_view name);

    // Settings managed by the household (retention and such), as text.
    core::Result<std::optional<std::string>> setting(std::string_view key);
    core::Status set_setting(std::string_view key, std::string_view value);

    int schema_version();

private:
    Index(Database db, std::shared_ptr<const crypto::SecretBox> box)
        : box_(std::move(box)), db_(std::move(db)) {}
    core::Status seal_plain_passwords();
    Camera read_camera(const Statement& s) const;
    core::Status migrate();
    core::Result<std::vector<Segment>> query_segments(Statement& stmt);

    std::shared_ptr<const crypto::SecretBox> box_;  // seals camera passwords at rest
    std::mutex mu_;
    Database db_;  // GUARDED_BY(mu_)
};

}  // namespace hearth::store
