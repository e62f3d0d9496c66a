#include "notify/mqtt.h"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace hearth::notify {
namespace {

using core::ErrorCode;
using core::make_error;
using Json = nlohmann::json;

void init_library() {
    // mosquitto_lib_init once per process; never cleaned up (the hub runs until it exits).
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

core::Error invalid(std::string why) {
    return make_error(ErrorCode::kInvalidArgument, "mqtt: " + why);
}

bool is_topic_word(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

// A topic prefix such as "homeassistant" or "ha/discovery": no wildcards, no empty levels.
bool is_topic_prefix(std::string_view s) {
    if (s.empty() || s.size() > 128 || s.front() == '/' || s.back() == '/' ||
        s.find("//") != std::string_view::npos) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '+' && c != '#';
    });
}

std::string text(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string describe_connack(int rc) {
    switch (rc) {
        case 1:
            return "the broker does not accept MQTT 3.1.1";
        case 2:
            return "the broker refused the client id";
        case 3:
            return "the broker is unavailable";
        case 4:
            return "the broker refused the login: bad user name or password";
        case 5:
            return "the broker refused the login: not authorised (check the user name and "
                   "password)";
        default:
            return std::string("the broker refused the connection: ") +
                   mosquitto_connack_string(rc);
    }
}

// The digits of a camera id in a topic level; 0 when it is not one.
std::int64_t parse_id(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || s.size() > 18 || ec != std::errc() || end != s.data() + s.size() || v <= 0) {
        return 0;
    }
    return v;
}

}  // namespace

void MqttPublisher::MosquittoDeleter::operator()(mosquitto* m) const noexcept {
    mosquitto_destroy(m);
}

MqttPublisher::MqttPublisher(MqttOptions options, MqttCommands commands)
    : options_(std::move(options)), commands_(std::move(commands)) {}

MqttPublisher::~MqttPublisher() { stop(); }

std::string MqttPublisher::camera_topic(core::CameraId camera, std::string_view leaf) const {
    return base() + "/camera/" + std::to_string(camera.value()) + "/" + std::string(leaf);
}

std::string MqttPublisher::discovery_topic(std::string_view component,
                                           std::string_view object) const {
    return options_.discovery_prefix + "/" + std::string(component) + "/hearth_" + options_.hub_id +
           "/" + std::string(object) + "/config";
}

core::Status MqttPublisher::start() {
    const MqttOptions& o = options_;
    if (o.host.empty() || o.host.size() > 253) {
        return invalid("the broker's host is missing");
    }
    if (o.port == 0) {
        return invalid("the broker's port must be 1-65535");
    }
    if (o.keepalive < std::chrono::seconds(5) || o.keepalive > std::chrono::hours(1)) {
        return invalid("the keepalive must be 5 s to 1 h");
    }
    if (!is_topic_word(o.hub_id)) {
        return invalid("the hub id must be 1-64 letters, digits, '_' or '-'");
    }
    if (!is_topic_prefix(o.discovery_prefix)) {
        return invalid("the discovery prefix must be a topic without wildcards");
    }
    if (o.username.size() > 256 || o.password.size() > 256 ||
        std::find(o.password.view().begin(), o.password.view().end(), 0) !=
            o.password.view().end()) {
        return invalid("the user name or password is too long or holds a NUL byte");
    }
    std::error_code fs_ec;
    if (o.tls && !o.tls_ca_file.empty() &&
        !std::filesystem::is_regular_file(o.tls_ca_file, fs_ec)) {
        return make_error(ErrorCode::kNotFound, "mqtt: CA file " + o.tls_ca_file + " not found");
    }
    std::lock_guard lock(mu_);
    if (started_ || stopping_) {
        return make_error(ErrorCode::kFailedPrecondition, "mqtt: already started");
    }
    init_library();
    // A random suffix: two hubs restored from one backup must not keep kicking each other off.
    const std::string client_id = "hearth-" + o.hub_id + "-" + crypto::random_token_base64url(6);
    mosq_.reset(mosquitto_new(client_id.c_str(), true, this));
    if (!mosq_) {
        return make_error(ErrorCode::kResourceExhausted, "mqtt: cannot create a client");
    }
    mosquitto* m = mosq_.get();
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_threaded_set(m, true);  // run() drives the loop on our own thread
    mosquitto_connect_callback_set(m, &MqttPublisher::on_connect);
    mosquitto_disconnect_callback_set(m, &MqttPublisher::on_disconnect);
    mosquitto_message_callback_set(m, &MqttPublisher::on_message);
    const std::string availability = base() + "/availability";
    int rc = mosquitto_will_set(m, availability.c_str(), 7, "offline", 1, true);
    if (rc == MOSQ_ERR_SUCCESS && !o.username.empty()) {
        // libmosquitto keeps its own copy (plain malloc; it cannot be helped); ours is wiped.
        std::string password(reinterpret_cast<const char*>(o.password.data()), o.password.size());
        rc = mosquitto_username_pw_set(m, o.username.c_str(),
                                       o.password.empty() ? nullptr : password.c_str());
        crypto::wipe(password);
    }
    if (rc == MOSQ_ERR_SUCCESS && o.tls) {
        rc = mosquitto_tls_set(m, o.tls_ca_file.empty() ? nullptr : o.tls_ca_file.c_str(),
                               o.tls_ca_file.empty() ? "/etc/ssl/certs" : nullptr, nullptr, nullptr,
                               nullptr);
        if (rc == MOSQ_ERR_SUCCESS) {
            rc = mosquitto_tls_opts_set(m, 1, "tlsv1.2", nullptr);  // 1: verify the broker
        }
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        mosq_.reset();
        return invalid(std::string("client setup failed: ") + mosquitto_strerror(rc));
    }

    // What Home Assistant needs before any camera: the hub's device and the mode select.
    const Json hub_device = {{"identifiers", {"hearth_" + o.hub_id}},
                             {"name", o.hub_name},
                             {"manufacturer", "Hearth"},
                             {"model", "Hearth hub"},
                             {"sw_version", HEARTH_VERSION}};
    const Json select = {
        {"name", "Household mode"},
        {"unique_id", "hearth_" + o.hub_id + "_mode"},
        {"state_topic", base() + "/mode"},
        {"command_topic", base() + "/mode/set"},
        {"options", Json(std::vector<std::string>(kHouseholdModes.begin(), kHouseholdModes.end()))},
        {"availability_topic", availability},
        {"payload_available", "online"},
        {"payload_not_available", "offline"},
        {"icon", "mdi:home-lock"},
        {"device", hub_device}};
    retained_[discovery_topic("select", "mode")] = text(select);
    last_error_ = "connecting to " + o.host + ":" + std::to_string(o.port);
    started_ = true;
    thread_ = std::thread([this] { run(); });
    return {};
}

