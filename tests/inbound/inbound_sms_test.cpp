// Inbound SMS replies (STOP / 退订 / START) posted to the real daemon over sockets the way the SMS
// provider's webhook posts them: a form body signed Twilio-style with the auth token. The
// signature function is pinned to Twilio's published example in tests/delivery; here it plays
// the provider.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <functional>
#include <memory>

#include "daemon/delivery/twilio_signature.h"
#include "tests/integration/daemon_process.h"

using namespace journeyd;
using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

constexpr const char* kToken = "provider-auth-token";
// The public URL the provider was given, not the test's 127.0.0.1 address: behind a proxy the
// signature covers what the provider called.
constexpr const char* kUrl = "https://news.example.com/v1/inbound/sms";
constexpr const char* kPhone = "+8613800000011";

// A journey that texts on every "Ping", one that texts a receipt (transactional: no marketing
// rules), and one that waits a day before texting unless the customer withdrew SMS consent.
constexpr const char* kPingJourney = R"(journey: sms-ping
trigger:
  event: Ping
entry:
  reentry: always
steps:
  - send: ping
    channel: sms
    template: t/ping
)";
constexpr const char* kReceiptJourney = R"(journey: sms-receipt
trigger:
  event: Receipt
entry:
  reentry: always
steps:
  - send: receipt
    channel: sms
    template: t/ping
    category: transactional
)";
constexpr const char* kDripJourney = R"(journey: sms-drip
trigger:
  event: Drip
exit_when: customer.traits.consent.sms == false
steps:
  - wait: 1d
  - send: drip
    channel: sms
    template: t/ping
)";

/// application/x-www-form-urlencoded, written here rather than taken from the server's library.
std::string formEncode(const FormParams& form) {
  std::string out;
  for (const auto& [key, value] : form) {
    if (!out.empty()) out += '&';
    for (const std::string* part : {&key, &value}) {
      for (unsigned char c : *part) {
        if (std::isalnum(c) || std::strchr("-_.~", c)) {
          out += static_cast<char>(c);
        } else if (c == ' ') {
          out += '+';
        } else {
          char buf[4];
          std::snprintf(buf, sizeof buf, "%%%02X", c);
          out += buf;
        }
      }
      if (part == &key) out += '=';
    }
  }
  return out;
}

FormParams sms(const std::string& from, const std::string& body) {
  return {{"MessageSid", "SM" + std::to_string(std::hash<std::string>()(from + body))},
          {"AccountSid", "AC0123456789"},
          {"From", from},
          {"To", "+8610690000"},
          {"Body", body},
          {"NumMedia", "0"}};
}

struct InboundDaemon {
  TempDir tmp;
  std::unique_ptr<Daemon> d;

  explicit InboundDaemon(bool configured = true, const std::string& extra_config = {},
                         const std::vector<std::string>& args = {}) {
    const fs::path dir = tmp.path();
    writeFile(dir / "journeys" / "ping.yaml", kPingJourney);
    writeFile(dir / "journeys" / "receipt.yaml", kReceiptJourney);
    writeFile(dir / "journeys" / "drip.yaml", kDripJourney);
    writeFile(dir / "templates" / "t" / "ping.yaml",
              "channel: sms\nlocales:\n  en:\n    body: Ping. Reply STOP to opt out\n");
    writeFile(dir / "twilio-token", std::string(kToken) + "\n");
    std::string config =
        "journeys: journeys\ntemplates: templates\nchannels:\n  sms: {connector: log, kind: sms, "
        "path: " +
        (dir / "sms.ndjson").string() + "}\n";
    if (configured)
      config += "inbound_sms:\n  auth_token_file: twilio-token\n  url: " + std::string(kUrl) + "\n";
    d = std::make_unique<Daemon>(dir, config + extra_config);
    REQUIRE(d->start(args));
  }

