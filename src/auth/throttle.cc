#include "auth/throttle.h"

#include <algorithm>
#include <vector>

namespace hearth::auth {

int LoginThrottle::free_attempts(Kind kind) const {
    switch (kind) {
        case Kind::kAccount: return policy_.account_free;
        case Kind::kAddress: return policy_.address_free;
        case Kind::kDevice: return policy_.device_free;
    }
    return 0;
}

std::string LoginThrottle::map_key(Kind kind, const std::string& key) const {
    switch (kind) {
        case Kind::kAccount: return "account " + key;
        case Kind::kAddress: return "address " + key;
        case Kind::kDevice: return "device " + key;
    }
    return key;
}

std::int64_t LoginThrottle::wait_for(Kind kind, const std::string& key, std::int64_t now) {
    const auto it = states_.find(map_key(kind, key));
    if (it == states_.end()) {
        return 0;
    }
    State& s = it->second;
    if (s.in_flight == 0 && now - s.last_us > policy_.forget_after_us) {
        states_.erase(it);
        return 0;
    }
    if (s.failures + s.in_flight < free_attempts(kind)) {
        return 0;
    }
    // Throttled: one attempt at a time, and only once the pause is over.
    if (s.in_flight > 0) {
        return std::max<std::int64_t>(s.next_allowed_us - now, policy_.first_delay_us);
    }
    return std::max<std::int64_t>(s.next_allowed_us - now, 0);
}

void LoginThrottle::reserve(Kind kind, const std::string& key, std::int64_t now) {
    State& s = states_[map_key(kind, key)];
    ++s.in_flight;
    s.last_us = now;
}

bool LoginThrottle::record(Kind kind, const std::string& key, Result result, std::int64_t now) {
    const auto it = states_.find(map_key(kind, key));
    if (it == states_.end()) {
        return false;
    }
    State& s = it->second;
    s.in_flight = std::max(0, s.in_flight - 1);
    if (result == Result::kNeutral) {
        return false;
    }
    if (result == Result::kSuccess) {
        if (s.in_flight == 0) {
            states_.erase(it);
        } else {
            s.failures = 0;
        }
        return false;
    }
    ++s.failures;
    s.last_us = now;
    const int over = s.failures - free_attempts(kind);
    if (over >= 0) {
        const int shift = std::min(over, 30);
        const std::int64_t delay =
            std::min(policy_.max_delay_us, policy_.first_delay_us << shift);
        s.next_allowed_us = now + delay;
    }
    return over == 0;
}

void LoginThrottle::sweep(std::int64_t now) {
    for (auto it = states_.begin(); it != states_.end();) {
        if (it->second.in_flight == 0 && now - it->second.last_us > policy_.forget_after_us) {
            it = states_.erase(it);
        } else {
            ++it;
        }
    }
    if (states_.size() < policy_.max_keys) {
        return;
    }
    // Still full of live keys: forget the quietest half. An attacker gains little,
    // because the address keys of a flood are among the newest and stay.
    std::vector<std::pair<std::int64_t, std::string>> by_age;
    by_age.reserve(states_.size());
    for (const auto& [key, s] : states_) {
        if (s.in_flight == 0) {
            by_age.emplace_back(s.last_us, key);
        }
    }
    std::sort(by_age.begin(), by_age.end());
    for (std::size_t i = 0; i < by_age.size() / 2; ++i) {
        states_.erase(by_age[i].second);
    }
}

LoginThrottle::Ticket LoginThrottle::admit(Keys keys) {
    const std::int64_t now = clock_.now_us();
    std::lock_guard lock(mu_);
    if (states_.size() >= policy_.max_keys) {
        sweep(now);
    }
    Ticket t;
    if (!keys.device.empty()) {
        t.retry_after_us = wait_for(Kind::kDevice, keys.device, now);
        if (t.retry_after_us == 0) {
            reserve(Kind::kDevice, keys.device, now);
            t.admitted = true;
        }
    } else {
        t.retry_after_us = std::max(wait_for(Kind::kAccount, keys.account, now),
                                    wait_for(Kind::kAddress, keys.address, now));
        if (t.retry_after_us == 0) {
            reserve(Kind::kAccount, keys.account, now);
            reserve(Kind::kAddress, keys.address, now);
            t.admitted = true;
        }
    }
    t.keys = std::move(keys);
    return t;
}

LoginThrottle::Outcome LoginThrottle::finish(const Ticket& t, bool success) {
    Outcome out;
    if (!t.admitted) {
        return out;
    }
    const std::int64_t now = clock_.now_us();
    std::lock_guard lock(mu_);
    const Result result = success ? Result::kSuccess : Result::kFailure;
    if (!t.keys.device.empty()) {
        if (record(Kind::kDevice, t.keys.device, result, now)) {
            out.burst = true;
            out.burst_key = map_key(Kind::kDevice, t.keys.device);
        }
        return out;
    }
    if (record(Kind::kAccount, t.keys.account, result, now)) {
        out.burst = true;
        out.burst_key = map_key(Kind::kAccount, t.keys.account);
    }
    // One success says nothing about the other guesses from that address: it stays counted.
    if (record(Kind::kAddress, t.keys.address, success ? Result::kNeutral : result, now) &&
        !out.burst) {
        out.burst = true;
        out.burst_key = map_key(Kind::kAddress, t.keys.address);
    }
    return out;
}

void LoginThrottle::release(const Ticket& t) {
    if (!t.admitted) {
        return;
    }
    const std::int64_t now = clock_.now_us();
    std::lock_guard lock(mu_);
    if (!t.keys.device.empty()) {
        record(Kind::kDevice, t.keys.device, Result::kNeutral, now);
        return;
    }
    record(Kind::kAccount, t.keys.account, Result::kNeutral, now);
    record(Kind::kAddress, t.keys.address, Result::kNeutral, now);
}

std::int64_t LoginThrottle::account_delay_us(const std::string& account) {
    std::lock_guard lock(mu_);
    return wait_for(Kind::kAccount, account, clock_.now_us());
}

std::string DeviceCookies::issue(std::string_view account) const {
    const std::string device = crypto::random_token_base64url(16);
    return device + "." +
           crypto::hmac_sha256_base64url(key_, std::string(account) + "|" + device);
}

std::optional<std::string> DeviceCookies::verify(std::string_view cookie,
                                                 std::string_view account) const {
    const auto dot = cookie.find('.');
    if (dot == std::string_view::npos || dot == 0 || cookie.size() > 128) {
        return std::nullopt;
    }
    const std::string device(cookie.substr(0, dot));
    const std::string expected =
        crypto::hmac_sha256_base64url(key_, std::string(account) + "|" + device);
    if (!crypto::constant_time_equal(expected, cookie.substr(dot + 1))) {
        return std::nullopt;
    }
    return device;
}

}  // namespace hearth::auth
