// MqttPublisher against a real mosquitto started here on 127.0.0.1 (password file, no
// anonymous access), watched by a second libmosquitto client: retained Home Assistant
// discovery, states, commands in and out, availability by goodbye and by last will, and
// connection errors in plain words.
#include "notify/mqtt.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mqtt_broker.h"

namespace hearth::notify {
namespace {

using namespace std::chrono_literals;
using mqtt_testing::Broker;
using mqtt_testing::Message;
using mqtt_testing::Watcher;
using Json = nlohmann::json;
using core::CameraId;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

class MqttTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mqtt_testing::broker_available()) {
            return;
        }
        broker_ = new Broker();
        if (auto s = broker_->start(); !s) {
            start_error_ = new std::string(s.error().describe());
        }
    }
    static void TearDownTestSuite() {
        delete broker_;  // kills the broker
        broker_ = nullptr;
        delete start_error_;
        start_error_ = nullptr;
    }

    void SetUp() override {
        if (!mqtt_testing::broker_available()) {
            GTEST_SKIP() << mqtt_testing::kMosquitto
                         << " is missing: install the Debian package mosquitto";
        }
        ASSERT_EQ(start_error_, nullptr) << *start_error_;
        hub_ = "t" + crypto::random_token_base64url(6);  // retained topics differ per test
    }

    MqttOptions options(std::string password = {}) const {
        MqttOptions o;
        o.host = "127.0.0.1";
        o.port = broker_->port();
        o.username = broker_->user();
        o.password =
            crypto::SecretBytes::copy_of(password.empty() ? broker_->password() : password).value();
        o.hub_id = hub_;
        return o;
    }

    std::string base() const { return "hearth/" + hub_; }
    std::string config(const std::string& component, const std::string& object) const {
        return "homeassistant/" + component + "/hearth_" + hub_ + "/" + object + "/config";
    }
    // The JSON of the last retained config on `topic`, or null.
    static Json retained_json(Watcher& w, const std::string& topic) {
        const auto m = w.wait_for([&](const Message& m) { return m.topic == topic; });
        if (!m || !m->retain) {
            return Json();
        }
        return Json::parse(m->payload, nullptr, false);
    }

    static Broker* broker_;
    static std::string* start_error_;
    std::string hub_;
};

Broker* MqttTest::broker_ = nullptr;
std::string* MqttTest::start_error_ = nullptr;

