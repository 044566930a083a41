#include "connectors/webhook/webhook_connector.h"

#include <chrono>

#include "connectors/http_client.h"
#include "connectors/settings.h"
#include "connectors/webhook/signature.h"

namespace journeyd {

std::optional<WebhookConfig> parseWebhookConfig(const YAML::Node& settings,
                                                ConnectorConfigContext& ctx) {
  SettingsReader reader(settings, ctx,
                        {"url", "secret", "secret_file", "timeout", "connect_timeout", "verify_tls",
                         "ca_file", "headers"});
  WebhookConfig config;
  if (auto url = reader.string("url", true)) {
    if (!parseHttpUrl(*url)) {
      reader.error("url",
                   "'url' must be an http:// or https:// URL with a host, not '" + *url + "'");
    }
    config.url = *url;
  }
  if (auto secret = reader.secret("secret", true)) {
    auto key = decodeWebhookSecret(*secret);
    const std::string where = reader.has("secret_file") ? "secret_file" : "secret";
    if (!key) {
      reader.error(where, "'secret' must be written whsec_ followed by base64 (Standard Webhooks)");
    } else {
      config.signing_key = std::move(*key);
    }
  }
  config.timeout = reader.duration("timeout", config.timeout);
  config.connect_timeout = reader.duration("connect_timeout", config.connect_timeout);
  config.verify_tls = reader.boolean("verify_tls", true);
  if (!config.verify_tls) {
    reader.warning("verify_tls", "TLS certificate verification is off; use only for testing");
  }
  config.ca_file = reader.readableFile("ca_file").value_or("");
  config.headers = reader.stringMap("headers");
  if (!reader.ok()) return std::nullopt;
  return config;
}

struct WebhookConnector::Impl {
  explicit Impl(WebhookConfig c)
      : config(std::move(c)), url(*parseHttpUrl(config.url)), pool([this] {
          return makeHttpClient({url.origin, config.timeout, config.connect_timeout,
                                 config.verify_tls, config.ca_file});
        }) {}
  WebhookConfig config;
  HttpUrl url;
  ClientPool<httplib::Client> pool;
};

WebhookConnector::WebhookConnector(WebhookConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

WebhookConnector::~WebhookConnector() = default;

SendResult WebhookConnector::send(const OutboundMessage& message) {
  const long long timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::string& body = message.body.empty() ? std::string("{}") : message.body;
  httplib::Headers headers{
      {"webhook-id", message.id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature", signWebhook(impl_->config.signing_key, message.id, timestamp, body)},
      {"User-Agent", "journeyd/" JOURNEYD_VERSION},
  };
  for (const auto& [name, value] : impl_->config.headers) headers.emplace(name, value);
  return postAndMap(impl_->pool, impl_->url.path, headers, body, "application/json",
                    [](const std::string&) { return std::string{}; });
}

void registerWebhook(ConnectorRegistry& registry) {
  registry.add(
      "webhook",
      [](const YAML::Node& settings, ConnectorConfigContext& ctx) -> std::unique_ptr<Connector> {
        auto config = parseWebhookConfig(settings, ctx);
        if (!config) return nullptr;
        return std::make_unique<WebhookConnector>(std::move(*config));
      });
}

}  // namespace journeyd
