#include "detect/event_log.h"

#include <spdlog/spdlog.h>

#include <fstream>

#include "crypto/chunk_cipher.h"
#include "crypto/key_file.h"
#include "crypto/secret.h"

namespace hearth::detect {
namespace {

constexpr std::size_t kMaxSnapshotBytes = 4u << 20;
// The snapshot is one chunk of the recordings' format; its number is fixed.
constexpr std::uint64_t kSnapshotChunk = 0;

}  // namespace

EventLog::EventLog(store::Index& index, std::filesystem::path data_dir,
                   std::optional<crypto::PublicKey> household)
    : index_(index), data_dir_(std::move(data_dir)), household_(std::move(household)) {}

void EventLog::record(core::CameraId camera, const DetectedEvent& d) {
    const std::pair<std::int64_t, std::string> key{camera.value(), d.kind};
    std::int64_t id = 0;
    {
        std::lock_guard lock(mu_);
        if (const auto it = open_.find(key); it != open_.end()) {
            id = it->second;
            if (d.phase == Phase::kEnded) {
                open_.erase(it);
            }
        }
    }
    if (id == 0) {
        if (d.phase == Phase::kEnded) {
            return;  // its start was never stored (the hub restarted meanwhile)
        }
        store::Event e;
        e.camera = camera;
        e.kind = d.kind;
        e.at_us = d.start_us;
        e.end_us = d.phase == Phase::kEnded ? d.end_us : 0;
        e.confidence = d.confidence;
        e.detail = d.detail;
        auto added = index_.add_event(e);
        if (!added) {
            spdlog::error("camera={} cannot store a {} event: {}", camera.value(), d.kind, added.error().message);
            return;
        }
        id = *added;
        std::lock_guard lock(mu_);
        open_[key] = id;
    } else if (auto st = index_.update_event(id, d.phase == Phase::kEnded ? d.end_us : 0, d.confidence); !st) {
        spdlog::error("camera={} cannot update event {}: {}", camera.value(), id, st.error().message);
    }
    if (!d.snapshot.empty()) {
        save_snapshot(id, camera, d.snapshot);
    }
    EventNews news;
    auto stored = index_.event(id);
    if (!stored) {
        return;
    }
    news.event = std::move(*stored);
    news.event.snapshot_key.clear();
    news.phase = d.phase;
    std::vector<std::function<void(const EventNews&)>> listeners;
    {
        std::lock_guard lock(mu_);
        for (const auto& [h, l] : listeners_) {
            listeners.push_back(l);
        }
    }
    for (const auto& l : listeners) {
        l(news);
    }
}

void EventLog::save_snapshot(std::int64_t id, core::CameraId camera, const std::vector<std::uint8_t>& jpeg) {
    if (!household_ || jpeg.size() > kMaxSnapshotBytes) {
        return;  // never a picture in the clear
    }
    auto key = crypto::SecretBytes::random(crypto::kChunkKeyBytes);
    if (!key) {
        return;
    }
    auto sealed_file = crypto::encrypt_chunk(*key, kSnapshotChunk, jpeg);
    if (!sealed_file) {
        return;
    }
    const std::string rel = "snapshots/" + std::to_string(camera.value()) + "/" + std::to_string(id) + ".jpg.enc";
    std::error_code ec;
    std::filesystem::create_directories(data_dir_ / "snapshots" / std::to_string(camera.value()), ec);
    if (auto st = crypto::write_file_atomically(data_dir_ / rel, *sealed_file, 0600); !st) {
        spdlog::warn("camera={} snapshot not saved: {}", camera.value(), st.error().message);
        return;
    }
    if (auto st = index_.set_event_snapshot(id, rel, crypto::seal_to(*household_, key->view())); !st) {
        spdlog::warn("camera={} snapshot not indexed: {}", camera.value(), st.error().message);
    }
}

std::uint64_t EventLog::listen(std::function<void(const EventNews&)> listener) {
    std::lock_guard lock(mu_);
    const auto h = next_listener_++;
    listeners_.emplace(h, std::move(listener));
    return h;
}

void EventLog::unlisten(std::uint64_t handle) {
    std::lock_guard lock(mu_);
    listeners_.erase(handle);
}

core::Result<std::vector<std::uint8_t>> EventLog::read_snapshot(const std::filesystem::path& data_dir,
                                                                const store::Event& event,
                                                                const media::KeyOpener& opener) {
    if (event.snapshot.empty() || event.snapshot_key.empty() || event.snapshot.find("..") != std::string::npos) {
        return core::make_error(core::ErrorCode::kNotFound, "this event has no picture");
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(data_dir / event.snapshot, ec);
    if (ec) {
        return core::make_error(core::ErrorCode::kNotFound, "this event's picture is gone");
    }
    if (size > crypto::encrypted_chunk_size(kMaxSnapshotBytes)) {  // checked before reading it
        return core::make_error(core::ErrorCode::kDataLoss, "this event's picture file is too large");
    }
    std::ifstream in(data_dir / event.snapshot, std::ios::binary);
    std::vector<std::uint8_t> file(size);
    if (!in.read(reinterpret_cast<char*>(file.data()), static_cast<std::streamsize>(size))) {
        return core::make_error(core::ErrorCode::kNotFound, "this event's picture could not be read");
    }
    if (!opener) {
        return core::make_error(core::ErrorCode::kFailedPrecondition, "the household key is not available");
    }
    HEARTH_ASSIGN_OR_RETURN(auto key, opener(event.snapshot_key));
    auto plain = crypto::decrypt_chunk(key, kSnapshotChunk, file);
    if (!plain) {
        return core::make_error(core::ErrorCode::kDataLoss, "this event's picture was altered on disk");
    }
    return plain;
}

}  // namespace hearth::detect
