// MQTT: the hub's cameras, sensors and household mode on a broker, with Home Assistant
// discovery, over libmosquitto.
//
// Topics (<hub> is MqttOptions::hub_id, <id> a camera id):
//   hearth/<hub>/availability             "online" / "offline" (retained; "offline" is also
//                                         the last will, so a crashed hub reads offline)
//   hearth/<hub>/camera/<id>/motion       "ON" / "OFF" (retained)
//   hearth/<hub>/camera/<id>/person       "ON" / "OFF" (retained)
//   hearth/<hub>/camera/<id>/privacy      "ON" / "OFF" (retained); .../privacy/set commands
//   hearth/<hub>/camera/<id>/snapshot     JPEG bytes, only from publish_snapshot (not retained)
//   hearth/<hub>/mode                     "home" / "away" / "night" (retained); .../mode/set
//   hearth/<hub>/events                   each alert as the Notice JSON (not retained)
// Discovery (retained JSON under <discovery_prefix>/<component>/hearth_<hub>/<object>/config):
// per camera a device with a `camera` entity (the snapshot topic), `binary_sensor`s for
// motion (device_class motion) and person (device_class occupancy) and a privacy-mode
// `switch`; for the hub a device with a `select` for the household mode.
//
// - Every retained message (discovery, states, mode) is also kept here and sent again after
//   each reconnect and when Home Assistant announces itself online (<prefix>/status), so
//   the broker is right even if it lost its retained store. Events and snapshots published
//   while disconnected are dropped: they are notifications, not a log.
// - announce_cameras removes the discovery configs and states of cameras that are gone,
//   including ones a previous run announced (the hub reads back its own retained configs).
// - Commands on the mode and privacy command topics are checked (known values only, at
//   most 16 bytes, a camera that was announced, not retained) and handed to MqttCommands;
//   everything else is ignored and counted. The hub applies and audits them, then
//   publishes the new state: the state topics always say what the hub did, not what was
//   asked.
// - The connection runs on the publisher's own thread (libmosquitto's loop, driven here so
//   that every failure, including TLS and name lookups, is retried with backoff: 1 s
//   doubling to reconnect_delay_max). status() says whether it is connected and, if not,
//   why in plain words ("the broker refused the login: not authorised").
//
// Thread-safety: every public method is safe from any thread. MqttCommands callbacks run on
// the MQTT thread with no lock held: post the work and return.
// Errors: start() refuses bad options (kInvalidArgument, kNotFound for a missing CA file);
// publish_* refuse bad arguments (kInvalidArgument), calls before start() or after stop()
// (kFailedPrecondition), and non-retained messages while disconnected (kUnavailable).
// A broker that cannot be reached is not an error of any call: see status().
//
// Example:
//     notify::MqttCommands commands;
//     commands.on_mode_command = [&](const std::string& mode) {
//         post_to_control([=] { apply_mode(mode); });
//     };
//     notify::MqttPublisher mqtt(std::move(options), std::move(commands));
//     if (auto s = mqtt.start(); !s) { return s.error(); }
//     (void)mqtt.announce_cameras({{.id = cam, .name = "Porch"}});
//     (void)mqtt.publish_mode("home");
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "crypto/secret.h"
#include "notify/notice.h"

struct mosquitto;
struct mosquitto_message;

namespace hearth::notify {

inline constexpr std::array<std::string_view, 3> kHouseholdModes = {"home", "away", "night"};
inline constexpr std::size_t kMaxMqttCommandBytes = 16;
inline constexpr std::size_t kMaxMqttSnapshotBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxMqttCameras = 256;

struct MqttOptions {
    std::string host;  // the broker
    std::uint16_t port = 1883;
    std::string username;  // empty: anonymous
    crypto::SecretBytes password;
    bool tls = false;
    std::string tls_ca_file;  // with tls: trusted instead of the system CAs (/etc/ssl/certs)
    std::string hub_id;       // topic prefix hearth/<hub_id>: 1-64 of A-Z a-z 0-9 _ -
    std::string hub_name = "Hearth";  // the hub's device name in Home Assistant
    std::string discovery_prefix = "homeassistant";
    std::chrono::seconds keepalive{30};
    std::chrono::seconds reconnect_delay_max{60};
};

struct MqttCamera {
    core::CameraId id;
    std::string name;      // the device's name in Home Assistant
    bool has_ptz = false;  // shown in the device's model; steering stays in the app
};

struct MqttCommands {
    // A valid mode from Home Assistant's select ("home", "away" or "night").
    std::function<void(const std::string& mode)> on_mode_command;
    // Privacy mode asked on or off for an announced camera.
    std::function<void(core::CameraId camera, bool on)> on_privacy_command;
};

struct MqttStatus {
    bool connected = false;
    std::string last_error;  // empty while connected
    std::uint64_t published = 0;
    std::uint64_t commands = 0;          // handed to MqttCommands
    std::uint64_t ignored_commands = 0;  // unknown values, oversized, retained, unknown camera
};

class MqttPublisher final : public NoticeChannel {
public:
    explicit MqttPublisher(MqttOptions options, MqttCommands commands = {});
    ~MqttPublisher() override;  // stop()
    MqttPublisher(const MqttPublisher&) = delete;
    MqttPublisher& operator=(const MqttPublisher&) = delete;

