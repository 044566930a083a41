// A message queued for later (quiet hours, a send window, a frequency cap) meets the policy again
// when it is claimed for sending, and when its enrollment exits early: what the customer withdrew
// in the meantime (opt-out, consent, a suppressed address) stops it, recorded as skipped with the
// reason, in `explain` and in the report. Real daemon, virtual clock, log channels on disk.
#include <doctest/doctest.h>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

constexpr const char* kTemplates = R"(channel: email
default_locale: en
locales:
  en:
    subject: "Hello"
    text: "Hello {{ customer.first_name }}"
)";

/// A daemon with the journeys given (file name → YAML), a mail template t/mail, log channels and
/// the policy given, started on the virtual clock at `start`.
struct PolicyDaemon {
  TempDir tmp;
  std::unique_ptr<Daemon> d;

  PolicyDaemon(const std::vector<std::pair<std::string, std::string>>& journeys,
               const std::string& policy, const char* start) {
    for (const auto& [name, yaml] : journeys) writeFile(tmp.path() / "journeys" / name, yaml);
    writeFile(tmp.path() / "templates" / "t" / "mail.yaml", kTemplates);
    const std::string out = (tmp.path() / "outbox").string();
    d = std::make_unique<Daemon>(
        tmp.path(), "journeys: " + (tmp.path() / "journeys").string() +
                        "\ntemplates: " + (tmp.path() / "templates").string() +
                        "\nchannels:\n  email: {connector: log, kind: email, path: " + out +
                        "/email.ndjson}\n" + policy);
    REQUIRE(d->start({"--virtual-clock", start}));
  }

