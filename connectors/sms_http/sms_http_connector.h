#pragma once
/// The sms_http connector: SMS through an HTTP provider API, either Twilio's Messages API
/// (`format: twilio`) or any JSON API described by a body template (`format: json`).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.h"

namespace journeyd {

/// Settings of an sms_http channel, parsed and validated once.
struct SmsHttpConfig {
  enum class Format { kTwilio, kJson };
  std::string url;                  ///< the provider's send endpoint; required
  Format format = Format::kTwilio;  ///< request shape
  std::string from;                 ///< sender number or name; required for twilio
  std::string account_sid;          ///< twilio: Basic auth user; required
  std::string auth_token;           ///< twilio: Basic auth password; required; never logged
  std::string body_template;        ///< json: request body with {{to}} {{from}} {{body}} {{id}}
  std::string id_field = "id";      ///< json: dotted path of the provider id in the answer
  /// Provider error codes that mean the number itself cannot take messages: a 4xx answer
  /// carrying one is a hard bounce. twilio default: 21211 (invalid To), 21614 (not a mobile
  /// number), 21610 (the recipient replied STOP); json default: none.
  std::vector<std::string> bounce_codes;
  std::string error_code_field = "code";  ///< dotted path of the error code in a 4xx answer
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers
  DurationMs timeout = 10 * kSecondMs;
  DurationMs connect_timeout = 5 * kSecondMs;
  bool verify_tls = true;
  std::string ca_file;
};

/// Parses an sms_http channel's settings; nullopt (with diagnostics) when they are wrong.
std::optional<SmsHttpConfig> parseSmsHttpConfig(const YAML::Node& settings,
                                                ConnectorConfigContext& ctx);

/// Fills a JSON body template; each value is JSON-escaped (without surrounding quotes).
std::string fillJsonTemplate(const std::string& body_template, const OutboundMessage& message,
                             const std::string& from);

/// Sends SMS over a pool of keep-alive HTTP clients (one per sending thread).
class SmsHttpConnector final : public Connector {
 public:
  explicit SmsHttpConnector(SmsHttpConfig config);
  ~SmsHttpConnector() override;
  SendResult send(const OutboundMessage& message) override;
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kSms; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Registers the `sms_http` connector type.
void registerSmsHttp(ConnectorRegistry& registry);

}  // namespace journeyd
