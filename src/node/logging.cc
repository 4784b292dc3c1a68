#include "node/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace synod::node {
namespace {

constexpr const char* kPattern = "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v";

}  // namespace

Result<spdlog::level::level_enum> parse_log_level(std::string_view level) {
  using spdlog::level::level_enum;
  if (level == "trace") return level_enum::trace;
  if (level == "debug") return level_enum::debug;
  if (level == "info") return level_enum::info;
  if (level == "warn") return level_enum::warn;
  if (level == "error") return level_enum::err;
  if (level == "off") return level_enum::off;
  return error(Code::kInvalidArgument, "log level '" + std::string(level) +
                                           "' is not one of trace, debug, info, warn, error, off");
}

Status setup_logging(std::string_view level) {
  SYNOD_ASSIGN_OR_RETURN(spdlog::level::level_enum parsed, parse_log_level(level));
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("synod", std::move(sink));
  logger->set_pattern(kPattern);
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return Status::ok();
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name,
                                            spdlog::level::level_enum level) {
  std::shared_ptr<spdlog::logger> base = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(name, base->sinks().begin(), base->sinks().end());
  logger->set_pattern(kPattern);
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace synod::node
