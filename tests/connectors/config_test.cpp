#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "connectors/connector.h"

using namespace journeyd;

namespace {

/// Builds the channel `name` of a `channels:` document with the registered factory.
std::pair<bool, std::string> build(const std::string& yaml) {
  ConnectorRegistry registry;
  registerBuiltinConnectors(registry);
  YAML::Node root = YAML::Load(yaml);
  YAML::Node channel = root["channels"].begin()->second;
  Diagnostics diagnostics;
  ConnectorConfigContext ctx{root["channels"].begin()->first.Scalar(), "journeyd.yaml",
                             &diagnostics};
  const auto* factory = registry.find(channel["connector"].Scalar());
  REQUIRE(factory != nullptr);
  auto connector = (*factory)(channel, ctx);
  CHECK((connector == nullptr) == diagnostics.hasErrors());
  return {connector != nullptr, diagnostics.format()};
}

}  // namespace

TEST_CASE("the builtin connector types are registered once each") {
  ConnectorRegistry registry;
  registerBuiltinConnectors(registry);
  CHECK(registry.names() ==
        std::vector<std::string>{"log", "plugin", "sms_http", "smtp", "webhook"});
  CHECK_FALSE(registry.add("smtp", nullptr));
}

TEST_CASE("good channel settings build connectors without diagnostics") {
  const char* docs[] = {
      "channels:\n  email: {connector: smtp, url: 'smtp://127.0.0.1:2525', tls: starttls, "
      "username: u,"
      " password: p, from: 'Shop <news@shop.example>', timeout: 10s, rate_limit: 100/s, "
      "max_attempts: 5}",
      "channels:\n  email: {connector: smtps, url: 'smtps://mail.example:465', from: a@b.example}",
      "channels:\n  partner: {connector: webhook, url: 'https://hooks.example/x',"
      " secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, timeout: 5s, concurrency: 4}",
      "channels:\n  sms: {connector: sms_http, url: 'http://127.0.0.1:9000/M.json', account_sid: "
      "AC1,"
      " auth_token: t, from: '+15550001111'}",
      "channels:\n  outbox: {connector: log, path: var/messages.ndjson, kind: sms, max_age: 2d}",
  };
  for (const char* doc : docs) {
    CAPTURE(doc);
    std::string text(doc);
    if (text.find("smtps,") != std::string::npos) text.replace(text.find("smtps,"), 6, "smtp,");
    auto [built, diagnostics] = build(text);
    CHECK(built);
    CHECK(diagnostics == "");
  }
}

