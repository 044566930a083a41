#pragma once
/// The smtp connector: email over real SMTP through libcurl (STARTTLS or implicit TLS, AUTH),
/// with messages built here as RFC 5322 / MIME multipart/alternative.
#include <memory>
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "connectors/smtp/mime.h"

namespace journeyd {

/// Settings of an smtp channel, parsed and validated once.
struct SmtpConfig {
  enum class Tls { kStartTls, kNone, kImplicit };
  std::string url;           ///< smtp://host:port or smtps://host:port; required
  Tls tls = Tls::kStartTls;  ///< smtp://: starttls (required, default) or none; smtps:// implicit
  std::string username;      ///< AUTH user; no AUTH when empty
  std::string password;      ///< AUTH password (password, password_file or ${ENV}); never logged
  Mailbox from;              ///< From header and envelope sender; required
  std::string reply_to;      ///< optional Reply-To header
  bool verify_tls = true;    ///< verify the server certificate
  std::string ca_file;       ///< CA bundle to verify with; system default when empty
  DurationMs timeout = 30 * kSecondMs;          ///< whole SMTP transaction
  DurationMs connect_timeout = 10 * kSecondMs;  ///< TCP + TLS connect
};

/// Parses an smtp channel's settings; nullopt (with diagnostics) when they are wrong.
std::optional<SmtpConfig> parseSmtpConfig(const YAML::Node& settings, ConnectorConfigContext& ctx);

/// Sends email over a pool of CURL handles (one per sending thread), so consecutive sends from
/// a thread reuse its open SMTP connection.
class SmtpConnector final : public Connector {
 public:
  explicit SmtpConnector(SmtpConfig config);
  ~SmtpConnector() override;
  SendResult send(const OutboundMessage& message) override;
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kEmail; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Registers the `smtp` connector type.
void registerSmtp(ConnectorRegistry& registry);

}  // namespace journeyd