TEST_F(MqttTest, RetainedDiscoveryStatesAndAvailability) {
    Watcher live(*broker_, "#");
    ASSERT_TRUE(live.ok());
    MqttPublisher pub(options());
    ASSERT_TRUE(pub.start());
    ASSERT_TRUE(eventually([&] { return pub.connected(); })) << pub.last_error();
    EXPECT_EQ(pub.last_error(), "");
    ASSERT_TRUE(
        pub.announce_cameras({{CameraId(1), "Porch", false}, {CameraId(2), "Garden", true}}));
    ASSERT_TRUE(pub.publish_mode("home"));
    ASSERT_TRUE(pub.publish_state(CameraId(1), "motion", true));
    ASSERT_TRUE(live.wait_for(base() + "/camera/1/motion", "ON"));

    // A client that subscribes now (Home Assistant starting) gets all of it as retained.
    Watcher ha(*broker_, "#");
    ASSERT_TRUE(ha.ok());
    const auto online = ha.wait_for(base() + "/availability", "online");
    ASSERT_TRUE(online);
    EXPECT_TRUE(online->retain);
    const auto mode = ha.wait_for(base() + "/mode", "home");
    ASSERT_TRUE(mode);
    EXPECT_TRUE(mode->retain);
    const auto motion = ha.wait_for(base() + "/camera/1/motion", "ON");
    ASSERT_TRUE(motion);
    EXPECT_TRUE(motion->retain);

    const std::string unique = "hearth_" + hub_ + "_camera_1";
    const Json m = retained_json(ha, config("binary_sensor", "camera_1_motion"));
    ASSERT_TRUE(m.is_object()) << m;
    EXPECT_EQ(m["unique_id"], unique + "_motion");
    EXPECT_EQ(m["state_topic"], base() + "/camera/1/motion");
    EXPECT_EQ(m["device_class"], "motion");
    EXPECT_EQ(m["payload_on"], "ON");
    EXPECT_EQ(m["payload_off"], "OFF");
    EXPECT_EQ(m["availability_topic"], base() + "/availability");
    EXPECT_EQ(m["device"]["identifiers"], Json::array({unique}));
    EXPECT_EQ(m["device"]["name"], "Porch");
    EXPECT_EQ(m["device"]["via_device"], "hearth_" + hub_);

    const Json p = retained_json(ha, config("binary_sensor", "camera_1_person"));
    EXPECT_EQ(p["unique_id"], unique + "_person");
    EXPECT_EQ(p["state_topic"], base() + "/camera/1/person");
    EXPECT_EQ(p["device_class"], "occupancy");

    const Json cam = retained_json(ha, config("camera", "camera_1"));
    EXPECT_EQ(cam["unique_id"], unique);
    EXPECT_EQ(cam["topic"], base() + "/camera/1/snapshot");
    EXPECT_EQ(cam["device"]["name"], "Porch");

    const Json privacy = retained_json(ha, config("switch", "camera_1_privacy"));
    EXPECT_EQ(privacy["unique_id"], unique + "_privacy");
    EXPECT_EQ(privacy["state_topic"], base() + "/camera/1/privacy");
    EXPECT_EQ(privacy["command_topic"], base() + "/camera/1/privacy/set");

    const Json garden = retained_json(ha, config("binary_sensor", "camera_2_motion"));
    EXPECT_EQ(garden["device"]["name"], "Garden");
    EXPECT_EQ(garden["device"]["model"], "Camera with pan, tilt and zoom");

    const Json select = retained_json(ha, config("select", "mode"));
    EXPECT_EQ(select["unique_id"], "hearth_" + hub_ + "_mode");
    EXPECT_EQ(select["state_topic"], base() + "/mode");
    EXPECT_EQ(select["command_topic"], base() + "/mode/set");
    EXPECT_EQ(select["options"], Json::array({"home", "away", "night"}));
    EXPECT_EQ(select["device"]["identifiers"], Json::array({"hearth_" + hub_}));

    // Live changes.
    ASSERT_TRUE(pub.publish_state(CameraId(1), "motion", false));
    EXPECT_TRUE(ha.wait_for(base() + "/camera/1/motion", "OFF"));
    ASSERT_TRUE(pub.publish_privacy(CameraId(2), true));
    EXPECT_TRUE(ha.wait_for(base() + "/camera/2/privacy", "ON"));

    // As a NoticeChannel: motion notices drive the sensor, alerts go to the events topic.
    Notice n;
    n.kind = "person";
    n.camera = CameraId(2);
    n.camera_name = "Garden";
    n.event_id = 7;
    n.summary = "A person in the garden.";
    pub.observe(n);
    EXPECT_TRUE(ha.wait_for(base() + "/camera/2/person", "ON"));
    n.end_us = 1'764'385'200'000'000;
    pub.observe(n);
    EXPECT_TRUE(ha.wait_for(base() + "/camera/2/person", "OFF"));
    pub.alert(n);
    const auto event =
        ha.wait_for([&](const Message& msg) { return msg.topic == base() + "/events"; });
    ASSERT_TRUE(event);
    EXPECT_FALSE(event->retain);
    const Json ej = Json::parse(event->payload, nullptr, false);
    EXPECT_EQ(ej["kind"], "person");
    EXPECT_EQ(ej["camera_id"], 2);
    EXPECT_EQ(ej["event_id"], 7);

    // A snapshot reaches subscribers but is never kept on the broker.
    const std::vector<std::uint8_t> jpeg = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xff, 0xd9};
    ASSERT_TRUE(pub.publish_snapshot(CameraId(1), jpeg));
    const auto snap =
        ha.wait_for([&](const Message& msg) { return msg.topic == base() + "/camera/1/snapshot"; });
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->payload, std::string(jpeg.begin(), jpeg.end()));
    Watcher later(*broker_, base() + "/camera/1/snapshot");
    ASSERT_TRUE(later.ok());
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(later.messages().empty());
    EXPECT_GT(pub.status().published, 10u);
}

