// `hearth recover`, `hearth recordings verify|export|delete`, `hearth factory-reset`: the
// household key and the recordings from the command line. Reading recordings proves a
// passphrase (or the recovery key) first; every export and deletion goes to the audit log.
// Deleting destroys keys before files (crypto-shredding) and needs no passphrase: whoever
// runs commands on the hub's data directory can delete it anyway.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/config.h"

namespace hearth::app {

struct RecordingCommands {
    CLI::App* recover = nullptr;
    CLI::App* verify = nullptr;
    CLI::App* export_range = nullptr;
    CLI::App* remove = nullptr;
    CLI::App* factory_reset = nullptr;

    std::string user;
    bool stdin_secrets = false;  // passphrase (and recovery words) as lines on standard input
    std::string camera;
    std::string start;
    std::string end;
    std::string out;
    bool all = false;
    bool yes = false;  // confirmed on the command line: no question asked
};

void add_recording_commands(CLI::App& cli, RecordingCommands& c,
                            const std::function<void(CLI::App*)>& add_common);
std::optional<int> run_recording_commands(const RecordingCommands& c, const core::Config& config);

}  // namespace hearth::app
