#include "api/presence.h"

namespace hearth::api {

std::uint64_t Presence::add(PresenceEntry entry, std::weak_ptr<WebSocketPeer> peer) {
    std::lock_guard lock(mu_);
    entry.id = next_id_++;
    const auto id = entry.id;
    live_.emplace(id, Live{std::move(entry), std::move(peer)});
    return id;
}

void Presence::remove(std::uint64_t id) {
    std::lock_guard lock(mu_);
    live_.erase(id);
}

std::vector<PresenceEntry> Presence::list() const {
    std::lock_guard lock(mu_);
    std::vector<PresenceEntry> out;
    out.reserve(live_.size());
    for (const auto& [id, live] : live_) {
        out.push_back(live.entry);
    }
    return out;
}

bool Presence::end(std::uint64_t id, core::CameraId camera) {
    std::shared_ptr<WebSocketPeer> peer;
    {
        std::lock_guard lock(mu_);
        const auto it = live_.find(id);
        if (it == live_.end() || it->second.entry.camera != camera) {
            return false;
        }
        peer = it->second.peer.lock();
    }
    if (peer) {
        peer->close();  // outside the lock: the close ends in remove()
    }
    return true;
}

}  // namespace hearth::api