void MqttPublisher::run() {
    mosquitto* m = mosq_.get();
    const std::string& host = options_.host;
    const auto first_delay = std::chrono::seconds(1);
    auto delay = first_delay;
    bool disconnect_seen = false;
    auto stop_deadline = std::chrono::steady_clock::time_point::max();
    int rc = mosquitto_connect_async(m, host.c_str(), options_.port,
                                     static_cast<int>(options_.keepalive.count()));
    int err = errno;
    for (;;) {
        if (rc == MOSQ_ERR_SUCCESS) {
            rc = mosquitto_loop(m, 100, 1);
            err = errno;
        }
        if (stopping_) {
            // Keep looping until the queued "offline" and DISCONNECT are written and the
            // socket closes, at most 2 s.
            const auto now = std::chrono::steady_clock::now();
            if (!disconnect_seen) {
                disconnect_seen = true;
                stop_deadline = now + std::chrono::seconds(2);
            }
            if (!flush_on_stop_ || rc != MOSQ_ERR_SUCCESS || now > stop_deadline) {
                break;
            }
            continue;
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            continue;
        }
        if (session_up_.exchange(false)) {
            delay = first_delay;
        }
        {
            std::unique_lock lock(mu_);
            connected_ = false;
            if (!login_refused_) {
                const std::string why =
                    rc == MOSQ_ERR_ERRNO ? std::strerror(err)
                    : rc == MOSQ_ERR_TLS
                        ? "TLS failed (is the broker's certificate trusted? set its CA file)"
                        : mosquitto_strerror(rc);
                std::string next = "cannot reach the MQTT broker at " + host + ":" +
                                   std::to_string(options_.port) + ": " + why;
                if (next != last_error_) {
                    spdlog::warn("mqtt: {}; retrying", next);
                }
                last_error_ = std::move(next);
            }
            login_refused_ = false;  // the next attempt says again if it is refused
            wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
        }
        if (stopping_) {
            break;
        }
        delay = std::max(first_delay,
                         std::min<std::chrono::seconds>(delay * 2, options_.reconnect_delay_max));
        rc = mosquitto_reconnect_async(m);
        err = errno;
    }
}

