#include "connectors/sms_http/sms_http_connector.h"

#include <nlohmann/json.hpp>

#include "connectors/http_client.h"
#include "connectors/settings.h"

namespace journeyd {

namespace {

const std::vector<std::string> kPlaceholders = {"to", "from", "body", "id"};
/// Twilio's error codes for a To number that cannot take messages:
/// https://www.twilio.com/docs/api/errors/21211, /21614, /21610.
const std::vector<std::string> kTwilioBounceCodes = {"21211", "21614", "21610"};

std::string jsonEscaped(const std::string& text) {
  std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

std::string formEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// The value at a dotted path (`data.0.id`) of a JSON answer, as text; empty when absent.
std::string fieldAt(const std::string& body, const std::string& path) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return {};
  const nlohmann::json* node = &json;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (node->is_object() && node->contains(part)) {
      node = &(*node)[part];
    } else if (node->is_array() && !part.empty() &&
               part.find_first_not_of("0123456789") == std::string::npos &&
               std::stoul(part) < node->size()) {
      node = &(*node)[std::stoul(part)];
    } else {
      return {};
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number()) return node->dump();
  return {};
}

}  // namespace

std::string fillJsonTemplate(const std::string& body_template, const OutboundMessage& message,
                             const std::string& from) {
  std::string out;
  size_t i = 0;
  while (i < body_template.size()) {
    size_t open = body_template.find("{{", i);
    if (open == std::string::npos) break;
    size_t close = body_template.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(body_template, i, open - i);
    std::string name = body_template.substr(open + 2, close - open - 2);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name == "to")
      out += jsonEscaped(message.to);
    else if (name == "from")
      out += jsonEscaped(from);
    else if (name == "body")
      out += jsonEscaped(message.body);
    else if (name == "id")
      out += jsonEscaped(message.id);
    i = close + 2;
  }
  out.append(body_template, i, std::string::npos);
  return out;
}

std::optional<SmsHttpConfig> parseSmsHttpConfig(const YAML::Node& settings,
                                                ConnectorConfigContext& ctx) {
  SettingsReader reader(settings, ctx,
                        {"url", "format", "from", "account_sid", "auth_token", "auth_token_file",
                         "body_template", "id_field", "bounce_codes", "error_code_field", "headers",
                         "timeout", "connect_timeout", "verify_tls", "ca_file"});
  SmsHttpConfig config;
  if (auto url = reader.string("url", true)) {
    if (!parseHttpUrl(*url)) {
      reader.error("url",
                   "'url' must be an http:// or https:// URL with a host, not '" + *url + "'");
    }
    config.url = *url;
  }
  const std::string format = reader.choice("format", {"twilio", "json"}, "");
  const bool twilio = format == "twilio" || !reader.has("format");
  config.format = twilio ? SmsHttpConfig::Format::kTwilio : SmsHttpConfig::Format::kJson;
  config.from = reader.string("from", twilio).value_or("");
  if (format.empty() && reader.has("format")) {
    // a misspelt format: its own diagnostic says enough
  } else if (twilio) {
    config.account_sid = reader.string("account_sid", true).value_or("");
    config.auth_token = reader.secret("auth_token", true).value_or("");
    for (const char* key : {"body_template", "id_field", "error_code_field"}) {
      if (reader.has(key))
        reader.error(key, std::string("'") + key + "' applies to format: json only");
    }
  } else {
    for (const char* key : {"account_sid", "auth_token", "auth_token_file"}) {
      if (reader.has(key))
        reader.error(key, std::string("'") + key + "' applies to format: twilio only");
    }
    config.body_template = reader.string("body_template", true).value_or("");
    config.id_field = reader.string("id_field", std::string("id"));
    config.error_code_field = reader.string("error_code_field", config.error_code_field);
    if (!config.body_template.empty()) {
      for (size_t open = config.body_template.find("{{"); open != std::string::npos;
           open = config.body_template.find("{{", open + 2)) {
        size_t close = config.body_template.find("}}", open);
        std::string name = close == std::string::npos
                               ? ""
                               : config.body_template.substr(open + 2, close - open - 2);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
          std::string hint = closestMatch(name, kPlaceholders);
          reader.error("body_template",
                       "unknown placeholder '{{" + name + "}}' in 'body_template'" +
                           (hint.empty() ? "" : "; did you mean '{{" + hint + "}}'?"));
        }
      }
      OutboundMessage sample{"id", "", "+15550000000"};
      sample.body = "text";
      if (nlohmann::json::parse(fillJsonTemplate(config.body_template, sample, "from"), nullptr,
                                false)
              .is_discarded()) {
        reader.error("body_template", "'body_template' is not valid JSON once filled in");
      }
    }
  }
  config.bounce_codes =
      reader.stringList("bounce_codes", twilio ? kTwilioBounceCodes : std::vector<std::string>{});
  config.headers = reader.stringMap("headers");
  config.timeout = reader.duration("timeout", config.timeout);
  config.connect_timeout = reader.duration("connect_timeout", config.connect_timeout);
  config.verify_tls = reader.boolean("verify_tls", true);
  if (!config.verify_tls)
    reader.warning("verify_tls", "TLS certificate verification is off; use only for testing");
  config.ca_file = reader.readableFile("ca_file").value_or("");
  if (!reader.ok()) return std::nullopt;
  return config;
}