  /// Posts the form with this X-Twilio-Signature (none when empty).
  httplib::Result post(const FormParams& form, const std::string& signature) {
    httplib::Headers headers;
    if (!signature.empty()) headers.emplace("X-Twilio-Signature", signature);
    return d->client().Post("/v1/inbound/sms", headers, formEncode(form),
                            "application/x-www-form-urlencoded");
  }
  /// A text from `from`, signed as the provider signs it.
  void reply(const std::string& from, const std::string& body) {
    const FormParams form = sms(from, body);
    auto r = post(form, twilioSignature(kToken, kUrl, form));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/xml");
    CHECK(r->body == R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)");
  }
  void send(const char* path, const json& body) {
    auto r = d->post(path, body.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  json suppressions() {
    auto r = d->get("/v1/suppressions");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["suppressions"];
  }
  json customer(const std::string& id) {
    auto c = d->customer(id);
    REQUIRE(c);
    return *c;
  }
  /// The SMS consent trait: true, false or null when never set.
  json smsConsent(const std::string& id) {
    const json traits = customer(id)["traits"];
    return traits.contains("consent") ? traits["consent"].value("sms", json()) : json();
  }
  json event(const std::string& id, const std::string& name) {
    const json profile = customer(id);
    for (const auto& e : profile["events"]) {
      if (e.value("event", "") == name) return e;
    }
    return json();
  }
  /// Sends the event and returns the message its journey recorded (queued or skipped).
  json text(const std::string& id, const char* event = "Ping") {
    const size_t before = customer(id)["messages"].size();
    send("/v1/track", {{"userId", id}, {"event", event}});
    const json messages = customer(id)["messages"];
    REQUIRE(messages.size() == before + 1);
    return messages[0];  // newest first
  }
  std::uint64_t metric(const std::string& name) {
    auto r = d->get("/metrics");
    REQUIRE(r);
    const auto at = r->body.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stoull(r->body.substr(at + name.size() + 2));
  }
};

void checkNothingChanged(InboundDaemon& in, const std::string& id) {
  CHECK(in.suppressions().empty());
  CHECK(in.smsConsent(id).is_null());
  CHECK(in.event(id, "Unsubscribed").is_null());
}

}  // namespace

TEST_CASE(
    "a signed STOP suppresses the number, withdraws SMS consent and is recorded; START lifts it") {
  InboundDaemon in;
  in.send("/v1/identify", {{"userId", "sms-1"}, {"traits", {{"phone", "+86 138-0000-0011"}}}});
  in.send("/v1/track", {{"userId", "sms-1"}, {"event", "Drip"}});
  CHECK(in.text("sms-1")["status"] != "skipped");  // texted before the reply

  in.reply(kPhone, "STOP");
  const json listed = in.suppressions();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["channel"] == "sms");
  CHECK(listed[0]["address"] == kPhone);
  CHECK(listed[0]["reason"] == "STOP reply");
  CHECK(in.smsConsent("sms-1") == false);
  const json unsubscribed = in.event("sms-1", "Unsubscribed");
  REQUIRE(unsubscribed.is_object());
  CHECK(unsubscribed["type"] == "track");
  CHECK(unsubscribed["properties"] ==
        json{{"channel", "sms"}, {"via", "sms reply"}, {"keyword", "STOP"}});
  // Journeys react at once: the drip waiting out its day ends on its exit_when.
  bool exited = false;
  const json profile = in.customer("sms-1");
  for (const auto& e : profile["enrollments"]) {
    if (e["journey"] == "sms-drip")
      exited = e["status"] == "exited" && e["exit_reason"] == "exit_when";
  }
  CHECK(exited);

  // Nothing reaches the number, not even a transactional text (US carriers require that of STOP).
  for (const char* event : {"Ping", "Receipt"}) {
    CAPTURE(event);
    const json skipped = in.text("sms-1", event);
    CHECK(skipped["status"] == "skipped");
    CHECK(skipped["reason"] == "suppressed: STOP reply");
  }
  // Consent given again by other means (a form, an import) does not reach a number that texted
  // STOP: only the number's own START does.
  in.send("/v1/identify", {{"userId", "sms-1"}, {"traits", {{"consent", {{"sms", true}}}}}});
  CHECK(in.text("sms-1")["reason"] == "suppressed: STOP reply");

  in.reply(kPhone, "START");
  CHECK(in.suppressions().empty());
  CHECK(in.smsConsent("sms-1") == true);
  const json subscribed = in.event("sms-1", "Subscribed");
  REQUIRE(subscribed.is_object());
  CHECK(subscribed["properties"]["keyword"] == "START");
  CHECK(in.text("sms-1")["status"] != "skipped");

  // The provider retries the old STOP (same MessageSid) after the START: nothing changes.
  in.reply(kPhone, "STOP");
  CHECK(in.suppressions().empty());
  CHECK(in.smsConsent("sms-1") == true);

  CHECK(in.metric("journeyd_inbound_sms_accepted_total") == 3);
  CHECK(in.metric("journeyd_inbound_sms_refused_total") == 0);
  CHECK(in.d->log().find(kToken) == std::string::npos);
}

TEST_CASE("the whole message is the keyword, in any case and spacing, 退订 and TD included") {
  InboundDaemon in;
  // A number no customer has yet: it is suppressed all the same, for whoever gets it later.
  const std::string stranger = "+8613900000022";
  const std::vector<std::string> stops = {"STOP",        " stop\n", "Stop", "退订",
                                          " 退订 ",      "td",      "T",    "STOPALL",
                                          "unsubscribe", "Cancel",  "END",  "quit"};
  const std::vector<std::string> starts = {"START", "unstop", "Yes"};
  for (size_t i = 0; i < stops.size(); ++i) {
    CAPTURE(stops[i]);
    in.reply(stranger, stops[i]);
    json listed = in.suppressions();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["address"] == stranger);
    in.reply(stranger, starts[i % starts.size()]);
    CHECK(in.suppressions().empty());
  }
  for (const char* other : {"please stop texting me", "STOP.", "stopp", "10", ""}) {
    CAPTURE(other);
    in.reply(stranger, other);
    CHECK(in.suppressions().empty());
  }

  // START lifts only what STOP put there: an admin's suppression of the number stays.
  auto c = in.d->client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/suppressions",
                 json{{"channel", "sms"}, {"address", stranger}, {"reason", "manual"}}.dump(),
                 "application/json")
              ->status == 200);
  in.reply(stranger, "STOP");
  in.reply(stranger, "START");
  const json listed = in.suppressions();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["reason"] == "manual");
}

