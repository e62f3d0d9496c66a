#include "ptz/service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "ptz/sim_driver.h"

namespace hearth::ptz {
namespace {

using namespace std::chrono_literals;

constexpr core::WallMicros kT0 = 1'700'000'000'000'000;

// A camera without zoom or presets that records what it was told: the one fake driver,
// for limits the sim driver does not have.
class RecordingDriver final : public Driver {
public:
    Capabilities capabilities() override {
        Capabilities c;
        c.continuous = c.relative = true;
        return c;
    }
    core::Status continuous_move(const Vector& v, std::chrono::milliseconds t) override {
        calls.push_back("continuous " + std::to_string(t.count()));
        last = v;
        return {};
    }
    core::Status stop() override {
        calls.push_back("stop");
        return {};
    }
    core::Status relative_move(const Vector&) override {
        calls.push_back("relative");
        return {};
    }
    core::Status absolute_move(const Vector&) override { return {}; }
    core::Status go_home() override { return {}; }
    core::Result<Status> status() override { return Status{}; }
    core::Result<PresetRef> save_preset(std::string_view, const PresetRef*) override {
        return PresetRef{};
    }
    core::Status goto_preset(const PresetRef&) override { return {}; }
    core::Status remove_preset(const PresetRef&) override { return {}; }

    std::vector<std::string> calls;
    Vector last;
};

class PtzServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("hearth-ptz-test-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir_);
        auto idx = store::Index::open(dir_ / "hearth.db");
        ASSERT_TRUE(idx) << idx.error().describe();
        index_ = std::move(*idx);
        for (const char* name : {"porch", "yard"}) {
            store::Camera c;
            c.name = name;
            c.kind = store::CameraKind::kSim;
            auto id = index_->add_camera(c);
            ASSERT_TRUE(id);
            cams_.push_back(*id);
        }
        HoldCallbacks cb;
        cb.started = [this](core::CameraId camera, const Hold& h) {
            log_.push_back("start " + std::to_string(camera.value()) + " " + h.who.name);
            return ++tags_;
        };
        cb.ended = [this](core::CameraId camera, const Hold& h, HoldEnd why) {
            log_.push_back("end " + std::to_string(camera.value()) + " " + h.who.name + " " +
                           to_string(why) + " tag " + std::to_string(h.tag) + " commands " +
                           std::to_string(h.commands));
        };
        service_ = std::make_unique<Service>(index_.get(), &clock_, ServiceOptions{}, cb);
        ptz_ = media::VirtualPtz::for_scene({});
        service_->attach(cams_[0], make_sim_driver(ptz_));
        auto driver = std::make_unique<RecordingDriver>();
        recording_ = driver.get();
        service_->attach(cams_[1], std::move(driver));
    }
    void TearDown() override {
        service_.reset();
        index_.reset();
        std::filesystem::remove_all(dir_);
    }

    static Controller person(const char* name, std::int64_t session) {
        return Controller{core::UserId(session), name, core::SessionId(session), "127.0.0.1",
                          "test"};
    }
    static Command absolute(double pan, double tilt, double zoom) {
        return Command{Command::Kind::kAbsolute, {pan, tilt, zoom}, {}, ""};
    }