struct SmsHttpConnector::Impl {
  explicit Impl(SmsHttpConfig c)
      : config(std::move(c)), url(*parseHttpUrl(config.url)), pool([this] {
          auto client = makeHttpClient({url.origin, config.timeout, config.connect_timeout,
                                        config.verify_tls, config.ca_file});
          if (config.format == SmsHttpConfig::Format::kTwilio) {
            client->set_basic_auth(config.account_sid, config.auth_token);
          }
          return client;
        }) {}
  SmsHttpConfig config;
  HttpUrl url;
  ClientPool<httplib::Client> pool;
};

SmsHttpConnector::SmsHttpConnector(SmsHttpConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

SmsHttpConnector::~SmsHttpConnector() = default;

SendResult SmsHttpConnector::send(const OutboundMessage& message) {
  const SmsHttpConfig& config = impl_->config;
  httplib::Headers headers{{"Idempotency-Key", message.id},
                           {"User-Agent", "journeyd/" JOURNEYD_VERSION}};
  for (const auto& [name, value] : config.headers) headers.emplace(name, value);
  auto is_bounce = [&config](const std::string& body) {
    const std::string code = fieldAt(body, config.error_code_field);
    return !code.empty() && std::find(config.bounce_codes.begin(), config.bounce_codes.end(),
                                      code) != config.bounce_codes.end();
  };
  if (config.format == SmsHttpConfig::Format::kTwilio) {
    std::string form = "To=" + formEncode(message.to) + "&From=" + formEncode(config.from) +
                       "&Body=" + formEncode(message.body);
    return postAndMap(
        impl_->pool, impl_->url.path, headers, form, "application/x-www-form-urlencoded",
        [](const std::string& body) { return fieldAt(body, "sid"); }, is_bounce);
  }
  return postAndMap(
      impl_->pool, impl_->url.path, headers,
      fillJsonTemplate(config.body_template, message, config.from), "application/json",
      [&config](const std::string& body) { return fieldAt(body, config.id_field); }, is_bounce);
}

void registerSmsHttp(ConnectorRegistry& registry) {
  registry.add(
      "sms_http",
      [](const YAML::Node& settings, ConnectorConfigContext& ctx) -> std::unique_ptr<Connector> {
        auto config = parseSmsHttpConfig(settings, ctx);
        if (!config) return nullptr;
        return std::make_unique<SmsHttpConnector>(std::move(*config));
      });
}

}  // namespace journeyd
