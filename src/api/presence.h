// Presence: who is watching or talking on which camera right now, so nobody watches
// unnoticed.
//
// Every open live view, talk session and playback registers here while it lasts; the app
// is told of every change (listen()) and shows the list on each camera, and someone with
// the `manage` right on a camera can end another person's viewing. Entries go when the
// viewing goes (a dead network is found by the WebSocket pings within ~10 s).
//
// Thread-safety: every method is safe from any thread. Listeners are called without the
// lock held, from the thread that made the change: they must only post work elsewhere.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http.h"
#include "auth/permissions.h"
#include "core/clock.h"
#include "core/ids.h"

namespace hearth::api {

struct PresenceEntry {
    std::uint64_t id = 0;
    std::string user;
    core::CameraId camera;
    std::string kind;  // "live", "talk", "playback" (later: "share")
    core::WallMicros since_us = 0;
    std::string source;      // client address
    std::string user_agent;  // what device, roughly
};

class Presence {
public:
    // Registers a viewing; `end` stops it when someone ends it (the viewing's own code then
    // calls remove()). Returns its id.
    std::uint64_t add(PresenceEntry entry, std::function<void()> end);
    // The same for a WebSocket viewing: ending it closes the socket.
    std::uint64_t add(PresenceEntry entry, std::weak_ptr<WebSocketPeer> peer);
    void remove(std::uint64_t id);
    std::vector<PresenceEntry> list() const;
    // Stops the viewing. False when there is no such entry on `camera`.
    bool end(std::uint64_t id, core::CameraId camera);

    // `changed` runs after every add and remove. Returns a handle for unlisten().
    std::uint64_t listen(std::function<void()> changed);
    void unlisten(std::uint64_t handle);

private:
    void notify();

    struct Live {
        PresenceEntry entry;
        std::function<void()> end;
    };
    mutable std::mutex mu_;
    std::uint64_t next_id_ = 1;                                   // GUARDED_BY(mu_)
    std::map<std::uint64_t, Live> live_;                          // GUARDED_BY(mu_)
    std::map<std::uint64_t, std::shared_ptr<std::function<void()>>> listeners_;  // GUARDED_BY(mu_)
};

// {"presence":[{id, user, camera, kind, since, device[, source]}]}: the entries on cameras
// `who` can see; client addresses only for owners.
std::string presence_json(const std::vector<PresenceEntry>& entries, const auth::Principal& who);

}  // namespace hearth::api