void MqttPublisher::stop() {
    {
        std::lock_guard lock(mu_);
        if (!started_) {
            return;
        }
        if (connected_) {
            // A clean goodbye: the broker does not send the last will after a DISCONNECT.
            send(base() + "/availability", "offline", true);
            flush_on_stop_ = true;
        }
        started_ = false;  // publish_* refuse from now on
        connected_ = false;
        stopping_ = true;
    }
    // Queued after the "offline" PUBLISH, so the broker reads that first.
    mosquitto_disconnect(mosq_.get());
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    mosq_.reset();
}

void MqttPublisher::on_connect(mosquitto*, void* self, int rc) noexcept {
    try {
        static_cast<MqttPublisher*>(self)->handle_connect(rc);
    } catch (const std::exception& e) {
        spdlog::error("mqtt: on_connect: {}", e.what());
    }
}

void MqttPublisher::on_disconnect(mosquitto*, void* self, int rc) noexcept {
    try {
        static_cast<MqttPublisher*>(self)->handle_disconnect(rc);
    } catch (const std::exception& e) {
        spdlog::error("mqtt: on_disconnect: {}", e.what());
    }
}

void MqttPublisher::on_message(mosquitto*, void* self, const mosquitto_message* msg) noexcept {
    try {
        if (msg != nullptr && msg->topic != nullptr) {
            static_cast<MqttPublisher*>(self)->handle_message(*msg);
        }
    } catch (const std::exception& e) {
        spdlog::error("mqtt: on_message: {}", e.what());
    }
}

void MqttPublisher::handle_connect(int rc) {
    std::lock_guard lock(mu_);
    if (stopping_) {
        return;
    }
    if (rc != 0) {
        login_refused_ = true;
        connected_ = false;
        std::string next = describe_connack(rc);
        if (next != last_error_) {
            spdlog::warn("mqtt: {} ({}:{})", next, options_.host, options_.port);
        }
        last_error_ = std::move(next);
        return;
    }
    connected_ = true;
    login_refused_ = false;
    session_up_ = true;
    last_error_.clear();
    spdlog::info("mqtt: connected to {}:{}", options_.host, options_.port);
    mosquitto* m = mosq_.get();
    const std::string subscriptions[] = {
        base() + "/mode/set",
        base() + "/camera/+/privacy/set",
        options_.discovery_prefix + "/status",  // Home Assistant's birth message
        options_.discovery_prefix + "/+/hearth_" + options_.hub_id + "/+/config",
    };
    for (const auto& s : subscriptions) {
        mosquitto_subscribe(m, nullptr, s.c_str(), 1);
    }
    for (const auto& [topic, payload] : retained_) {
        send(topic, payload, true);
    }
    send(base() + "/availability", "online", true);
}

void MqttPublisher::handle_disconnect(int rc) {
    std::lock_guard lock(mu_);
    const bool was_connected = connected_;
    connected_ = false;
    // Failed attempts are reported by run(); this is for a connection that worked.
    if (was_connected && rc != 0 && !stopping_) {
        last_error_ = std::string("lost the connection to the MQTT broker (") +
                      mosquitto_strerror(rc) + "); reconnecting";
        spdlog::warn("mqtt: {}", last_error_);
    }
}

void MqttPublisher::handle_message(const mosquitto_message& msg) {
    const std::string topic = msg.topic;
    const std::string_view payload(
        static_cast<const char*>(msg.payload),
        msg.payload == nullptr ? 0 : static_cast<std::size_t>(msg.payloadlen));
    const std::string mode_set = base() + "/mode/set";
    const std::string camera_prefix = base() + "/camera/";
    const std::string privacy_suffix = "/privacy/set";
    const bool is_mode = topic == mode_set;
    const bool is_privacy = topic.size() > camera_prefix.size() + privacy_suffix.size() &&
                            topic.starts_with(camera_prefix) && topic.ends_with(privacy_suffix);

    if (!is_mode && !is_privacy) {
        if (topic == options_.discovery_prefix + "/status") {
            if (payload == "online") {  // Home Assistant restarted: tell it everything again
                std::lock_guard lock(mu_);
                for (const auto& [t, p] : retained_) {
                    send(t, p, true);
                }
            }
        } else if (topic.ends_with("/config")) {
            handle_discovery_echo(topic, payload.empty());
        }
        return;
    }

    // A command. Only exact known values, never a retained one (it would be applied again
    // at every reconnect).
    const auto ignore = [&](const char* why) {
        {
            std::lock_guard lock(mu_);
            ++counters_.ignored_commands;
        }
        spdlog::warn("mqtt: ignored a command on {}: {}", topic, why);
    };
    if (msg.retain) {
        return ignore("retained");
    }
    if (payload.size() > kMaxMqttCommandBytes) {
        return ignore("too long");
    }
    if (is_mode) {
        if (std::find(kHouseholdModes.begin(), kHouseholdModes.end(), payload) ==
            kHouseholdModes.end()) {
            return ignore("not home, away or night");
        }
        {
            std::lock_guard lock(mu_);
            ++counters_.commands;
        }
        if (commands_.on_mode_command) {
            commands_.on_mode_command(std::string(payload));
        }
        return;
    }
    const std::string_view id_text = std::string_view(topic).substr(
        camera_prefix.size(), topic.size() - camera_prefix.size() - privacy_suffix.size());
    const core::CameraId camera(parse_id(id_text));
    if (payload != "ON" && payload != "OFF") {
        return ignore("not ON or OFF");
    }
    {
        std::lock_guard lock(mu_);
        if (!camera.valid() || !cameras_.contains(camera.value())) {
            ++counters_.ignored_commands;
            spdlog::warn("mqtt: ignored a command on {}: no such camera", topic);
            return;
        }
        ++counters_.commands;
    }
    if (commands_.on_privacy_command) {
        commands_.on_privacy_command(camera, payload == "ON");
    }
}

