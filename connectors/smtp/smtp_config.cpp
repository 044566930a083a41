#include "connectors/settings.h"
#include "connectors/smtp/smtp_connector.h"

namespace journeyd {

std::optional<SmtpConfig> parseSmtpConfig(const YAML::Node& settings, ConnectorConfigContext& ctx) {
  SettingsReader reader(settings, ctx,
                        {"url", "tls", "username", "password", "password_file", "from", "reply_to",
                         "verify_tls", "ca_file", "timeout", "connect_timeout"});
  SmtpConfig config;
  if (auto url = reader.string("url", true)) {
    config.url = *url;
    const bool smtp = url->rfind("smtp://", 0) == 0;
    const bool smtps = url->rfind("smtps://", 0) == 0;
    if (!smtp && !smtps) {
      reader.error("url", "'url' must start with smtp:// or smtps://, not '" + *url + "'");
    } else if (url->size() <= (smtp ? 7u : 8u) || url->find('@') != std::string::npos) {
      reader.error("url", "'url' must name a host (put credentials in username/password)");
    }
    if (smtps) {
      config.tls = SmtpConfig::Tls::kImplicit;
      if (reader.has("tls"))
        reader.error("tls", "'tls' does not apply to smtps:// (always implicit TLS)");
    } else {
      config.tls = reader.choice("tls", {"starttls", "none"}, "starttls") == "none"
                       ? SmtpConfig::Tls::kNone
                       : SmtpConfig::Tls::kStartTls;
    }
  }
  config.username = reader.string("username", std::string{});
  if (auto password = reader.secret("password")) config.password = std::move(*password);
  if (!config.username.empty() && !reader.has("password") && !reader.has("password_file")) {
    reader.error("username", "'username' needs 'password' or 'password_file'");
  }
  if (config.username.empty() && (reader.has("password") || reader.has("password_file"))) {
    reader.error(reader.has("password") ? "password" : "password_file",
                 "a password needs 'username'");
  }
  if (!config.username.empty() && config.tls == SmtpConfig::Tls::kNone) {
    reader.warning("tls", "'tls: none' sends the password unencrypted");
  }
  if (auto from = reader.string("from", true)) {
    if (auto mailbox = parseMailbox(*from)) {
      config.from = *mailbox;
    } else {
      reader.error(
          "from", "'from' must be an address like 'Shop <news@shop.example>', not '" + *from + "'");
    }
  }
  if (auto reply_to = reader.string("reply_to")) {
    if (parseMailbox(*reply_to)) {
      config.reply_to = *reply_to;
    } else {
      reader.error("reply_to", "'reply_to' must be an address, not '" + *reply_to + "'");
    }
  }
  config.verify_tls = reader.boolean("verify_tls", true);
  if (!config.verify_tls)
    reader.warning("verify_tls", "TLS certificate verification is off; use only for testing");
  config.ca_file = reader.readableFile("ca_file").value_or("");
  config.timeout = reader.duration("timeout", config.timeout);
  config.connect_timeout = reader.duration("connect_timeout", config.connect_timeout);
  if (!reader.ok()) return std::nullopt;
  return config;
}

}  // namespace journeyd