    // Checks the options, then connects in the background (and keeps reconnecting).
    core::Status start();
    // Publishes availability "offline" (retained), disconnects cleanly and joins the thread
    // (within about 2 s; a name lookup in progress may hold it longer). Idempotent.
    void stop();

    // The cameras Home Assistant should know, replacing the previous list.
    core::Status announce_cameras(const std::vector<MqttCamera>& cameras);
    // `sensor` is "motion" or "person".
    core::Status publish_state(core::CameraId camera, std::string_view sensor, bool on);
    // One of kHouseholdModes.
    core::Status publish_mode(std::string_view mode);
    core::Status publish_privacy(core::CameraId camera, bool on);
    // The notice's JSON to hearth/<hub>/events.
    core::Status publish_notice(const Notice& notice);
    // A still picture for Home Assistant's camera entity. Pictures of the home are private:
    // the hub calls this only for cameras whose owner opted in to sharing snapshots with
    // home automation, and the picture is never retained on the broker.
    core::Status publish_snapshot(core::CameraId camera, std::span<const std::uint8_t> jpeg);

    bool connected() const;
    std::string last_error() const;
    MqttStatus status() const;

    // NoticeChannel: alerts go to the events topic; motion and person notices set the
    // camera's sensor (ON while ongoing, OFF once ended) whatever their verdict.
    void alert(const Notice& notice) override;
    void observe(const Notice& notice) override;

private:
    struct MosquittoDeleter {
        void operator()(mosquitto* m) const noexcept;
    };

    // libmosquitto callbacks (the MQTT thread); they catch everything.
    static void on_connect(mosquitto* m, void* self, int rc) noexcept;
    static void on_disconnect(mosquitto* m, void* self, int rc) noexcept;
    static void on_message(mosquitto* m, void* self, const mosquitto_message* msg) noexcept;
    void handle_connect(int rc);
    void handle_disconnect(int rc);
    void handle_message(const mosquitto_message& msg);
    void handle_discovery_echo(const std::string& topic, bool empty_payload);

    void run();  // the MQTT thread
    // With mu_ held: keeps `payload` as the topic's retained value and sends it if connected.
    void set_retained(const std::string& topic, std::string payload);
    void clear_retained(const std::string& topic);
    // With mu_ held: one PUBLISH if connected. False when it could not be queued.
    bool send(const std::string& topic, std::string_view payload, bool retain);
    std::string base() const { return "hearth/" + options_.hub_id; }
    std::string camera_topic(core::CameraId camera, std::string_view leaf) const;
    std::string discovery_topic(std::string_view component, std::string_view object) const;
    core::Status check_started() const;  // with mu_ held

    const MqttOptions options_;
    const MqttCommands commands_;
    std::unique_ptr<mosquitto, MosquittoDeleter> mosq_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> session_up_{false};     // a CONNACK 0 since the last failure
    std::atomic<bool> flush_on_stop_{false};  // stop() queued "offline" and DISCONNECT

    mutable std::mutex mu_;                        // never held while calling commands_
    std::condition_variable wake_;                 // stop() interrupts the backoff
    bool started_ = false;                         // GUARDED_BY(mu_)
    bool connected_ = false;                       // GUARDED_BY(mu_)
    bool login_refused_ = false;                   // GUARDED_BY(mu_)
    std::string last_error_;                       // GUARDED_BY(mu_)
    std::map<std::string, std::string> retained_;  // GUARDED_BY(mu_): topic -> payload
    std::set<std::int64_t> cameras_;               // GUARDED_BY(mu_): announced ids
    bool announced_ = false;                       // GUARDED_BY(mu_)
    std::set<std::string> broker_configs_;  // GUARDED_BY(mu_): configs seen before announcing
    MqttStatus counters_;                   // GUARDED_BY(mu_) (counts only)
};

}  // namespace hearth::notify
