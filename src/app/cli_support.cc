#include "app/cli_support.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace hearth::app {

int fail(const core::Error& e) {
    std::fprintf(stderr, "hearth: %s\n", e.message.c_str());
    return e.code == core::ErrorCode::kInvalidArgument ? 2 : 1;
}

std::string cli_actor() {
    const char* user = std::getenv("USER");
    return "cli:" + std::string(user && *user ? user : std::to_string(::getuid()));
}

// One line from standard input, without echo when it is a terminal.
core::Result<crypto::SecretBytes> read_line_secret(const char* prompt) {
    const bool tty = ::isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (tty) {
        std::fprintf(stderr, "%s", prompt);
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::fprintf(stderr, "\n");
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    auto out = crypto::SecretBytes::copy_of(line);
    crypto::wipe(line);
    return out;
}

// A new passphrase: typed twice on a terminal, or one line from a pipe when the caller
// said so with --passphrase-stdin (so a stray pipe is never mistaken for a passphrase).
core::Result<crypto::SecretBytes> read_new_passphrase(bool from_pipe) {
    if (::isatty(STDIN_FILENO) == 0 && !from_pipe) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "standard input is not a terminal: pass --passphrase-stdin to "
                                "read the passphrase from it");
    }
    HEARTH_ASSIGN_OR_RETURN(auto first, read_line_secret("New passphrase: "));
    if (::isatty(STDIN_FILENO) != 0) {
        HEARTH_ASSIGN_OR_RETURN(auto again, read_line_secret("Again: "));
        if (!first.equals(again)) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "the two passphrases differ");
        }
    }
    if (first.empty()) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "no passphrase given");
    }
    return first;
}

core::Result<std::unique_ptr<Opened>> open_accounts(const core::Config& config) {
    auto o = std::make_unique<Opened>();
    o->index_dir = config.data_dir;
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    const auto db = config.data_dir / "hearth.db";
    HEARTH_ASSIGN_OR_RETURN(o->index, store::Index::open(db));
    HEARTH_ASSIGN_OR_RETURN(o->audit, store::AuditLog::open(db));
    HEARTH_ASSIGN_OR_RETURN(o->store, store::AccountStore::open(db));
    HEARTH_ASSIGN_OR_RETURN(o->household, auth::HouseholdKeys::open(*o->store, config.data_dir,
                                                                     o->clock,
                                                                     auth::AccountPolicy{}.cost));
    HEARTH_ASSIGN_OR_RETURN(o->accounts, auth::AccountService::open(*o->store, *o->audit,
                                                                    o->index.get(), o->clock));
    o->accounts->attach_household_keys(o->household.get());
    return o;
}

}  // namespace hearth::app
