// `hearth setup`, `hearth user add|list|passwd|remove` and `hearth sessions`: accounts
// for a hub without a browser. They work on the data directory directly (whoever can
// read it is already trusted with it), and every change goes to the audit log as the
// Unix user. The owner is still created only with the hub's one-time setup code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace hearth::app {

struct AccountCommands {
    CLI::App* setup = nullptr;
    CLI::App* user_add = nullptr;
    CLI::App* user_list = nullptr;
    CLI::App* user_passwd = nullptr;
    CLI::App* user_remove = nullptr;
    CLI::App* sessions = nullptr;

    std::string code;
    std::string name;
    std::string role = "member";
    std::vector<std::string> rights;  // "all=live,recordings", "3=ptz"
    bool passphrase_stdin = false;
    std::string user_filter;
    std::int64_t revoke = 0;
};

// Registers the commands; `add_common` adds --config/--data-dir/--log-level to each.
void add_account_commands(CLI::App& cli, AccountCommands& c,
                          const std::function<void(CLI::App*)>& add_common);

// Runs whichever of them was parsed; nullopt when none was.
std::optional<int> run_account_commands(const AccountCommands& c, const core::Config& config);

}  // namespace hearth::app