    std::filesystem::path dir_;
    std::unique_ptr<store::Index> index_;
    core::FakeClock clock_{kT0};
    std::unique_ptr<Service> service_;
    std::shared_ptr<media::VirtualPtz> ptz_;
    RecordingDriver* recording_ = nullptr;
    std::vector<core::CameraId> cams_;
    std::vector<std::string> log_;
    std::uint64_t tags_ = 0;
};

TEST_F(PtzServiceTest, OneControllerHoldsTheCameraAndOthersSeeWho) {
    const auto alice = person("alice", 1), bob = person("bob", 2);
    ASSERT_TRUE(service_->command(cams_[0], alice, absolute(0.5, 0, 0)));
    auto refused = service_->command(cams_[0], bob, absolute(-0.5, 0, 0));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_EQ(refused.error().message, "alice is steering this camera");
    EXPECT_EQ(service_->holder(cams_[0])->who.name, "alice");
    // Bob's refused move did not reach the camera: it still heads for alice's target.
    EXPECT_EQ(ptz_->position(media::ptz_now_ms() + 60'000).pan, 0.5);
    // Another camera is free.
    EXPECT_TRUE(service_->command(cams_[1], bob, Command{Command::Kind::kStop, {}, {}, ""}));

    // The hold lapses 15 s after alice's last command; then bob may steer.
    clock_.advance(16s);
    ASSERT_TRUE(service_->command(cams_[0], bob, absolute(-0.5, 0, 0)));
    EXPECT_EQ(service_->holder(cams_[0])->who.name, "bob");
    ASSERT_EQ(log_.size(), 4u);
    EXPECT_EQ(log_[0], "start " + std::to_string(cams_[0].value()) + " alice");
    EXPECT_EQ(log_[3], "end " + std::to_string(cams_[0].value()) + " alice idle tag 1 commands 1");
}

TEST_F(PtzServiceTest, HoldsEndOnReleaseOnExpiryAndWhenEndedByAnother) {
    const auto alice = person("alice", 1), bob = person("bob", 2);
    ASSERT_TRUE(service_->command(cams_[1], alice,
                                  Command{Command::Kind::kContinuous, {0.5, 0, 0}, 500ms, ""}));
    EXPECT_FALSE(service_->release(cams_[1], bob));
    EXPECT_TRUE(service_->release(cams_[1], alice));
    EXPECT_FALSE(service_->holder(cams_[1]));

    ASSERT_TRUE(service_->command(cams_[1], bob, Command{Command::Kind::kStop, {}, {}, ""}));
    clock_.advance(10s);
    service_->expire();
    EXPECT_TRUE(service_->holder(cams_[1]));
    clock_.advance(6s);
    service_->expire();
    EXPECT_FALSE(service_->holder(cams_[1]));

    ASSERT_TRUE(service_->command(cams_[1], alice,
                                  Command{Command::Kind::kContinuous, {0.5, 0, 0}, 500ms, ""}));
    EXPECT_TRUE(service_->end_hold(cams_[1]));
    EXPECT_FALSE(service_->end_hold(cams_[1]));
    EXPECT_NE(log_.back().find("ended by another user"), std::string::npos);
    // Cut off mid-move: the camera stops at the next housekeeping round, and alice's next
    // keep-alive does not take the camera back...
    service_->expire();
    EXPECT_EQ(recording_->calls.back(), "stop");
    auto again = service_->command(cams_[1], alice,
                                   Command{Command::Kind::kContinuous, {0.5, 0, 0}, 500ms, ""});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, "someone who manages this camera ended your control of it");
    // ...while bob may steer at once, and alice again once her hold would have lapsed.
    ASSERT_TRUE(service_->command(cams_[1], bob, Command{Command::Kind::kStop, {}, {}, ""}));
    ASSERT_TRUE(service_->release(cams_[1], bob));
    clock_.advance(16s);
    EXPECT_TRUE(service_->command(cams_[1], alice, Command{Command::Kind::kStop, {}, {}, ""}));
}

TEST_F(PtzServiceTest, ContinuousMovesAlwaysTimeOutAndUnsupportedOnesAreNotAttempted) {
    const auto alice = person("alice", 1);
    ASSERT_TRUE(service_->command(cams_[1], alice,
                                  Command{Command::Kind::kContinuous, {1, 0, 0}, 600'000ms, ""}));
    EXPECT_EQ(recording_->calls.back(), "continuous 2000");
    ASSERT_TRUE(service_->command(cams_[1], alice,
                                  Command{Command::Kind::kContinuous, {1, 0, 0}, 0ms, ""}));
    EXPECT_EQ(recording_->calls.back(), "continuous 100");
    const auto calls = recording_->calls.size();
    for (auto cmd : {Command{Command::Kind::kContinuous, {0, 0, 1}, 500ms, ""}, absolute(0, 0, 0),
                     Command{Command::Kind::kHome, {}, {}, ""},
                     Command{Command::Kind::kPreset, {}, {}, "Door"}}) {
        auto r = service_->command(cams_[1], alice, cmd);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, core::ErrorCode::kUnimplemented) << to_string(cmd.kind);
    }
    EXPECT_EQ(service_->save_preset(cams_[1], alice, "Door").error().code,
              core::ErrorCode::kUnimplemented);
    EXPECT_EQ(recording_->calls.size(), calls);
}

TEST_F(PtzServiceTest, AWallClockSteppedBackDoesNotPinAHold) {
    const auto alice = person("alice", 1), bob = person("bob", 2);
    ASSERT_TRUE(service_->command(cams_[1], alice, Command{Command::Kind::kStop, {}, {}, ""}));
    clock_.set(kT0 - 3'600'000'000LL);  // an hour back
    EXPECT_TRUE(service_->command(cams_[1], bob, Command{Command::Kind::kStop, {}, {}, ""}));
}

TEST_F(PtzServiceTest, CommandsAreRateLimited) {
    const auto alice = person("alice", 1);
    const Command stop{Command::Kind::kStop, {}, {}, ""};
    int accepted = 0;
    core::ErrorCode last = core::ErrorCode::kInvalid;
    for (int i = 0; i < 40; ++i) {
        auto r = service_->command(cams_[1], alice, stop);
        accepted += r ? 1 : 0;
        if (!r) last = r.error().code;
    }
    EXPECT_EQ(accepted, 20);  // the burst, with no time passing
    EXPECT_EQ(last, core::ErrorCode::kResourceExhausted);
    clock_.advance(1s);  // ten more a second
    accepted = 0;
    for (int i = 0; i < 40; ++i) {
        accepted += service_->command(cams_[1], alice, stop) ? 1 : 0;
    }
    EXPECT_EQ(accepted, 10);
}

TEST_F(PtzServiceTest, PresetsReturnToTheSameViewAndAreBounded) {
    const auto alice = person("alice", 1);
    const auto t = media::ptz_now_ms();
    ptz_->absolute_move({-0.4, 0.3, 0.5}, t);
    ptz_->stop(true, true, t + 60'000);  // not moving; the clock below is far ahead
    ASSERT_TRUE(service_->save_preset(cams_[0], alice, "Door"));
    const auto door_view = ptz_->view(t + 60'000);
    auto presets = service_->presets(cams_[0]);
    ASSERT_TRUE(presets);
    ASSERT_EQ(presets->size(), 1u);
    EXPECT_TRUE((*presets)[0].has_position);

    ptz_->absolute_move({0.9, -0.9, 0}, t + 60'000);
    EXPECT_NE(ptz_->view(t + 120'000).x, door_view.x);
    ASSERT_TRUE(
        service_->command(cams_[0], alice, Command{Command::Kind::kPreset, {}, {}, "Door"}));
    const auto back = ptz_->view(media::ptz_now_ms() + 120'000);
    EXPECT_EQ(back.x, door_view.x);
    EXPECT_EQ(back.y, door_view.y);
    EXPECT_EQ(back.width, door_view.width);

    EXPECT_EQ(service_->command(cams_[0], alice, Command{Command::Kind::kPreset, {}, {}, "Nope"})
                  .error()
                  .code,
              core::ErrorCode::kNotFound);
    EXPECT_EQ(service_->save_preset(cams_[0], alice, "").error().code,
              core::ErrorCode::kInvalidArgument);
    for (const char* bad : {"bad\nname", "a/b", "\xc2\x85" "next line", "\xe2\x80\xae" "evil"}) {
        EXPECT_EQ(service_->save_preset(cams_[0], alice, bad).error().code,
                  core::ErrorCode::kInvalidArgument)
            << bad;
    }
    ASSERT_TRUE(service_->save_preset(cams_[0], alice, "Été – porte"));
    ASSERT_TRUE(service_->remove_preset(cams_[0], alice, "Été – porte"));
    EXPECT_EQ(service_->save_preset(cams_[0], alice, std::string(65, 'x')).error().code,
              core::ErrorCode::kInvalidArgument);
    for (int i = 1; i < kMaxPresets; ++i) {
        clock_.advance(1s);
        ASSERT_TRUE(service_->save_preset(cams_[0], alice, "p" + std::to_string(i)));
    }
    clock_.advance(1s);
    EXPECT_EQ(service_->save_preset(cams_[0], alice, "one too many").error().code,
              core::ErrorCode::kResourceExhausted);
    clock_.advance(1s);
    ASSERT_TRUE(service_->save_preset(cams_[0], alice, "Door"));  // replacing is fine
    ASSERT_TRUE(service_->remove_preset(cams_[0], alice, "Door"));
    EXPECT_EQ(service_->presets(cams_[0])->size(), static_cast<std::size_t>(kMaxPresets - 1));
}

TEST_F(PtzServiceTest, DetachEndsTheHoldAndTheCameraCannotBeSteered) {
    const auto alice = person("alice", 1);
    ASSERT_TRUE(service_->command(cams_[0], alice, absolute(0, 0, 0)));
    service_->detach(cams_[0]);
    EXPECT_NE(log_.back().find("camera stopped"), std::string::npos);
    EXPECT_FALSE(service_->capabilities(cams_[0]));
    EXPECT_EQ(service_->command(cams_[0], alice, absolute(0, 0, 0)).error().code,
              core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hearth::ptz
