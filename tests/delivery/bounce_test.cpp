#include <doctest/doctest.h>

#include "delivery_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

namespace {

/// A receiver that answers every request like Twilio refusing a message with `code`.
Receiver::Respond twilioError(int code, const std::string& message) {
  return [=](int, httplib::Response& res) {
    res.status = 400;
    res.set_content(nlohmann::json{{"code", code}, {"message", message}, {"status", 400}}.dump(),
                    "application/json");
  };
}

/// An sms_http channel (Twilio format) named `name` sending to `receiver`.
std::string smsChannel(const std::string& name, Receiver& receiver) {
  return name + ":\n  connector: sms_http\n  url: " + receiver.url() +
         "\n  account_sid: AC1\n  auth_token: t\n  from: '+15550001111'\n";
}

}  // namespace

TEST_CASE("a hard bounce fails the message and suppresses the recipient; other failures do not") {
  Outbox outbox("bounce");
  Receiver invalid_number(twilioError(21211, "The 'To' number is not a valid phone number."));
  Receiver wrong_sender(twilioError(21606, "The 'From' phone number is not SMS-capable."));
  Diagnostics diagnostics;
  auto channels = Channels::build(
      YAML::Load(smsChannel("sms", invalid_number) + smsChannel("sms-cn", wrong_sender)),
      "test.yaml", diagnostics);
  INFO(diagnostics.format());
  REQUIRE(channels);
  outbox.exec(
      "INSERT INTO suppressions (channel, address, reason, at) VALUES "
      "('sms', '+15550000002', 'manual', 1)");
  auto bounced = outbox.insert({.key = "b-1", .channel = "sms", .recipient = "+1 (555) 000-0001"});
  auto already = outbox.insert({.key = "b-2", .channel = "sms", .recipient = "+15550000002"});
  auto refused = outbox.insert({.key = "b-3", .channel = "sms-cn", .recipient = "+15550000003"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  for (auto id : {bounced, refused}) REQUIRE(outbox.waitStatus(id, "failed"));
  // Suppressed before it was claimed: withdrawn unsent, its suppression untouched.
  REQUIRE(outbox.waitStatus(already, "skipped"));
  CHECK(outbox.message(already).reason == "withdrawn: suppressed: manual");
  CHECK(outbox.message(already).attempts == 0);
  auto m = outbox.message(bounced);
  CHECK(m.attempts == 1);
  CHECK(m.reason == "HTTP 400: The 'To' number is not a valid phone number.");
  auto attempts = outbox.attempts(bounced);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].result == "failed");
  CHECK(outbox.message(refused).reason == "HTTP 400: The 'From' phone number is not SMS-capable.");
  // Written with the outcome: by the time the row reads failed, the suppression is there. The
  // normalized number is the key; an address suppressed before keeps its reason.
  CHECK(outbox.suppressions() ==
        std::map<std::string, std::string>{
            {"sms:+15550000001",
             "hard bounce: HTTP 400: The 'To' number is not a valid phone number."},
            {"sms:+15550000002", "manual"}});
}
