// Login throttling that stops a cracking tool yet never locks the owner out
// (OWASP "Slow down online guessing attacks with device cookies").
//
// A login from an unknown device is admitted only when both its account key and
// its client-address key allow it: a few free attempts, then one attempt at a time
// after an exponentially growing pause (capped). A device that logged in before
// presents a signed device cookie for that account; it is judged on its own key
// only, so attacks from elsewhere never slow it down. Admission reserves the
// attempt before the password is checked, so a burst of parallel guesses cannot
// all slip through before the first failure is counted.
//
// Thread-safety: every method is safe from any thread (one mutex; no I/O inside).
//
// Example:
//     auto ticket = throttle.admit({.account = "alice", .address = ip, .device = nonce});
//     if (!ticket.admitted) { return too_many(ticket.retry_after_us); }
//     const bool ok = verify(...);              // Argon2id, only for admitted attempts
//     auto outcome = throttle.finish(ticket, ok);
//     if (outcome.burst) { notify_owner(ip); }
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "crypto/secret.h"

namespace hearth::auth {

struct ThrottlePolicy {
    int account_free = 3;   // failures from unknown devices before an account slows down
    int address_free = 10;  // failures from one address (a household shares one) before it does
    int device_free = 5;    // failures with a valid device cookie before that device does
    std::int64_t first_delay_us = 2'000'000;
    std::int64_t max_delay_us = 15LL * 60 * 1'000'000;
    std::int64_t forget_after_us = 3600LL * 1'000'000;  // a quiet key starts afresh
    std::size_t max_keys = 20'000;                      // memory bound under a flood
};

class LoginThrottle {
public:
    struct Keys {
        std::string account;  // lower-case user name, whether or not it exists
        std::string address;  // client IP
        std::string device;   // device id from a valid device cookie for this account, or empty
    };
    struct Ticket {
        bool admitted = false;
        std::int64_t retry_after_us = 0;  // when refused: how long until a try may pass
        Keys keys;
    };
    struct Outcome {
        bool burst = false;  // this failure began a throttled period (notify the owner)
        std::string burst_key;  // "account alice" / "address 192.0.2.1" / "device ..."
    };

    LoginThrottle(const core::Clock& clock, ThrottlePolicy policy = {})
        : clock_(clock), policy_(policy) {}

    Ticket admit(Keys keys);
    // Every admitted ticket must be finished (or released) exactly once.
    Outcome finish(const Ticket& ticket, bool success);
    // Ends an attempt that proved nothing either way (a right passphrase still waiting for its
    // second factor): counts neither as a failure nor as a success that would clear the keys.
    void release(const Ticket& ticket);
    // The pause the account's unknown devices face now (0: none); for tests and metrics.
    std::int64_t account_delay_us(const std::string& account);

private:
    struct State {
        int failures = 0;
        int in_flight = 0;
        std::int64_t next_allowed_us = 0;
        std::int64_t last_us = 0;
    };
    enum class Kind : std::uint8_t { kAccount, kAddress, kDevice };
    enum class Result : std::uint8_t { kSuccess, kFailure, kNeutral };
    int free_attempts(Kind kind) const;
    std::string map_key(Kind kind, const std::string& key) const;
    // 0 when `key` may try now, otherwise the wait. Caller holds mu_.
    std::int64_t wait_for(Kind kind, const std::string& key, std::int64_t now);
    void reserve(Kind kind, const std::string& key, std::int64_t now);
    bool record(Kind kind, const std::string& key, Result result, std::int64_t now);
    void sweep(std::int64_t now);

    const core::Clock& clock_;
    const ThrottlePolicy policy_;
    std::mutex mu_;
    std::unordered_map<std::string, State> states_;  // GUARDED_BY(mu_)
};

// Signs and checks device cookies: "<device id>.<HMAC(key, account|device id)>".
// The key lives in guarded memory; a cookie is valid only for the account it was
// issued to.
class DeviceCookies {
public:
    explicit DeviceCookies(crypto::SecretBytes key) : key_(std::move(key)) {}
    std::string issue(std::string_view account) const;
    // The device id when `cookie` is a valid one for `account`.
    std::optional<std::string> verify(std::string_view cookie, std::string_view account) const;

private:
    crypto::SecretBytes key_;
};

}  // namespace hearth::auth
