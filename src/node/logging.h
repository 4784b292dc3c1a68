// The one logging setup: spdlog, one line per event, "time level [logger] message", on stderr.
// Each node has its own logger (named after its node id) that shares the default sinks, so several
// nodes in one process (tests, localnet) stay apart in one stream. Thread-safe (spdlog's loggers
// are), but setup_logging() is meant to be called once, early in main().
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace synod::node {

// trace, debug, info, warn, error, off.
Result<spdlog::level::level_enum> parse_log_level(std::string_view level);

// Makes the default logger write to stderr with synod's pattern at `level`.
Status setup_logging(std::string_view level);

// A logger that shares the default logger's sinks, at `level`.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name,
                                            spdlog::level::level_enum level);

}  // namespace synod::node