void MqttPublisher::handle_discovery_echo(const std::string& topic, bool empty_payload) {
    // Our own retained configs come back here, including those a previous run announced for
    // cameras that are gone since: once the current cameras are known, any config under our
    // node that is not one of ours now is removed (until then, it is remembered).
    std::lock_guard lock(mu_);
    if (empty_payload) {
        broker_configs_.erase(topic);
        return;
    }
    if (retained_.contains(topic)) {
        return;
    }
    if (!announced_) {
        if (broker_configs_.size() < 4 * kMaxMqttCameras + 16) {
            broker_configs_.insert(topic);
        }
        return;
    }
    spdlog::info("mqtt: removing the stale discovery config {}", topic);
    send(topic, "", true);
}

bool MqttPublisher::send(const std::string& topic, std::string_view payload, bool retain) {
    if (!connected_ || !mosq_) {
        return false;
    }
    const int rc = mosquitto_publish(mosq_.get(), nullptr, topic.c_str(),
                                     static_cast<int>(payload.size()), payload.data(), 1, retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        spdlog::debug("mqtt: publish to {} failed: {}", topic, mosquitto_strerror(rc));
        return false;
    }
    ++counters_.published;
    return true;
}

void MqttPublisher::set_retained(const std::string& topic, std::string payload) {
    auto& slot = retained_[topic];
    slot = std::move(payload);
    send(topic, slot, true);
}

void MqttPublisher::clear_retained(const std::string& topic) {
    retained_.erase(topic);
    send(topic, "", true);  // an empty retained message deletes it on the broker
}

core::Status MqttPublisher::check_started() const {
    if (!started_) {
        return make_error(ErrorCode::kFailedPrecondition, "mqtt: not started");
    }
    return {};
}

core::Status MqttPublisher::announce_cameras(const std::vector<MqttCamera>& cameras) {
    if (cameras.size() > kMaxMqttCameras) {
        return invalid("too many cameras");
    }
    std::set<std::int64_t> next;
    for (const auto& c : cameras) {
        if (!c.id.valid() || !next.insert(c.id.value()).second) {
            return invalid("camera ids must be valid and unique");
        }
        if (c.name.size() > 256) {
            return invalid("a camera name is too long");
        }
    }
    std::lock_guard lock(mu_);
    HEARTH_TRY(check_started());
    const std::string availability = base() + "/availability";
    for (const std::int64_t gone : cameras_) {
        if (next.contains(gone)) {
            continue;
        }
        const std::string object = "camera_" + std::to_string(gone);
        clear_retained(discovery_topic("camera", object));
        clear_retained(discovery_topic("binary_sensor", object + "_motion"));
        clear_retained(discovery_topic("binary_sensor", object + "_person"));
        clear_retained(discovery_topic("switch", object + "_privacy"));
        for (const char* leaf : {"motion", "person", "privacy"}) {
            clear_retained(camera_topic(core::CameraId(gone), leaf));
        }
    }
    for (const auto& c : cameras) {
        const std::string object = "camera_" + std::to_string(c.id.value());
        const std::string unique = "hearth_" + options_.hub_id + "_" + object;
        const Json device = {
            {"identifiers", {unique}},
            {"name", c.name.empty() ? "Camera " + std::to_string(c.id.value()) : c.name},
            {"manufacturer", "Hearth"},
            {"model", c.has_ptz ? "Camera with pan, tilt and zoom" : "Camera"},
            {"via_device", "hearth_" + options_.hub_id}};
        const auto entity = [&](const std::string& name, const std::string& id) {
            return Json{{"name", name},
                        {"unique_id", id},
                        {"availability_topic", availability},
                        {"payload_available", "online"},
                        {"payload_not_available", "offline"},
                        {"device", device}};
        };
        Json camera = entity("Snapshot", unique);
        camera["topic"] = camera_topic(c.id, "snapshot");
        set_retained(discovery_topic("camera", object), text(camera));
        struct Sensor {
            const char* leaf;
            const char* device_class;
            const char* name;
        };
        for (const Sensor& sensor :
             {Sensor{"motion", "motion", "Motion"}, Sensor{"person", "occupancy", "Person"}}) {
            const std::string leaf = sensor.leaf;
            Json j = entity(sensor.name, unique + "_" + leaf);
            j["state_topic"] = camera_topic(c.id, leaf);
            j["device_class"] = sensor.device_class;
            j["payload_on"] = "ON";
            j["payload_off"] = "OFF";
            set_retained(discovery_topic("binary_sensor", object + "_" + leaf), text(j));
        }
        Json privacy = entity("Privacy mode", unique + "_privacy");
        privacy["state_topic"] = camera_topic(c.id, "privacy");
        privacy["command_topic"] = camera_topic(c.id, "privacy/set");
        privacy["payload_on"] = "ON";
        privacy["payload_off"] = "OFF";
        privacy["icon"] = "mdi:eye-off";
        set_retained(discovery_topic("switch", object + "_privacy"), text(privacy));
    }
    cameras_ = std::move(next);
    announced_ = true;
    for (const auto& topic : broker_configs_) {  // left by a previous run, seen before now
        if (!retained_.contains(topic)) {
            send(topic, "", true);
        }
    }
    broker_configs_.clear();
    return {};
}

