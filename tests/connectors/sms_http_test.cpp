#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "connectors/sms_http/sms_http_connector.h"
#include "http_sink.h"

using namespace journeyd;
using namespace journeyd::test;
using Status = SendResult::Status;

namespace {

std::unique_ptr<SmsHttpConnector> makeSms(const std::string& yaml, Diagnostics& diagnostics) {
  ConnectorConfigContext ctx{"sms", "journeyd.yaml", &diagnostics};
  auto config = parseSmsHttpConfig(YAML::Load(yaml), ctx);
  if (!config) return nullptr;
  return std::make_unique<SmsHttpConnector>(std::move(*config));
}

OutboundMessage sms(const std::string& id, const std::string& to = "+15557654321") {
  OutboundMessage m{id, "sms", to};
  m.body = "您的验证码是 1234 & more: 100% \"free\"";
  return m;
}

}  // namespace

TEST_CASE("sms_http speaks Twilio's Messages API: form fields, Basic auth, sid, idempotency key") {
  std::mutex mutex;
  std::vector<httplib::Request> requests;
  HttpSink sink;
  sink.server.Post("/2010-04-01/Accounts/AC1/Messages.json", [&](const httplib::Request& req,
                                                                 httplib::Response& res) {
    {
      std::lock_guard lock(mutex);
      requests.push_back(req);
    }
    // "AC1:tok-secret" in base64
    if (req.get_header_value("Authorization") != "Basic QUMxOnRvay1zZWNyZXQ=") {
      res.status = 401;
      res.set_content(R"({"code":20003,"message":"Authenticate","status":401})",
                      "application/json");
      return;
    }
    const std::string to = req.get_param_value("To");
    if (to == "+15550000429") {
      res.status = 429;
      res.set_header("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT");
      return;
    }
    if (to == "+15550000503") {
      res.status = 503;
      res.set_header("Retry-After", "3");
      return;
    }
    if (to == "bogus") {
      res.status = 400;
      res.set_content(
          R"({"code":21211,"message":"The 'To' number bogus is not a valid phone number.","status":400})",
          "application/json");
      return;
    }
    res.status = 201;
    res.set_content(
        R"({"sid":"SM)" + req.get_header_value("Idempotency-Key") + R"(","status":"queued"})",
        "application/json");
  });
  sink.start();
  ::setenv("JD_TEST_TWILIO_TOKEN", "tok-secret", 1);
  Diagnostics diagnostics;
  auto connector =
      makeSms("{url: '" + sink.url("/2010-04-01/Accounts/AC1/Messages.json") +
                  "', format: twilio, account_sid: AC1, auth_token: '${JD_TEST_TWILIO_TOKEN}', "
                  "from: '+15550001111'}",
              diagnostics);
  REQUIRE(connector);
  CHECK(connector->kind() == MessageKind::kSms);

  auto result = connector->send(sms("m-1"));
  INFO(result.reason);
  REQUIRE(result.status == Status::kSent);
  CHECK(result.provider_id == "SMm-1");
  {
    std::lock_guard lock(mutex);
    REQUIRE(requests.size() == 1);
    const auto& req = requests[0];
    CHECK(req.get_param_value("To") == "+15557654321");
    CHECK(req.get_param_value("From") == "+15550001111");
    CHECK(req.get_param_value("Body") == sms("x").body);
    CHECK(req.get_header_value("Idempotency-Key") == "m-1");
    CHECK(req.get_header_value("Content-Type") == "application/x-www-form-urlencoded");
  }

  auto limited = connector->send(sms("m-2", "+15550000429"));
  CHECK(limited.status == Status::kRetry);
  CHECK(limited.retry_after > 365LL * kDayMs);
  auto unavailable = connector->send(sms("m-3", "+15550000503"));
  CHECK(unavailable.status == Status::kRetry);
  CHECK(unavailable.retry_after == 3000);
  auto bad = connector->send(sms("m-4", "bogus"));
  CHECK(bad.status == Status::kFailed);
  CHECK(bad.reason == "HTTP 400: The 'To' number bogus is not a valid phone number.");

  auto wrong_token = makeSms("{url: '" + sink.url("/2010-04-01/Accounts/AC1/Messages.json") +
                                 "', account_sid: AC1, auth_token: nope, from: '+15550001111'}",
                             diagnostics);
  REQUIRE(wrong_token);
  auto denied = wrong_token->send(sms("m-5"));
  CHECK(denied.status == Status::kFailed);
  CHECK(denied.reason == "HTTP 401: Authenticate");
  CHECK(denied.reason.find("nope") == std::string::npos);
}

TEST_CASE("sms_http posts a JSON body template with escaped values and reads the provider id") {
  std::mutex mutex;
  std::vector<httplib::Request> requests;
  HttpSink sink;
  sink.server.Post("/v1/sms", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    requests.push_back(req);
    res.status = 200;
    res.set_content(R"({"data":{"messages":[{"id":"prov-77"}]}})", "application/json");
  });
  sink.start();
  ::setenv("JD_TEST_SMS_KEY", "key-123", 1);
  Diagnostics diagnostics;
  auto connector = makeSms(R"({url: ')" + sink.url("/v1/sms") + R"(', format: json, from: Shop,
      body_template: '{"to": "{{to}}", "sender": "{{from}}", "text": "{{body}}", "ref": "{{ id }}"}',
      id_field: data.messages.0.id, headers: {Authorization: 'Bearer ${JD_TEST_SMS_KEY}'}})",
                           diagnostics);
  INFO(diagnostics.format());
  REQUIRE(connector);
  auto result = connector->send(sms("j-1"));
  INFO(result.reason);
  REQUIRE(result.status == Status::kSent);
  CHECK(result.provider_id == "prov-77");
  std::lock_guard lock(mutex);
  REQUIRE(requests.size() == 1);
  auto json = nlohmann::json::parse(requests[0].body);
  CHECK(json["to"] == "+15557654321");
  CHECK(json["sender"] == "Shop");
  CHECK(json["text"] == sms("x").body);
  CHECK(json["ref"] == "j-1");
  CHECK(requests[0].get_header_value("Authorization") == "Bearer key-123");
  CHECK(requests[0].get_header_value("Idempotency-Key") == "j-1");
  CHECK(requests[0].get_header_value("Content-Type") == "application/json");
}

TEST_CASE("sms_http retries when the provider cannot be reached") {
  HttpSink sink;
  sink.start();
  const std::string url = sink.url("/x");
  sink.server.stop();
  Diagnostics diagnostics;
  auto connector = makeSms(
      "{url: '" + url + "', account_sid: AC1, auth_token: t, from: '+1555', connect_timeout: 1s}",
      diagnostics);
  REQUIRE(connector);
  CHECK(connector->send(sms("d-1")).status == Status::kRetry);
}
