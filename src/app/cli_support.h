// What the account and recording commands share: opening the data directory's accounts
// (with the household key attached, as in the hub), reading secrets from the terminal or a
// pipe, and reporting errors the same way.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "auth/accounts.h"
#include "auth/household_keys.h"
#include "core/clock.h"
#include "core/config.h"
#include "crypto/secret.h"
#include "store/accounts.h"
#include "store/audit.h"
#include "store/index.h"

namespace hearth::app {

inline const auth::Origin kLocal{"local", "hearth cli"};

// Prints "hearth: MESSAGE" to stderr; returns the exit code (2 for bad input, else 1).
int fail(const core::Error& e);
// "cli:<login name>", the audit log's actor for commands run on the hub machine.
std::string cli_actor();

// One line from standard input, without echo when it is a terminal.
core::Result<crypto::SecretBytes> read_line_secret(const char* prompt);
// A new passphrase: typed twice on a terminal, or one line from a pipe when the caller
// said so with --passphrase-stdin (so a stray pipe is never mistaken for a passphrase).
core::Result<crypto::SecretBytes> read_new_passphrase(bool from_pipe);

struct Opened {
    std::unique_ptr<store::Index> index;
    std::unique_ptr<store::AuditLog> audit;
    std::unique_ptr<store::AccountStore> store;
    std::unique_ptr<auth::HouseholdKeys> household;
    std::unique_ptr<auth::AccountService> accounts;
    core::SystemClock clock;
    std::filesystem::path index_dir;  // the data directory: segment paths are relative to it
};
core::Result<std::unique_ptr<Opened>> open_accounts(const core::Config& config);

}  // namespace hearth::app
