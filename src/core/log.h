// Structured logging on spdlog: one line per event, key=value pairs after the message.
#pragma once

#include <spdlog/spdlog.h>

#include "core/config.h"

namespace hearth::core {

// Installs the process-wide logger (stderr); safe to call more than once.
void init_logging(LogLevel level);

}  // namespace hearth::core
