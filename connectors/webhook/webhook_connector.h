#pragma once
/// The webhook connector: POSTs a message's JSON body to a URL, signed per Standard Webhooks.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.h"

namespace journeyd {

/// Settings of a webhook channel, parsed and validated once.
struct WebhookConfig {
  std::string url;          ///< http(s) endpoint; required
  std::string signing_key;  ///< decoded from `secret: whsec_...`; required; never logged
  DurationMs timeout = 10 * kSecondMs;         ///< read/write timeout per request
  DurationMs connect_timeout = 5 * kSecondMs;  ///< TCP/TLS connect timeout
  bool verify_tls = true;                      ///< verify the server certificate for https
  std::string ca_file;                         ///< CA bundle for https; system default when empty
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers
};

/// Parses a webhook channel's settings; nullopt (with diagnostics) when they are wrong.
std::optional<WebhookConfig> parseWebhookConfig(const YAML::Node& settings,
                                                ConnectorConfigContext& ctx);

/// Sends signed webhooks over a pool of keep-alive HTTP clients (one per sending thread).
class WebhookConnector final : public Connector {
 public:
  explicit WebhookConnector(WebhookConfig config);
  ~WebhookConnector() override;
  SendResult send(const OutboundMessage& message) override;
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kWebhook; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Registers the `webhook` connector type.
void registerWebhook(ConnectorRegistry& registry);

}  // namespace journeyd
