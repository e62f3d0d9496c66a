#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace hearth::core {

void init_logging(LogLevel level) {
    auto logger = spdlog::get("hearth");
    if (!logger) {
        logger = spdlog::stderr_color_mt("hearth");
        spdlog::set_default_logger(logger);
    }
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    switch (level) {
        case LogLevel::kTrace: spdlog::set_level(spdlog::level::trace); break;
        case LogLevel::kDebug: spdlog::set_level(spdlog::level::debug); break;
        case LogLevel::kWarn: spdlog::set_level(spdlog::level::warn); break;
        case LogLevel::kError: spdlog::set_level(spdlog::level::err); break;
        default: spdlog::set_level(spdlog::level::info); break;
    }
    spdlog::flush_on(spdlog::level::info);
}

}  // namespace hearth::core
