// Test support: a fresh data directory with the index, audit log and accounts opened on
// a real SQLite file, a fake clock, and cheap password hashing (the production cost is
// tested in crypto/). Header-only, shared by the auth and api unit tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "auth/accounts.h"
#include "auth/household_keys.h"

namespace hearth::testing {

inline constexpr crypto::PasswordCost kTestCost{1, 64 * 1024};

inline crypto::SecretBytes secret(std::string_view text) {
    auto s = crypto::SecretBytes::copy_of(text);
    return std::move(*s);
}

struct AccountWorld {
    std::filesystem::path dir;
    core::FakeClock clock;
    std::unique_ptr<store::Index> index;
    std::unique_ptr<store::AuditLog> audit;
    std::unique_ptr<store::AccountStore> store;
    std::unique_ptr<auth::HouseholdKeys> household;  // attached to `accounts`, as in the hub
    std::unique_ptr<auth::AccountService> accounts;

    explicit AccountWorld(core::WallMicros start_us) : clock(start_us) {
        dir = std::filesystem::temp_directory_path() /
              ("hearth-accounts-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir);
        open();
    }
    ~AccountWorld() {
        close();
        std::filesystem::remove_all(dir);
    }

    void open() {
        const auto db = dir / "hearth.db";
        auto i = store::Index::open(db);
        auto a = store::AuditLog::open(db);
        auto s = store::AccountStore::open(db);
        ASSERT_TRUE(i && a && s);
        index = std::move(*i);
        audit = std::move(*a);
        store = std::move(*s);
        auth::AccountPolicy policy;
        policy.cost = kTestCost;
        auto keys = auth::HouseholdKeys::open(*store, dir, clock, kTestCost);
        ASSERT_TRUE(keys) << keys.error().describe();
        household = std::move(*keys);
        auto service = auth::AccountService::open(*store, *audit, index.get(), clock, policy);
        ASSERT_TRUE(service) << service.error().describe();
        accounts = std::move(*service);
        accounts->attach_household_keys(household.get());
    }
    void close() {
        accounts.reset();
        household.reset();
        store.reset();
        audit.reset();
        index.reset();
    }
};

}  // namespace hearth::testing
