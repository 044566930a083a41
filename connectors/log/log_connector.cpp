#include "connectors/log/log_connector.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "connectors/settings.h"

namespace journeyd {

std::optional<LogConfig> parseLogConfig(const YAML::Node& settings, ConnectorConfigContext& ctx) {
  SettingsReader reader(settings, ctx, {"path", "kind"});
  LogConfig config;
  config.path = reader.string("path", true).value_or("");
  if (reader.has("path") && config.path.empty()) reader.error("path", "'path' must not be empty");
  std::string kind = reader.choice("kind", {"email", "sms", "webhook"}, "email");
  config.kind = kind == "sms"       ? MessageKind::kSms
                : kind == "webhook" ? MessageKind::kWebhook
                                    : MessageKind::kEmail;
  if (!reader.ok()) return std::nullopt;
  return config;
}

LogConnector::LogConnector(LogConfig config) : config_(std::move(config)) {}

LogConnector::~LogConnector() {
  if (file_ != nullptr) std::fclose(file_);
}

SendResult LogConnector::send(const OutboundMessage& message) {
  nlohmann::ordered_json line;
  line["id"] = message.id;
  line["channel"] = message.channel;
  line["to"] = message.to;
  if (config_.kind == MessageKind::kEmail) {
    line["subject"] = message.subject;
    line["html"] = message.html;
    line["text"] = message.text;
  } else {
    line["body"] = message.body;
  }
  auto headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : message.headers) headers[name] = value;
  line["headers"] = std::move(headers);
  line["metadata"] = message.metadata;
  line["created_at"] = formatIsoTime(message.created_at);
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";

  std::lock_guard lock(mutex_);
  if (file_ == nullptr) {
    std::error_code ec;
    auto parent = std::filesystem::path(config_.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    file_ = std::fopen(config_.path.c_str(), "a");
    if (file_ == nullptr) {
      return SendResult::retry("cannot open " + config_.path + ": " + std::strerror(errno));
    }
  }
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    std::string reason = "cannot write " + config_.path + ": " + std::strerror(errno);
    std::fclose(file_);
    file_ = nullptr;
    return SendResult::retry(std::move(reason));
  }
  return SendResult::sent(message.id);
}

void registerLog(ConnectorRegistry& registry) {
  registry.add(
      "log",
      [](const YAML::Node& settings, ConnectorConfigContext& ctx) -> std::unique_ptr<Connector> {
        auto config = parseLogConfig(settings, ctx);
        if (!config) return nullptr;
        return std::make_unique<LogConnector>(std::move(*config));
      });
}

}  // namespace journeyd
