// Presence: who is watching which camera right now, so nobody watches unnoticed.
//
// Every open live view registers here while its connection lives; the app shows the
// list on each camera, and someone with the `manage` right on a camera can end another
// person's viewing. Entries go when the connection goes (a dead network is found by the
// WebSocket pings within ~10 s).
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http.h"
#include "core/clock.h"
#include "core/ids.h"

namespace hearth::api {

struct PresenceEntry {
    std::uint64_t id = 0;
    std::string user;
    core::CameraId camera;
    std::string kind;  // "live" (later: "playback", "talk", "share")
    core::WallMicros since_us = 0;
    std::string source;      // client address
    std::string user_agent;  // what device, roughly
};

class Presence {
public:
    // Registers a viewing; `peer` is closed if someone ends it. Returns its id.
    std::uint64_t add(PresenceEntry entry, std::weak_ptr<WebSocketPeer> peer);
    void remove(std::uint64_t id);
    std::vector<PresenceEntry> list() const;
    // Closes the viewing's connection (its handler then removes the entry). False when there
    // is no such entry on `camera`.
    bool end(std::uint64_t id, core::CameraId camera);

private:
    struct Live {
        PresenceEntry entry;
        std::weak_ptr<WebSocketPeer> peer;
    };
    mutable std::mutex mu_;
    std::uint64_t next_id_ = 1;            // GUARDED_BY(mu_)
    std::map<std::uint64_t, Live> live_;   // GUARDED_BY(mu_)
};

}  // namespace hearth::api
