#include "auth/throttle.h"

#include <gtest/gtest.h>

#include <chrono>

namespace hearth::auth {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1'700'000'000LL * 1'000'000;

struct ThrottleTest : ::testing::Test {
    core::FakeClock clock{kT0};
    LoginThrottle throttle{clock};

    // One failed attempt from an unknown device; true when it was admitted.
    bool fail_once(const std::string& account, const std::string& address) {
        auto t = throttle.admit({account, address, {}});
        if (!t.admitted) {
            return false;
        }
        throttle.finish(t, false);
        return true;
    }
};

TEST_F(ThrottleTest, ThreeFreeFailuresThenExponentialPauses) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(fail_once("alice", "192.0.2.1")) << i;
    }
    // Now paused 2 s, then 4 s, 8 s ...
    std::int64_t pause_s = 2;
    for (int round = 0; round < 5; ++round) {
        EXPECT_FALSE(fail_once("alice", "192.0.2.1"));
        clock.advance(std::chrono::seconds(pause_s) - 1ms);
        EXPECT_FALSE(fail_once("alice", "192.0.2.1"));
        clock.advance(1ms);
        EXPECT_TRUE(fail_once("alice", "192.0.2.1")) << "round " << round;
        pause_s *= 2;
    }
}

TEST_F(ThrottleTest, PausesAreCapped) {
    for (int i = 0; i < 40; ++i) {
        clock.advance(16min);
        EXPECT_TRUE(fail_once("alice", "192.0.2." + std::to_string(i))) << i;
    }
    EXPECT_LE(throttle.account_delay_us("alice"), 15LL * 60 * 1'000'000);
}

TEST_F(ThrottleTest, ParallelGuessesCannotSlipPastTheFreeAttempts) {
    // Twenty attempts arrive before any has finished: only three may be evaluated.
    std::vector<LoginThrottle::Ticket> tickets;
    int admitted = 0;
    for (int i = 0; i < 20; ++i) {
        tickets.push_back(throttle.admit({"alice", "192.0.2.1", {}}));
        admitted += tickets.back().admitted ? 1 : 0;
    }
    EXPECT_EQ(admitted, 3);
    for (auto& t : tickets) {
        throttle.finish(t, false);
    }
}

TEST_F(ThrottleTest, TheAttackersAddressIsSlowedAcrossAccounts) {
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(fail_once("user" + std::to_string(i), "198.51.100.9")) << i;
    }
    EXPECT_FALSE(fail_once("someone-else", "198.51.100.9"));
    EXPECT_TRUE(fail_once("someone-else", "198.51.100.10"));
}

TEST_F(ThrottleTest, AKnownDeviceIsNotSlowedByAnAttackOnItsAccount) {
    for (int i = 0; i < 50; ++i) {
        (void)fail_once("alice", "198.51.100.9");
        clock.advance(100ms);
    }
    EXPECT_GT(throttle.account_delay_us("alice"), 0);
    auto t = throttle.admit({"alice", "198.51.100.9", "device-1"});
    ASSERT_TRUE(t.admitted);
    throttle.finish(t, true);
    // An unknown device, even the owner's own address, still waits.
    EXPECT_FALSE(throttle.admit({"alice", "192.0.2.44", {}}).admitted);
}

TEST_F(ThrottleTest, AStolenDeviceCookieGetsOnlyAFewGuesses) {
    int admitted = 0;
    for (int i = 0; i < 20; ++i) {
        auto t = throttle.admit({"alice", "198.51.100.9", "device-1"});
        if (t.admitted) {
            ++admitted;
            throttle.finish(t, false);
        }
    }
    EXPECT_EQ(admitted, 5);
}

TEST_F(ThrottleTest, ABurstIsReportedOnceWhenThePauseBegins) {
    int bursts = 0;
    for (int i = 0; i < 12; ++i) {
        auto t = throttle.admit({"alice", "198.51.100.9", {}});
        if (t.admitted) {
            bursts += throttle.finish(t, false).burst ? 1 : 0;
        }
        clock.advance(16min);  // past the longest pause: every attempt is evaluated
    }
    EXPECT_EQ(bursts, 2);  // once for the account, once for the address
}

TEST_F(ThrottleTest, SuccessClearsTheAccountAndQuietKeysAreForgotten) {
    for (int i = 0; i < 3; ++i) {
        fail_once("alice", "192.0.2.1");
    }
    clock.advance(2s);
    auto t = throttle.admit({"alice", "192.0.2.1", {}});
    ASSERT_TRUE(t.admitted);
    throttle.finish(t, true);
    EXPECT_EQ(throttle.account_delay_us("alice"), 0);
    for (int i = 0; i < 5; ++i) {
        fail_once("bob", "192.0.2.2");
    }
    clock.advance(61min);
    EXPECT_TRUE(fail_once("bob", "192.0.2.2"));
}

TEST(DeviceCookies, ValidOnlyForTheAccountItWasIssuedTo) {
    auto key = crypto::SecretBytes::random(32);
    ASSERT_TRUE(key);
    DeviceCookies cookies(std::move(*key));
    const auto cookie = cookies.issue("alice");
    const auto device = cookies.verify(cookie, "alice");
    ASSERT_TRUE(device);
    EXPECT_EQ(cookie.substr(0, device->size()), *device);
    EXPECT_FALSE(cookies.verify(cookie, "bob"));
    std::string forged = cookie;
    forged.back() = forged.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(cookies.verify(forged, "alice"));
    EXPECT_FALSE(cookies.verify("", "alice"));
    EXPECT_FALSE(cookies.verify("no-dot", "alice"));
    EXPECT_FALSE(cookies.verify(std::string(500, 'a') + ".b", "alice"));
    auto other_key = crypto::SecretBytes::random(32);
    DeviceCookies other(std::move(*other_key));
    EXPECT_FALSE(other.verify(cookie, "alice"));
}

}  // namespace
}  // namespace hearth::auth
