#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <map>
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
  CHECK(bad.hard_bounce);

  auto wrong_token = makeSms("{url: '" + sink.url("/2010-04-01/Accounts/AC1/Messages.json") +
                                 "', account_sid: AC1, auth_token: nope, from: '+15550001111'}",
                             diagnostics);
  REQUIRE(wrong_token);
  auto denied = wrong_token->send(sms("m-5"));
  CHECK(denied.status == Status::kFailed);
  CHECK(denied.reason == "HTTP 401: Authenticate");
  CHECK_FALSE(denied.hard_bounce);
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

TEST_CASE("sms_http reports a hard bounce only for the provider's codes about the number") {
  // Twilio's answers, from https://www.twilio.com/docs/api/errors.
  const std::map<std::string, std::pair<int, std::string>> answers = {
      {"+15550021211",
       {400,
        R"({"code":21211,"message":"The 'To' number +15550021211 is not a valid phone number.","status":400})"}},
      {"+15550021614",
       {400,
        R"({"code":21614,"message":"'To' number is not a valid mobile number","status":400})"}},
      {"+15550021610",
       {400,
        R"({"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400})"}},
      {"+15550021606",
       {400,
        R"({"code":21606,"message":"The 'From' phone number provided is not a valid message-capable phone number for this destination.","status":400})"}},
      {"+15550020429", {429, R"({"code":20429,"message":"Too Many Requests","status":429})"}},
  };
  HttpSink sink;
  sink.server.Post("/Messages.json", [&](const httplib::Request& req, httplib::Response& res) {
    const auto& [status, body] = answers.at(req.get_param_value("To"));
    res.status = status;
    res.set_content(body, "application/json");
  });
  sink.start();
  Diagnostics diagnostics;
  const std::string base = "url: '" + sink.url("/Messages.json") +
                           "', account_sid: AC1, auth_token: t, from: '+15550001111'";
  auto twilio = makeSms("{" + base + "}", diagnostics);
  REQUIRE(twilio);

  for (const char* to : {"+15550021211", "+15550021614", "+15550021610"}) {
    CAPTURE(to);
    auto result = twilio->send(sms("bounce", to));
    CHECK(result.status == Status::kFailed);
    CHECK(result.hard_bounce);
  }
  // The sender's number is wrong: our configuration, not the recipient.
  auto from_wrong = twilio->send(sms("from", "+15550021606"));
  CHECK(from_wrong.status == Status::kFailed);
  CHECK_FALSE(from_wrong.hard_bounce);
  auto limited = twilio->send(sms("limited", "+15550020429"));
  CHECK(limited.status == Status::kRetry);
  CHECK_FALSE(limited.hard_bounce);

  // bounce_codes replaces the default list.
  auto only_stop = makeSms("{" + base + ", bounce_codes: [21610]}", diagnostics);
  REQUIRE(only_stop);
  CHECK(only_stop->send(sms("stop", "+15550021610")).hard_bounce);
  CHECK_FALSE(only_stop->send(sms("invalid", "+15550021211")).hard_bounce);
}

TEST_CASE("sms_http in json format bounces on the configured codes at error_code_field") {
  HttpSink sink;
  sink.server.Post("/v1/sms", [&](const httplib::Request& req, httplib::Response& res) {
    const bool empty_number = nlohmann::json::parse(req.body)["to"] == "+8613800000000";
    res.status = 400;
    res.set_content(empty_number ? R"({"error":{"code":"E_EMPTY_NUMBER","message":"空号"}})"
                                 : R"({"error":{"code":"E_SIGN","message":"bad signature"}})",
                    "application/json");
  });
  sink.start();
  Diagnostics diagnostics;
  const std::string settings = R"({url: ')" + sink.url("/v1/sms") + R"(', format: json,
      body_template: '{"to": "{{to}}", "text": "{{body}}"}', error_code_field: error.code)";
  auto without_codes = makeSms(settings + "}", diagnostics);
  REQUIRE(without_codes);
  CHECK_FALSE(without_codes->send(sms("j-1", "+8613800000000")).hard_bounce);

  auto connector = makeSms(settings + ", bounce_codes: [E_EMPTY_NUMBER]}", diagnostics);
  INFO(diagnostics.format());
  REQUIRE(connector);
  auto empty_number = connector->send(sms("j-2", "+8613800000000"));
  CHECK(empty_number.status == Status::kFailed);
  CHECK(empty_number.reason == "HTTP 400: 空号");
  CHECK(empty_number.hard_bounce);
  auto bad_signature = connector->send(sms("j-3", "+8613800000001"));
  CHECK(bad_signature.status == Status::kFailed);
  CHECK_FALSE(bad_signature.hard_bounce);
}
