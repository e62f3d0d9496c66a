// A Notice: one thing worth telling the household ("someone is at the front door", "the
// garage camera went offline"), and NoticeChannel, where the Dispatcher hands notices on.
//
// The JSON form (to_json) is what webhooks receive and what the app lists: times both as
// RFC 3339 text and as numbers, a hub-wide notice has "camera_id": null.
//
// Thread-safety: plain values; to_json may run on any thread.
// Errors: none (building JSON from a Notice cannot fail; names are escaped by nlohmann).
//
// Example:
//     notify::Notice n{.kind = std::string(notify::kind::kPerson), .camera = cam,
//                      .camera_name = "Front door", .start_us = now, .confidence = 0.91,
//                      .event_id = 42, .summary = "A person at the front door."};
//     dispatcher.submit(n);
//     std::string body = nlohmann::json(n).dump();
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"

namespace hearth::notify {

// The kinds the hub sends today; others pass through unchanged.
namespace kind {
inline constexpr std::string_view kMotion = "motion";
inline constexpr std::string_view kPerson = "person";
inline constexpr std::string_view kSound = "sound";
inline constexpr std::string_view kCameraTampered = "camera.tampered";
inline constexpr std::string_view kCameraOffline = "camera.offline";
inline constexpr std::string_view kAlarm = "alarm";
inline constexpr std::string_view kEmergency = "emergency";
inline constexpr std::string_view kMode = "mode";
inline constexpr std::string_view kTest = "test";  // "Send test" in the app
}  // namespace kind

struct Notice {
    std::string kind;         // see notify::kind
    core::CameraId camera;    // invalid for hub-wide notices (mode, emergency...)
    std::string camera_name;  // as the household named it
    core::WallMicros start_us = 0;
    core::WallMicros end_us = 0;  // 0 while the event is ongoing
    double confidence = 0;        // 0..1 (detections); 1 for facts such as "offline"
    std::int64_t event_id = 0;    // the hub's event row; 0 when there is none
    std::string summary;          // one plain sentence for people
    bool urgent = false;          // alarm/emergency: bypasses quiet hours, dedup and rate limits
};

// {"kind","camera_id"(null for hub-wide),"camera_name","start","start_us","end"(null while
// ongoing),"end_us","ongoing","confidence","event_id","summary","urgent"}.
void to_json(nlohmann::json& j, const Notice& notice);
// The same as compact text; bytes that are not UTF-8 (a camera name from an old import) are
// replaced rather than thrown about.
std::string to_json_text(const Notice& notice);

// Where the Dispatcher hands notices on. WebhookSender and MqttPublisher implement it.
// Thread: called on the thread that submitted the notice; implementations post their work
// and return (they must not block on the network).
class NoticeChannel {
public:
    virtual ~NoticeChannel() = default;
    // A notice that passed dedup, rate limit and quiet hours (or is urgent): an alert.
    virtual void alert(const Notice& notice) = 0;
    // Every notice, alert or not, for channels that mirror state rather than alert people
    // (MQTT's motion and person sensors drive home automations at any hour).
    virtual void observe(const Notice& notice) { (void)notice; }
};

}  // namespace hearth::notify