core::Status MqttPublisher::publish_state(core::CameraId camera, std::string_view sensor, bool on) {
    if (!camera.valid()) {
        return invalid("no camera");
    }
    if (sensor != "motion" && sensor != "person") {
        return invalid("the sensor must be motion or person");
    }
    std::lock_guard lock(mu_);
    HEARTH_TRY(check_started());
    set_retained(camera_topic(camera, sensor), on ? "ON" : "OFF");
    return {};
}

core::Status MqttPublisher::publish_mode(std::string_view mode) {
    if (std::find(kHouseholdModes.begin(), kHouseholdModes.end(), mode) == kHouseholdModes.end()) {
        return invalid("the mode must be home, away or night");
    }
    std::lock_guard lock(mu_);
    HEARTH_TRY(check_started());
    set_retained(base() + "/mode", std::string(mode));
    return {};
}

core::Status MqttPublisher::publish_privacy(core::CameraId camera, bool on) {
    if (!camera.valid()) {
        return invalid("no camera");
    }
    std::lock_guard lock(mu_);
    HEARTH_TRY(check_started());
    set_retained(camera_topic(camera, "privacy"), on ? "ON" : "OFF");
    return {};
}

core::Status MqttPublisher::publish_notice(const Notice& notice) {
    const std::string body = to_json_text(notice);
    std::lock_guard lock(mu_);
    HEARTH_TRY(check_started());
    if (!send(base() + "/events", body, false)) {
        return make_error(ErrorCode::kUnavailable, "mqtt: not connected to the broker");
    }
    return {};
}

core::Status MqttPublisher::publish_snapshot(core::CameraId camera,
                                             std::span<const std::uint8_t> jpeg) {
    if (!camera.valid()) {
        return invalid("no camera");
    }
    if (jpeg.empty() || jpeg.size() > kMaxMqttSnapshotBytes) {
        return invalid("a snapshot must be 1 byte to 8 MiB");
    }
    std::lock_guard lock(mu_);
    HEARTH_TRY(check_started());
    // Not retained: a picture of the home must not stay on the broker.
    if (!send(camera_topic(camera, "snapshot"),
              std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()), false)) {
        return make_error(ErrorCode::kUnavailable, "mqtt: not connected to the broker");
    }
    return {};
}

bool MqttPublisher::connected() const {
    std::lock_guard lock(mu_);
    return connected_;
}

std::string MqttPublisher::last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
}

MqttStatus MqttPublisher::status() const {
    std::lock_guard lock(mu_);
    MqttStatus s = counters_;
    s.connected = connected_;
    s.last_error = last_error_;
    return s;
}

void MqttPublisher::alert(const Notice& notice) { (void)publish_notice(notice); }

void MqttPublisher::observe(const Notice& notice) {
    if (notice.camera.valid() && (notice.kind == kind::kMotion || notice.kind == kind::kPerson)) {
        (void)publish_state(notice.camera, notice.kind, notice.end_us == 0);
    }
}

}  // namespace hearth::notify