TEST_CASE("bad channel settings are reported with file, line, column and a hint") {
  ::unsetenv("JD_TEST_UNSET_VARIABLE");
  struct Row {
    const char* yaml;
    const char* want;
  };
  const Row rows[] = {
      {"channels:\n  email:\n    connector: smtp\n    url: smtp://127.0.0.1:2525\n    from: "
       "a@b.example\n"
       "    usernme: u\n",
       "journeyd.yaml:6:5: error: channel 'email': unknown setting 'usernme'; did you mean "
       "'username'?\n"},
      {"channels:\n  email:\n    connector: smtp\n    from: a@b.example\n",
       "journeyd.yaml:3:5: error: channel 'email': missing required setting 'url'\n"},
      {"channels:\n  email: {connector: smtp, url: 'smtp://h', from: a@b.example, timeout: ten}\n",
       "journeyd.yaml:2:73: error: channel 'email': 'timeout' must be a positive duration like 10s "
       "or "
       "500ms, not 'ten'\n"},
      {"channels:\n  email: {connector: smtp, url: 'smtp://h', from: a@b.example, tls: starttsl}\n",
       "journeyd.yaml:2:69: error: channel 'email': 'tls' must be one of starttls, none, not "
       "'starttsl'; "
       "did you mean 'starttls'?\n"},
      {"channels:\n  email: {connector: smtp, url: 'http://h', from: a@b.example}\n",
       "journeyd.yaml:2:33: error: channel 'email': 'url' must start with smtp:// or smtps://, not "
       "'http://h'\n"},
      {"channels:\n  email: {connector: smtp, url: 'smtp://h', from: 'Shop news'}\n",
       "journeyd.yaml:2:51: error: channel 'email': 'from' must be an address like 'Shop "
       "<news@shop.example>', not 'Shop news'\n"},
      {"channels:\n  email: {connector: smtp, url: 'smtp://h', from: a@b.example, username: u,"
       " password: '${JD_TEST_UNSET_VARIABLE}'}\n",
       "journeyd.yaml:2:87: error: channel 'email': environment variable 'JD_TEST_UNSET_VARIABLE' "
       "for "
       "'password' is not set\n"},
      {"channels:\n  email: {connector: smtp, url: 'smtp://h', from: a@b.example, username: u,"
       " password: x, password_file: /nonexistent}\n",
       "journeyd.yaml:2:105: error: channel 'email': give either 'password' or 'password_file', "
       "not both\n"},
      {"channels:\n  email: {connector: smtp, url: 'smtp://h', from: a@b.example, username: u}\n",
       "journeyd.yaml:2:74: error: channel 'email': 'username' needs 'password' or "
       "'password_file'\n"},
      {"channels:\n  partner:\n    connector: webhook\n    url: https://x.example/h\n"
       "    secret: sk_live_TOPSECRET\n",
       "journeyd.yaml:5:13: error: channel 'partner': 'secret' must be written whsec_ followed by "
       "base64 "
       "(Standard Webhooks)\n"},
      {"channels:\n  partner:\n    connector: webhook\n    secret: "
       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
       "    timeout: 0s\n",
       "journeyd.yaml:3:5: error: channel 'partner': missing required setting 'url'\n"
       "journeyd.yaml:5:14: error: channel 'partner': 'timeout' must be a positive duration like "
       "10s or "
       "500ms, not '0s'\n"},
      {"channels:\n  partner: {connector: webhook, url: 'ftp://x', secret: "
       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,"
       " verify_tls: nope, headers: [a]}\n",
       "journeyd.yaml:2:38: error: channel 'partner': 'url' must be an http:// or https:// URL "
       "with a "
       "host, not 'ftp://x'\n"
       "journeyd.yaml:2:109: error: channel 'partner': 'verify_tls' must be true or false, not "
       "'nope'\n"
       "journeyd.yaml:2:124: error: channel 'partner': 'headers' must be a map of name: value\n"},
      {"channels:\n  sms:\n    connector: sms_http\n    url: http://127.0.0.1:9000/M.json\n    "
       "from: '+1555'\n",
       "journeyd.yaml:3:5: error: channel 'sms': missing required setting 'account_sid'\n"
       "journeyd.yaml:3:5: error: channel 'sms': missing required setting 'auth_token' (or "
       "'auth_token_file')\n"},
      {"channels:\n  sms:\n    connector: sms_http\n    url: http://127.0.0.1:9000/send\n    "
       "format: json\n"
       "    body_template: '{\"to\": \"{{to}}\", \"text\": \"{{bdy}}\"}'\n",
       "journeyd.yaml:6:20: error: channel 'sms': unknown placeholder '{{bdy}}' in "
       "'body_template'; did "
       "you mean '{{body}}'?\n"},
      {"channels:\n  sms:\n    connector: sms_http\n    url: http://127.0.0.1:9000/send\n    "
       "format: json\n"
       "    body_template: '{\"to\": {{to}}}'\n",
       "journeyd.yaml:6:20: error: channel 'sms': 'body_template' is not valid JSON once filled "
       "in\n"},
      {"channels:\n  sms: {connector: sms_http, url: 'http://h/x', format: jsn, from: x}\n",
       "journeyd.yaml:2:57: error: channel 'sms': 'format' must be one of twilio, json, not 'jsn'; "
       "did "
       "you mean 'json'?\n"},
      {"channels:\n  sms: {connector: sms_http, url: 'http://h/x', account_sid: A, auth_token: t, "
       "from: x, error_code_field: code, bounce_codes: 21211}\n",
       "journeyd.yaml:2:107: error: channel 'sms': 'error_code_field' applies to format: json "
       "only\n"
       "journeyd.yaml:2:127: error: channel 'sms': 'bounce_codes' must be a list of values like "
       "[a, b]\n"},
      {"channels:\n  sms: {connector: sms_http, url: 'http://h/x', account_sid: A, auth_token: t, "
       "from: x, bounce_codes: [21211, [1]]}\n",
       "journeyd.yaml:2:111: error: channel 'sms': 'bounce_codes' entries must be single values\n"},
      {"channels:\n  outbox: {connector: log, kind: mail}\n",
       "journeyd.yaml:2:11: error: channel 'outbox': missing required setting 'path'\n"
       "journeyd.yaml:2:34: error: channel 'outbox': 'kind' must be one of email, sms, webhook, "
       "not "
       "'mail'; did you mean 'email'?\n"},
      {"channels:\n  outbox: {connector: log, path: x.ndjson, pth: y}\n",
       "journeyd.yaml:2:44: error: channel 'outbox': unknown setting 'pth'; did you mean "
       "'path'?\n"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.yaml);
    auto [built, diagnostics] = build(row.yaml);
    CHECK_FALSE(built);
    CHECK(diagnostics == row.want);
    CHECK(diagnostics.find("TOPSECRET") == std::string::npos);
  }
}

TEST_CASE("turning TLS verification off is allowed with a warning") {
  auto [built, diagnostics] = build(
      "channels:\n  partner: {connector: webhook, url: 'https://x.example/h',"
      " secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, verify_tls: false}\n");
  CHECK(built);
  CHECK(diagnostics ==
        "journeyd.yaml:2:121: warning: channel 'partner': TLS certificate verification is off; use "
        "only "
        "for testing\n");
}
