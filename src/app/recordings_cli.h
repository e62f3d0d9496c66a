// `hearth recover`, `hearth recordings verify|export`: the household key from the command
// line. Recordings are encrypted, so each command proves a passphrase (or the recovery key)
// first; every export goes to the audit log.
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

    std::string user;
    bool stdin_secrets = false;  // passphrase (and recovery words) as lines on standard input
    std::string camera;
    std::string start;
    std::string end;
    std::string out;
};

void add_recording_commands(CLI::App& cli, RecordingCommands& c,
                            const std::function<void(CLI::App*)>& add_common);
std::optional<int> run_recording_commands(const RecordingCommands& c, const core::Config& config);

}  // namespace hearth::app