TEST_F(MqttTest, RemovesDiscoveryOfCamerasThatAreGoneEvenAfterARestart) {
    Watcher w(*broker_, "#");
    ASSERT_TRUE(w.ok());
    {
        MqttPublisher first(options());
        ASSERT_TRUE(first.start());
        ASSERT_TRUE(eventually([&] { return first.connected(); })) << first.last_error();
        ASSERT_TRUE(first.announce_cameras(
            {{CameraId(1), "Porch"}, {CameraId(2), "Hall"}, {CameraId(3), "Shed"}}));
        ASSERT_TRUE(w.wait_for([&](const Message& m) {
            return m.topic == config("switch", "camera_3_privacy") && !m.payload.empty();
        }));
        // Camera 2 goes while running.
        ASSERT_TRUE(first.announce_cameras({{CameraId(1), "Porch"}, {CameraId(3), "Shed"}}));
        for (const auto& t :
             {config("camera", "camera_2"), config("binary_sensor", "camera_2_motion"),
              config("binary_sensor", "camera_2_person"), config("switch", "camera_2_privacy")}) {
            EXPECT_TRUE(w.wait_for(t, "")) << t;
        }
    }
    // The hub restarts without camera 3: its configs, left retained by the previous run,
    // are found and removed.
    MqttPublisher second(options());
    ASSERT_TRUE(second.start());
    ASSERT_TRUE(eventually([&] { return second.connected(); })) << second.last_error();
    ASSERT_TRUE(second.announce_cameras({{CameraId(1), "Porch"}}));
    for (const auto& t :
         {config("camera", "camera_3"), config("binary_sensor", "camera_3_motion"),
          config("binary_sensor", "camera_3_person"), config("switch", "camera_3_privacy")}) {
        EXPECT_TRUE(w.wait_for(t, "")) << t;
    }
    // What a fresh subscriber sees: camera 1 and the mode select, nothing of 2 or 3.
    Watcher fresh(*broker_, "homeassistant/+/hearth_" + hub_ + "/+/config");
    ASSERT_TRUE(fresh.ok());
    ASSERT_TRUE(fresh.wait_for(
        [&](const Message& m) { return m.topic == config("switch", "camera_1_privacy"); }));
    std::this_thread::sleep_for(200ms);
    std::set<std::string> topics;
    for (const auto& m : fresh.messages()) {
        topics.insert(m.topic);
    }
    EXPECT_EQ(topics, (std::set<std::string>{
                          config("camera", "camera_1"), config("binary_sensor", "camera_1_motion"),
                          config("binary_sensor", "camera_1_person"),
                          config("switch", "camera_1_privacy"), config("select", "mode")}));
}

TEST_F(MqttTest, CommandsAreCheckedThenHandedOver) {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> modes;
    std::vector<std::pair<std::int64_t, bool>> privacy;
    MqttCommands commands;
    commands.on_mode_command = [&](const std::string& mode) {
        std::lock_guard lock(mu);
        modes.push_back(mode);
        cv.notify_all();
    };
    commands.on_privacy_command = [&](CameraId camera, bool on) {
        std::lock_guard lock(mu);
        privacy.emplace_back(camera.value(), on);
        cv.notify_all();
    };

    Watcher w(*broker_, "#");
    ASSERT_TRUE(w.ok());
    // Someone left a retained command: it must not be applied at every connect.
    w.publish(base() + "/mode/set", "night", true);
    ASSERT_TRUE(w.wait_for(base() + "/mode/set", "night"));

    MqttPublisher pub(options(), commands);
    ASSERT_TRUE(pub.start());
    ASSERT_TRUE(eventually([&] { return pub.connected(); })) << pub.last_error();
    ASSERT_TRUE(pub.announce_cameras({{CameraId(1), "Porch"}}));

    w.publish(base() + "/mode/set", "party");
    w.publish(base() + "/mode/set", std::string(100 * 1024, 'a'));
    w.publish(base() + "/mode/set", "Away");
    w.publish(base() + "/mode/set", "away");
    {
        std::unique_lock lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return !modes.empty(); }));
        EXPECT_EQ(modes, std::vector<std::string>{"away"});
    }

    w.publish(base() + "/camera/1/privacy/set", "ON");
    w.publish(base() + "/camera/99/privacy/set", "ON");    // not announced
    w.publish(base() + "/camera/abc/privacy/set", "ON");   // not an id
    w.publish(base() + "/camera/1/privacy/set", "maybe");  // not ON/OFF
    w.publish(base() + "/camera/1/privacy/set", "OFF");
    {
        std::unique_lock lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return privacy.size() >= 2; }));
        EXPECT_EQ(privacy, (std::vector<std::pair<std::int64_t, bool>>{{1, true}, {1, false}}));
        EXPECT_EQ(modes.size(), 1u);
    }
    const MqttStatus s = pub.status();
    EXPECT_EQ(s.commands, 3u);
    EXPECT_EQ(s.ignored_commands, 7u);  // retained, party, 100 KiB, Away, 99, abc, maybe
    // The command changed nothing by itself: the state is what the hub publishes.
    EXPECT_FALSE(w.last(base() + "/mode").has_value());
    w.publish(base() + "/mode/set", "", true);  // clear the retained command
}

TEST_F(MqttTest, OfflineOnStopAndByLastWillWhenTheHubDies) {
    Watcher w(*broker_, "#");
    ASSERT_TRUE(w.ok());
    const std::string availability = base() + "/availability";
    {
        MqttPublisher pub(options());
        ASSERT_TRUE(pub.start());
        ASSERT_TRUE(w.wait_for(availability, "online"));
    }
    const auto offline = w.wait_for(availability, "offline");
    ASSERT_TRUE(offline);
    EXPECT_EQ(w.last(availability)->payload, "offline");

    // A hub that dies without a word: a child process that is killed. The broker sends
    // the last will.
    hub_ += "x";
    const std::string crashed = base() + "/availability";
    MqttOptions o = options();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        MqttPublisher pub(std::move(o));
        if (!pub.start()) {
            ::_exit(1);
        }
        std::this_thread::sleep_for(20s);  // killed long before
        ::_exit(2);
    }
    const bool came_online = w.wait_for(crashed, "online").has_value();
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(came_online);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_TRUE(w.wait_for(crashed, "offline"));
}

