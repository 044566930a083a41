// Automatic suppression through the real daemon: the email provider's bounce and spam reports
// arriving over /v1/track, and a journey's email refused by a real SMTP server (the aiosmtpd
// sink) with 550 5.1.1, each ending on the suppression list the admin API shows.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "../connectors/test_support.h"
#include "../integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

/// GET /v1/suppressions as "channel:address" → reason.
std::map<std::string, std::string> suppressions(const Daemon& d) {
  auto r = d.get("/v1/suppressions");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  std::map<std::string, std::string> out;
  const json listed = json::parse(r->body);
  for (const auto& s : listed["suppressions"]) {
    out[s["channel"].get<std::string>() + ":" + s["address"].get<std::string>()] =
        s["reason"].get<std::string>();
  }
  return out;
}

void post(const Daemon& d, const char* path, const json& body) {
  auto r = d.post(path, body.dump());
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

/// tests/support/smtp_sink.py on a free port of 127.0.0.1: recipients starting with 'reject'
/// get 550 5.1.1.
struct SmtpSink {
  journeyd::test::TempDir dir{"bounces-smtp"};
  journeyd::test::ChildProcess process{
      {journeyd::test::kPython, std::string(JOURNEYD_SOURCE_DIR) + "/tests/support/smtp_sink.py",
       dir.str() + "/out", "--no-save"}};
  int port = 0;

  SmtpSink() {
    auto line = process.readLine(std::chrono::seconds(20));
    REQUIRE_MESSAGE(line.has_value(), "the SMTP sink did not start");
    port = std::stoi(*line);
  }
};

}  // namespace

TEST_CASE(
    "the provider's Email Bounced and Email Marked as Spam suppress the address; a soft bounce "
    "does not") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  post(d, "/v1/identify", {{"userId", "ann"}, {"traits", {{"email", "Ann.Old@Example.com"}}}});
  post(d, "/v1/identify", {{"userId", "ann"}, {"traits", {{"email", "Ann@Example.com"}}}});
  post(d, "/v1/track",
       {{"userId", "ann"},
        {"event", "Email Bounced"},
        {"properties", {{"email_address", "ann@example.com"}, {"bounce_type", "soft"}}}});
  CHECK(suppressions(d).empty());

  post(d, "/v1/track",
       {{"userId", "ann"},
        {"event", "Email Bounced"},
        {"properties", {{"email_address", "Ann.Old@Example.com"}, {"bounce_type", "hard"}}}});
  post(d, "/v1/track",
       {{"userId", "ann"}, {"event", "Email Marked as Spam"}});  // the customer's own address
  post(d, "/v1/track",
       {{"anonymousId", "nobody"}, {"event", "Email Bounced"}});  // no address: nothing
  // Someone else's address: a write key may be public, so it cannot suppress strangers.
  post(d, "/v1/track",
       {{"userId", "ann"},
        {"event", "Email Marked as Spam"},
        {"properties", {{"email_address", "stranger@example.com"}}}});
  CHECK(suppressions(d) ==
        std::map<std::string, std::string>{{"email:ann.old@example.com", "hard bounce"},
                                           {"email:ann@example.com", "complaint"}});

  const json profile = d.customer("ann").value();
  std::multiset<std::string> events;
  for (const auto& e : profile["events"]) events.insert(e.value("event", ""));
  CHECK(events.count("Email Bounced") == 2);
  CHECK(events.count("Email Marked as Spam") == 2);
  CHECK(d.customer("anon:nobody").value()["events"][0]["event"] == "Email Bounced");

  REQUIRE(d.del("/v1/suppressions/email/ann@example.com")->status == 200);
  CHECK(suppressions(d).size() == 1);
}

TEST_CASE(
    "a journey email refused with 550 5.1.1 fails, suppresses the address, and the next one is "
    "skipped") {
  SmtpSink sink;
  TempDir tmp;
  writeFile(tmp.path() / "journeys" / "welcome.yaml", R"(journey: welcome
trigger:
  event: Signed Up
entry:
  reentry: always
steps:
  - send: hello
    channel: email
    template: t/hello
)");
  writeFile(tmp.path() / "templates" / "t" / "hello.yaml",
            "channel: email\nlocales:\n  en:\n    subject: Hello\n    html: <p>Hello</p>\n");
  Daemon d(tmp.path(),
           "journeys: journeys\ntemplates: templates\nchannels:\n"
           "  email: {connector: smtp, url: 'smtp://127.0.0.1:" +
               std::to_string(sink.port) + "', tls: none, from: news@shop.example}\n");
  REQUIRE(d.start());
  post(d, "/v1/identify", {{"userId", "bob"}, {"traits", {{"email", "reject-bob@example.com"}}}});
  post(d, "/v1/track", {{"userId", "bob"}, {"event", "Signed Up"}});

  auto messages = [&] { return d.customer("bob").value()["messages"]; };
  const bool failed = journeyd::test::waitFor(
      [&] { return messages().size() == 1 && messages()[0]["status"] == "failed"; },
      std::chrono::seconds(20));
  INFO(messages().dump());
  REQUIRE(failed);
  CHECK(messages()[0]["reason"] == "SMTP 550 5.1.1 No such user here");
  CHECK(suppressions(d) ==
        std::map<std::string, std::string>{
            {"email:reject-bob@example.com", "hard bounce: SMTP 550 5.1.1 No such user here"}});

  post(d, "/v1/track", {{"userId", "bob"}, {"event", "Signed Up"}});
  auto all = messages();
  REQUIRE(all.size() == 2);
  json second = all[0]["status"] == "failed" ? all[1] : all[0];
  CHECK(second["status"] == "skipped");
  CHECK(second["reason"] == "suppressed: hard bounce: SMTP 550 5.1.1 No such user here");
}
