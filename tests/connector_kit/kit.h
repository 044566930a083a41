#pragma once
/// What the conformance cases share: building a channel from a harness's settings the way the
/// daemon does (Channels::build on a config file's `channels:` map), and capturing every log
/// line (spdlog and the process's stderr) while a connector runs.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "daemon/delivery/channels.h"
#include "harness.h"

namespace journeyd::kit {

/// The config file name diagnostics carry.
inline const std::string kConfigFile = "kit.yaml";
/// The harness's settings sit under `channels:\n  kit:\n`, indented by four spaces.
constexpr int kLineOffset = 2;
constexpr int kColumnOffset = 4;

/// A `channels:` document with one channel named `kit` holding `settings` (YAML block lines).
inline std::string channelsDocument(const std::string& settings) {
  std::string out = "channels:\n  kit:\n";
  std::istringstream lines(settings);
  for (std::string line; std::getline(lines, line);) out += "    " + line + "\n";
  return out;
}

/// A channel built from a harness's settings; `connector` is null when the build failed.
struct BuiltChannel {
  std::shared_ptr<const Channels> channels;
  Connector* connector = nullptr;
  Diagnostics diagnostics;
};

inline std::unique_ptr<BuiltChannel> buildChannel(const std::string& settings) {
  auto built = std::make_unique<BuiltChannel>();
  YAML::Node doc = YAML::Load(channelsDocument(settings));
  built->channels = Channels::build(doc["channels"], kConfigFile, built->diagnostics);
  if (built->channels) {
    if (const DeliveryChannel* channel = built->channels->find("kit")) {
      built->connector = channel->connector;
    }
  }
  return built;
}

/// Captures what is logged while it lives: spdlog's default logger at trace level, and file
/// descriptor 2 (a plugin or a library may write to stderr directly). Not thread-safe to
/// create; what it captures may be written from any thread.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(spdlog_lines_);
    auto logger = std::make_shared<spdlog::logger>("kit", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    std::fflush(stderr);
    stderr_path_ = std::filesystem::temp_directory_path() /
                   ("jd-kit-stderr-" + std::to_string(::getpid()) + ".log");
    int fd = ::open(stderr_path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    saved_stderr_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~LogCapture() {
    stop();
    std::error_code ec;
    std::filesystem::remove(stderr_path_, ec);
  }

  /// Everything logged so far (stops the stderr capture).
  std::string text() {
    stop();
    std::ifstream in(stderr_path_);
    std::stringstream captured;
    captured << in.rdbuf();
    return spdlog_lines_.str() + captured.str();
  }

 private:
  void stop() {
    if (saved_stderr_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_stderr_, 2);
    ::close(saved_stderr_);
    saved_stderr_ = -1;
    spdlog::default_logger()->flush();
    spdlog::set_default_logger(previous_);
  }

  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream spdlog_lines_;
  std::filesystem::path stderr_path_;
  int saved_stderr_ = -1;
};

}  // namespace journeyd::kit