  void post(const char* path, const json& body) {
    auto r = d->post(path, body.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  void admin(const char* path, const json& body) {
    auto c = d->client();
    c.set_bearer_token_auth(Daemon::kAdminKey);
    auto r = c.Post(path, body.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  void advance(const std::string& duration) {
    d->settle();  // what was posted before is planned at its time, before the clock moves
    admin("/v1/clock", {{"advance", duration}});
  }

  /// The customer's messages, oldest first, once `ready` holds for them (the scheduler and the
  /// dispatcher run on their own threads after a clock move).
  json messages(const std::string& customer, const std::function<bool(const json&)>& ready) {
    json out;
    for (int i = 0; i < 500; ++i) {
      auto c = d->customer(customer);
      REQUIRE(c);
      out = json::array();
      for (auto it = (*c)["messages"].rbegin(); it != (*c)["messages"].rend(); ++it)
        out.push_back(*it);
      if (ready(out)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return out;
  }
  /// Lines the email log connector wrote (messages that actually went out).
  size_t emailsSent() const {
    std::string text = readAll(tmp.path() / "outbox" / "email.ndjson");
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  std::string explain(const std::string& customer) {
    auto r = d->get("/v1/customers/" + customer + "/explain?format=text");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return r->body;
  }
  json report(const std::string& journey) {
    auto r = d->get("/v1/journeys/" + journey + "/report");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }
};

bool statusIs(const json& messages, size_t index, const char* status) {
  return messages.size() > index && messages[index]["status"] == status;
}

// No exit_when: only the claim-time decision can stop the held message.
constexpr const char* kHoldJourney = R"(journey: hold
trigger:
  event: Hold
entry:
  reentry: always
steps:
  - send: mail
    channel: email
    template: t/mail
)";

constexpr const char* kQuietShanghai =
    "policy:\n  timezone: Asia/Shanghai\n  quiet_hours: {start: \"21:00\", end: \"08:00\"}\n";
constexpr const char* kTenPmShanghai = "2026-03-02T14:00:00Z";

}  // namespace

TEST_CASE(
    "an email held by quiet hours is not sent after the customer opts out: withdrawn, explained, "
    "reported") {
  PolicyDaemon p({{"hold.yaml", kHoldJourney}}, kQuietShanghai, kTenPmShanghai);
  p.post("/v1/identify", {{"userId", "w1"}, {"traits", {{"email", "w1@example.com"}}}});
  p.post("/v1/identify", {{"userId", "w2"}, {"traits", {{"email", "w2@example.com"}}}});
  p.post("/v1/track", {{"userId", "w1"}, {"event", "Hold"}});
  p.post("/v1/track", {{"userId", "w2"}, {"event", "Hold"}});
  auto held = p.messages("w1", [](const json& m) { return statusIs(m, 0, "pending"); });
  REQUIRE(statusIs(held, 0, "pending"));
  CHECK(held[0]["reason"].get<std::string>().rfind("quiet hours: deferred to", 0) == 0);

  p.post("/v1/identify", {{"userId", "w1"}, {"traits", {{"unsubscribed", true}}}});
  p.advance("10h");  // 08:00 in Shanghai: both are due
  auto w2 = p.messages("w2", [](const json& m) { return statusIs(m, 0, "sent"); });
  CHECK(statusIs(w2, 0, "sent"));  // the one who stayed gets it
  auto w1 = p.messages("w1", [](const json& m) { return statusIs(m, 0, "skipped"); });
  REQUIRE(statusIs(w1, 0, "skipped"));
  CHECK(w1[0]["reason"] == "withdrawn: unsubscribed");
  CHECK(p.emailsSent() == 1);
  CHECK(p.explain("w1").find("message email t/mail → skipped: withdrawn: unsubscribed") !=
        std::string::npos);
  const json report = p.report("hold");
  CHECK(report["messages_by_step"]["mail"]["skipped"] == 1);
  CHECK(report["messages_by_step"]["mail"]["sent"] == 1);
  CHECK(report["messages_by_step"]["mail"]["reasons"]["withdrawn: unsubscribed"] == 1);
}

TEST_CASE(
    "a held email to an address suppressed meanwhile is withdrawn; lifting the suppression lets "
    "the next one go") {
  PolicyDaemon p({{"hold.yaml", kHoldJourney}}, kQuietShanghai, kTenPmShanghai);
  p.post("/v1/identify", {{"userId", "s1"}, {"traits", {{"email", "S1@Example.com"}}}});
  p.post("/v1/track", {{"userId", "s1"}, {"event", "Hold"}});
  REQUIRE(statusIs(p.messages("s1", [](const json& m) { return statusIs(m, 0, "pending"); }), 0,
                   "pending"));
  p.admin("/v1/suppressions",
          {{"channel", "email"}, {"address", "s1@example.com"}, {"reason", "complaint"}});
  p.advance("10h");
  auto m = p.messages("s1", [](const json& m) { return statusIs(m, 0, "skipped"); });
  REQUIRE(statusIs(m, 0, "skipped"));
  CHECK(m[0]["reason"] == "withdrawn: suppressed: complaint");
  CHECK(p.emailsSent() == 0);
}

TEST_CASE(
    "a message deferred by a frequency cap is withdrawn when consent for its topic goes "
    "meanwhile") {
  constexpr const char* kNews = R"(journey: news
topic: newsletter
when_capped: defer
caps:
  - {max: 1, per: 1d}
trigger:
  event: News
entry:
  reentry: always
steps:
  - send: issue
    channel: email
    template: t/mail
)";
  PolicyDaemon p({{"news.yaml", kNews}}, "", "2026-03-02T03:00:00Z");
  p.post("/v1/identify", {{"userId", "c1"}, {"traits", {{"email", "c1@example.com"}}}});
  p.post("/v1/track", {{"userId", "c1"}, {"event", "News"}, {"messageId", "n1"}});
  REQUIRE(
      statusIs(p.messages("c1", [](const json& m) { return statusIs(m, 0, "sent"); }), 0, "sent"));
  p.post("/v1/track", {{"userId", "c1"}, {"event", "News"}, {"messageId", "n2"}});
  auto deferred = p.messages("c1", [](const json& m) { return statusIs(m, 1, "pending"); });
  REQUIRE(statusIs(deferred, 1, "pending"));
  CHECK(deferred[1]["reason"].get<std::string>().find("capped: at most 1 messages per 1d") !=
        std::string::npos);
  p.post("/v1/identify",
         {{"userId", "c1"}, {"traits", {{"consent", {{"topics", {{"newsletter", false}}}}}}}});
  p.advance("1d");
  auto m = p.messages("c1", [](const json& m) { return statusIs(m, 1, "skipped"); });
  REQUIRE(statusIs(m, 1, "skipped"));
  CHECK(m[1]["reason"] == "withdrawn: no consent for topic newsletter");
  CHECK(p.emailsSent() == 1);
}

TEST_CASE(
    "an early exit withdraws the enrollment's messages still waiting for their send window; "
    "pending_on_exit: send keeps them") {
  // Saturday 12:00 UTC: the window opens Monday 10:00. The order (the goal) comes on Sunday.
  auto journey = [](const char* id, const char* pending) {
    return std::string("journey: ") + id +
           "\nsend_window: weekdays 10:00-18:00\npending_on_exit: " + pending +
           "\ntrigger:\n  event: Browse\ngoal:\n  event: Order Completed\n  within: 7d\nsteps:\n"
           "  - send: nudge\n    channel: email\n    template: t/mail\n  - wait: 5d\n";
  };
  PolicyDaemon p(
      {{"cancel.yaml", journey("cancel", "cancel")}, {"keep.yaml", journey("keep", "send")}}, "",
      "2026-03-07T12:00:00Z");
  p.post("/v1/identify", {{"userId", "e1"}, {"traits", {{"email", "e1@example.com"}}}});
  p.post("/v1/track", {{"userId", "e1"}, {"event", "Browse"}});
  auto held = p.messages(
      "e1", [](const json& m) { return statusIs(m, 0, "pending") && statusIs(m, 1, "pending"); });
  REQUIRE(held.size() == 2);
  p.advance("1d");
  p.post("/v1/track",
         {{"userId", "e1"}, {"event", "Order Completed"}, {"properties", {{"revenue", 20}}}});
  p.advance("1d");  // Monday 12:00 UTC: inside the window
  auto m = p.messages("e1", [](const json& m) {
    return m.size() == 2 && m[0]["status"] != "pending" && m[1]["status"] != "pending";
  });
  REQUIRE(m.size() == 2);
  std::map<std::string, json> by_journey;
  for (const auto& x : m) by_journey[x["journey"].get<std::string>()] = x;
  CHECK(by_journey["cancel"]["status"] == "skipped");
  CHECK(by_journey["cancel"]["reason"] == "withdrawn: the customer left the journey (converted)");
  CHECK(by_journey["keep"]["status"] == "sent");
  CHECK(p.emailsSent() == 1);
  CHECK(p.explain("e1").find("withdrawn: the customer left the journey (converted)") !=
        std::string::npos);
}
