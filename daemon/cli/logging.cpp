#include "daemon/cli/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace journeyd {

void setupLogging(const LogSettings& settings) {
  std::shared_ptr<spdlog::logger> logger;
  if (!settings.file.empty()) {
    try {
      auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.file);
      logger = std::make_shared<spdlog::logger>("journeyd", sink);
    } catch (const spdlog::spdlog_ex& e) {
      logger = spdlog::stderr_logger_mt("journeyd-stderr");
      logger->error("msg=\"cannot open log file\" file=\"{}\" error=\"{}\"", settings.file,
                    e.what());
    }
  } else {
    logger = std::make_shared<spdlog::logger>("journeyd",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  // The journal stamps every line itself; elsewhere lines carry a UTC timestamp.
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr && settings.file.empty();
  logger->set_pattern(journal ? "level=%l %v" : "%Y-%m-%dT%H:%M:%S.%eZ level=%l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(settings.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace journeyd
