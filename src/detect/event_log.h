// Where detection events go: one index row per event (started, extended, ended), its
// snapshot encrypted like a recording (a fresh key per picture, sealed to the household,
// so a copied data directory shows no picture), then the listeners (the app's live
// channel, notifications).
//
// Thread-safety: every method is safe from any thread (each camera's detector calls
// record() from its own thread). Listeners run on the caller's thread without the lock:
// they must only post work elsewhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "crypto/household_key.h"
#include "detect/camera_detector.h"
#include "media/segment_reader.h"
#include "store/index.h"

namespace hearth::detect {

// What listeners hear: the stored event (without its snapshot bytes) and the phase.
struct EventNews {
    store::Event event;
    Phase phase = Phase::kInvalid;
};

class EventLog {
public:
    // `household`: snapshots are encrypted to it; none: snapshots are not kept at all
    // (never stored in the clear).
    EventLog(store::Index& index, std::filesystem::path data_dir,
             std::optional<crypto::PublicKey> household);

    void record(core::CameraId camera, const DetectedEvent& event);
    std::uint64_t listen(std::function<void(const EventNews&)> listener);
    void unlisten(std::uint64_t handle);

    // The snapshot's JPEG, decrypted with `opener`. Errors: kNotFound (no snapshot),
    // kFailedPrecondition (locked household), kDataLoss (altered file).
    static core::Result<std::vector<std::uint8_t>> read_snapshot(const std::filesystem::path& data_dir,
                                                                 const store::Event& event,
                                                                 const media::KeyOpener& opener);

private:
    void save_snapshot(std::int64_t id, core::CameraId camera, const std::vector<std::uint8_t>& jpeg);

    store::Index& index_;
    std::filesystem::path data_dir_;
    std::optional<crypto::PublicKey> household_;
    std::mutex mu_;
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> open_;  // GUARDED_BY(mu_)
    std::map<std::uint64_t, std::function<void(const EventNews&)>> listeners_;  // GUARDED_BY(mu_)
    std::uint64_t next_listener_ = 1;  // GUARDED_BY(mu_)
};

}  // namespace hearth::detect
