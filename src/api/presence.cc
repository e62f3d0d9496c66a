#include "api/presence.h"

#include <nlohmann/json.hpp>

#include "core/time_text.h"

namespace hearth::api {

std::uint64_t Presence::add(PresenceEntry entry, std::function<void()> end) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mu_);
        entry.id = next_id_++;
        id = entry.id;
        live_.emplace(id, Live{std::move(entry), std::move(end)});
    }
    notify();
    return id;
}

std::uint64_t Presence::add(PresenceEntry entry, std::weak_ptr<WebSocketPeer> peer) {
    return add(std::move(entry), [peer = std::move(peer)] {
        if (auto p = peer.lock()) {
            p->close();
        }
    });
}

void Presence::remove(std::uint64_t id) {
    bool removed = false;
    {
        std::lock_guard lock(mu_);
        removed = live_.erase(id) > 0;
    }
    if (removed) {
        notify();
    }
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
    std::function<void()> end;
    {
        std::lock_guard lock(mu_);
        const auto it = live_.find(id);
        if (it == live_.end() || it->second.entry.camera != camera) {
            return false;
        }
        end = it->second.end;
    }
    if (end) {
        end();  // outside the lock: ending leads to remove()
    }
    return true;
}

std::uint64_t Presence::listen(std::function<void()> changed) {
    std::lock_guard lock(mu_);
    const auto handle = next_id_++;
    listeners_.emplace(handle, std::make_shared<std::function<void()>>(std::move(changed)));
    return handle;
}

void Presence::unlisten(std::uint64_t handle) {
    std::lock_guard lock(mu_);
    listeners_.erase(handle);
}

void Presence::notify() {
    std::vector<std::shared_ptr<std::function<void()>>> listeners;
    {
        std::lock_guard lock(mu_);
        for (const auto& [handle, l] : listeners_) {
            listeners.push_back(l);
        }
    }
    for (const auto& l : listeners) {
        (*l)();
    }
}

std::string presence_json(const std::vector<PresenceEntry>& entries, const auth::Principal& who) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
        if (!who.sees(e.camera)) {
            continue;
        }
        nlohmann::json j = {{"id", e.id},
                            {"user", e.user},
                            {"camera", e.camera.value()},
                            {"kind", e.kind},
                            {"since", core::format_time(e.since_us)},
                            {"device", e.user_agent}};
        if (who.is_owner()) {
            j["source"] = e.source;  // addresses are the owner's business
        }
        out.push_back(std::move(j));
    }
    return nlohmann::json{{"presence", out}}.dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
}

}  // namespace hearth::api
