#pragma once
/// The log connector: appends each message as one JSON line to a local file, so a development
/// daemon (`make run`) sends nothing off the machine. Also the smallest example of a connector.
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "connectors/connector.h"

namespace journeyd {

/// Settings of a log channel, parsed and validated once.
struct LogConfig {
  std::string path;                        ///< file to append to; parents created; required
  MessageKind kind = MessageKind::kEmail;  ///< which rendered parts the channel carries
};

/// Parses a log channel's settings; nullopt (with diagnostics) when they are wrong.
std::optional<LogConfig> parseLogConfig(const YAML::Node& settings, ConnectorConfigContext& ctx);

/// Appends messages as NDJSON; one mutex serializes the writes; the file opens on first send.
class LogConnector final : public Connector {
 public:
  explicit LogConnector(LogConfig config);
  ~LogConnector() override;
  SendResult send(const OutboundMessage& message) override;
  [[nodiscard]] MessageKind kind() const override { return config_.kind; }

 private:
  const LogConfig config_;
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

/// Registers the `log` connector type.
void registerLog(ConnectorRegistry& registry);

}  // namespace journeyd