TEST_F(MqttTest, WrongPasswordIsAClearConnectionError) {
    MqttPublisher pub(options("not-the-password"));
    ASSERT_TRUE(pub.start());
    ASSERT_TRUE(eventually([&] {
        return pub.last_error().find("refused the login") != std::string::npos;
    })) << pub.last_error();
    EXPECT_FALSE(pub.connected());
    EXPECT_EQ(pub.last_error().rfind("the broker refused the login: ", 0), 0u) << pub.last_error();
    // Still refused after the next attempt (the error is not replaced by a vaguer one).
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(pub.last_error().rfind("the broker refused the login: ", 0), 0u) << pub.last_error();
    // Publishing while disconnected keeps retained state for later and refuses events.
    EXPECT_TRUE(pub.publish_mode("away"));
    const auto event = pub.publish_notice(Notice{.kind = "motion"});
    ASSERT_FALSE(event);
    EXPECT_EQ(event.error().code, core::ErrorCode::kUnavailable);
    const auto t0 = std::chrono::steady_clock::now();
    pub.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(MqttTest, UnreachableBrokerSaysWhy) {
    MqttOptions o = options();
    o.port = mqtt_testing::free_port();
    MqttPublisher pub(std::move(o));
    ASSERT_TRUE(pub.start());
    ASSERT_TRUE(eventually([&] {
        return pub.last_error().find("cannot reach the MQTT broker at 127.0.0.1:") !=
               std::string::npos;
    })) << pub.last_error();
    EXPECT_NE(pub.last_error().find("refused"), std::string::npos) << pub.last_error();
    EXPECT_FALSE(pub.connected());
}

TEST_F(MqttTest, TlsBrokerIsVerifiedAgainstItsCaFile) {
    Watcher w(*broker_, "#");
    ASSERT_TRUE(w.ok());
    MqttOptions o = options();
    o.port = broker_->tls_port();
    o.tls = true;
    o.tls_ca_file = broker_->ca_file();
    MqttPublisher pub(std::move(o));
    ASSERT_TRUE(pub.start());
    ASSERT_TRUE(eventually([&] { return pub.connected(); })) << pub.last_error();
    ASSERT_TRUE(pub.publish_mode("night"));
    EXPECT_TRUE(w.wait_for(base() + "/mode", "night"));
}

TEST_F(MqttTest, TlsBrokerWithAnUntrustedCertificateSaysSo) {
    MqttOptions o = options();
    o.port = broker_->tls_port();
    o.tls = true;  // the system CAs do not know the broker's self-signed certificate
    MqttPublisher pub(std::move(o));
    ASSERT_TRUE(pub.start());
    ASSERT_TRUE(eventually([&] {
        return pub.last_error().find("TLS failed") != std::string::npos;
    })) << pub.last_error();
    EXPECT_FALSE(pub.connected());
}

TEST_F(MqttTest, OptionsAndArgumentsAreChecked) {
    MqttOptions bad = options();
    bad.hub_id = "a/b";
    EXPECT_EQ(MqttPublisher(std::move(bad)).start().error().code,
              core::ErrorCode::kInvalidArgument);
    MqttOptions wildcard = options();
    wildcard.discovery_prefix = "home/#";
    EXPECT_FALSE(MqttPublisher(std::move(wildcard)).start());
    MqttOptions no_ca = options();
    no_ca.tls = true;
    no_ca.tls_ca_file = "/nonexistent/ca.pem";
    EXPECT_EQ(MqttPublisher(std::move(no_ca)).start().error().code, core::ErrorCode::kNotFound);

    MqttPublisher pub(options());
    EXPECT_EQ(pub.publish_mode("home").error().code, core::ErrorCode::kFailedPrecondition);
    ASSERT_TRUE(pub.start());
    EXPECT_FALSE(pub.start());
    EXPECT_EQ(pub.publish_mode("party").error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_FALSE(pub.publish_state(CameraId(1), "smoke", true));
    EXPECT_FALSE(pub.publish_state(CameraId(), "motion", true));
    EXPECT_FALSE(pub.announce_cameras({{CameraId(1), "a"}, {CameraId(1), "b"}}));
    EXPECT_FALSE(pub.publish_snapshot(CameraId(1), {}));
    pub.stop();
    EXPECT_EQ(pub.publish_mode("home").error().code, core::ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hearth::notify