TEST_CASE("unsigned or wrongly signed posts are refused with 403 and change nothing") {
  InboundDaemon in;
  in.send("/v1/identify", {{"userId", "sms-2"}, {"traits", {{"phone", kPhone}}}});
  const FormParams stop = sms(kPhone, "STOP");
  auto refused = [&](const FormParams& form, const std::string& signature, const char* why) {
    CAPTURE(why);
    auto r = in.post(form, signature);
    REQUIRE(r);
    CHECK(r->status == 403);
    const json error = json::parse(r->body)["error"];
    CHECK(error["code"] == "forbidden");
    CHECK(error["message"].get<std::string>().find(why) != std::string::npos);
  };

  refused(stop, "", "no X-Twilio-Signature");
  refused(stop, twilioSignature("someone-elses-token", kUrl, stop), "does not match");
  // A genuine signature of one message does not carry another Body, an added field or another URL.
  refused(stop, twilioSignature(kToken, kUrl, sms(kPhone, "Hello")), "does not match");
  FormParams more = stop;
  more.emplace_back("OptOutType", "STOP");
  refused(more, twilioSignature(kToken, kUrl, stop), "does not match");
  refused(stop, twilioSignature(kToken, "https://elsewhere.example.com/v1/inbound/sms", stop),
          "does not match");
  // An API key is no substitute for the provider's signature.
  auto c = in.d->client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  auto keyed = c.Post("/v1/inbound/sms", formEncode(stop), "application/x-www-form-urlencoded");
  REQUIRE(keyed);
  CHECK(keyed->status == 403);

  checkNothingChanged(in, "sms-2");
  CHECK(in.metric("journeyd_inbound_sms_refused_total") == 6);
  CHECK(in.metric("journeyd_inbound_sms_accepted_total") == 0);
  const std::string log = in.d->log();
  CHECK(log.find("msg=\"inbound sms refused\" reason=\"X-Twilio-Signature does not match\"") !=
        std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
}

TEST_CASE("a signed post without a valid From is refused with 400 naming the field") {
  InboundDaemon in;
  in.send("/v1/identify", {{"userId", "sms-3"}, {"traits", {{"phone", kPhone}}}});
  for (const char* from :
       {"not-a-number", "+86 138 0000 0011 ext 2", "whatsapp:+8613800000011", "12", ""}) {
    CAPTURE(from);
    const FormParams form = sms(from, "STOP");
    auto r = in.post(form, twilioSignature(kToken, kUrl, form));
    REQUIRE(r);
    CHECK(r->status == 400);
    const json error = json::parse(r->body)["error"];
    CHECK(error["code"] == "invalid_argument");
    CHECK(error["field"] == "From");
  }
  const FormParams no_from = {{"MessageSid", "SM1"}, {"Body", "STOP"}};
  auto r = in.post(no_from, twilioSignature(kToken, kUrl, no_from));
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(json::parse(r->body)["error"]["message"] == "From is required");
  checkNothingChanged(in, "sms-3");
}

TEST_CASE("without inbound_sms in the config the endpoint answers 404") {
  InboundDaemon in(false);
  const FormParams form = sms(kPhone, "STOP");
  auto r = in.post(form, twilioSignature(kToken, kUrl, form));
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(json::parse(r->body)["error"]["code"] == "not_found");
  CHECK(in.suppressions().empty());
}

TEST_CASE(
    "an SMS held by quiet hours is not sent after a STOP reply: withdrawn at claim, with the "
    "reason") {
  InboundDaemon in(
      true,
      "policy:\n  timezone: Asia/Shanghai\n  quiet_hours: {start: \"21:00\", end: \"08:00\"}\n",
      {"--virtual-clock", "2026-03-02T14:00:00Z"});  // 22:00 in Shanghai
  in.send("/v1/identify", {{"userId", "sms-q"}, {"traits", {{"phone", kPhone}}}});
  const json held = in.text("sms-q");
  CHECK(held["status"] == "pending");
  CHECK(held["reason"].get<std::string>().rfind("quiet hours: deferred to", 0) == 0);
  in.reply(kPhone, "STOP");
  auto c = in.d->client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "10h"})", "application/json")->status == 200);
  json message;
  for (int i = 0; i < 500; ++i) {
    message = in.customer("sms-q")["messages"][0];
    if (message["status"] != "pending") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(message["status"] == "skipped");
  CHECK(message["reason"] == "withdrawn: suppressed: STOP reply");
  CHECK(readAll(in.tmp.path() / "sms.ndjson").empty());
  CHECK(in.metric("journeyd_messages_withdrawn_total") == 1);
}
