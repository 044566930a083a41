// The delivery policy in the running daemon: priority arbitration over messages waiting in the
// outbox, transactional messages, and a journey's control group with its lift in the report.
#include <doctest/doctest.h>

#include <thread>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

constexpr const char* kStart = "2026-03-02T01:00:00Z";

/// A daemon running `journeys` (file name → text) with the repo's templates and log channels.
struct PolicyDaemon {
  TempDir tmp;
  std::unique_ptr<Daemon> d;

  PolicyDaemon(const std::map<std::string, std::string>& journeys, const std::string& policy) {
    fs::create_directories(tmp.path() / "journeys");
    for (const auto& [name, text] : journeys) writeFile(tmp.path() / "journeys" / name, text);
    const std::string out = (tmp.path() / "outbox").string();
    d = std::make_unique<Daemon>(
        tmp.path(),
        "journeys: " + (tmp.path() / "journeys").string() + "\ntemplates: " + JOURNEYD_SOURCE_DIR +
            "/templates\nchannels:\n  email: {connector: log, kind: email, path: " + out +
            "/email.ndjson}\n" + policy);
    REQUIRE(d->start({"--virtual-clock", kStart}));
  }
  void track(const std::string& user, const std::string& event,
             const json& properties = json::object()) {
    auto r = d->post("/v1/track",
                     json{{"userId", user}, {"event", event}, {"properties", properties}}.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  void advance(const std::string& duration) {
    auto c = d->client();
    c.set_bearer_token_auth(Daemon::kAdminKey);
    REQUIRE(c.Post("/v1/clock", json{{"advance", duration}}.dump(), "application/json")->status ==
            200);
  }
  json message(const std::string& user, const std::string& journey) {
    const json profile =
        d->customer(user).value();  // kept: a range-for over a temporary's member dangles
    for (const auto& m : profile["messages"]) {
      if (m["journey"] == journey) return m;
    }
    return json();
  }
};

std::string emailJourney(const std::string& id, int priority, const std::string& event,
                         const std::string& extra = "") {
  return "journey: " + id + "\npriority: " + std::to_string(priority) +
         "\ntrigger: {event: " + event + "}\n" + extra +
         "steps:\n  - send: mail\n    channel: email\n    template: newcomer/welcome\n";
}

}  // namespace

TEST_CASE(
    "a higher-priority message takes the place of a lower one still waiting; receipts pass the "
    "cap") {
  PolicyDaemon p({{"digest.yaml", emailJourney("digest", 10, "Browsed",
                                               "topic: newsletter\nentry: {reentry: always}\n")},
                  {"rescue.yaml", emailJourney("rescue", 40, "Cart Left")},
                  {"receipt.yaml",
                   emailJourney("receipt", 0, "Order Completed", "category: transactional\n")}},
                 "policy:\n  caps:\n    - {max: 1, per: 7d}\n  arbitration_window: 30m\n");
  REQUIRE(p.d->post("/v1/identify", R"({"userId": "a1", "traits": {"email": "a1@example.com"}})")
              ->status == 200);

  p.track("a1", "Browsed");
  auto digest = p.message("a1", "digest");
  CHECK(digest["status"] == "pending");
  CHECK(digest["reason"] ==
        "held 30m for priority arbitration: deferred to 2026-03-02T01:30:00.000Z");

  p.advance("10m");
  p.track("a1", "Cart Left");
  digest = p.message("a1", "digest");
  CHECK(digest["status"] == "skipped");
  CHECK(digest["reason"] ==
        "capped: at most 1 messages per 1w, given to higher-priority rescue/mail (priority 40)");
  auto rescue = p.message("a1", "rescue");
  CHECK(rescue["status"] == "pending");

  p.track("a1", "Order Completed", {{"order_id", "o1"}, {"revenue", 10}});
  auto receipt = p.message("a1", "receipt");
  CHECK(receipt["status"] != "skipped");  // pending, or already sent: it is not held
  CHECK(receipt["reason"].is_null());     // not held, not capped

  // A second low-priority message now meets a full cap and nothing it may displace.
  p.track("a1", "Browsed", {{"again", true}});
  auto second = p.message("a1", "digest");  // newest first
  CHECK(second["status"] == "skipped");
  CHECK(second["reason"].get<std::string>().rfind(
            "capped: at most 1 messages per 1w, already taken by rescue/mail (priority 40) at ",
            0) == 0);

  p.advance("31m");
  bool sent = false;
  for (int i = 0; i < 500 && !sent; ++i) {
    sent = p.message("a1", "rescue")["status"] == "sent";
    if (!sent) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(sent);
  CHECK(p.message("a1", "receipt")["status"] == "sent");
  CHECK(p.message("a1", "digest")["status"] == "skipped");

  // explain tells the digest's story: held, then given way.
  auto e = p.d->get("/v1/customers/a1/explain?journey=digest&format=text");
  REQUIRE(e);
  INFO(e->body);
  CHECK(
      e->body.find("message email newcomer/welcome → queued, held 30m for priority arbitration") !=
      std::string::npos);
  CHECK(e->body.find(
            "message email newcomer/welcome → skipped: capped: at most 1 messages per 1w, given to "
            "higher-priority rescue/mail (priority 40)") != std::string::npos);
}

TEST_CASE(
    "a journey's control group travels the journey without messages; the report shows the lift") {
  PolicyDaemon p({{"promo.yaml",
                   "journey: promo\ncontrol_group: 50%\ntrigger: {event: Browsed}\n"
                   "goal:\n  event: Order Completed\n  within: 7d\n"
                   "steps:\n  - send: offer\n    channel: email\n    template: newcomer/welcome\n"
                   "  - wait: 7d\n"}},
                 "");
  int control = 0, treated = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "c" + std::to_string(i);
    REQUIRE(p.d->post("/v1/identify",
                      json{{"userId", id}, {"traits", {{"email", id + "@example.com"}}}}.dump())
                ->status == 200);
    p.track(id, "Browsed");
    auto m = p.message(id, "promo");
    if (m["status"] == "skipped") {
      CHECK(m["reason"] == "control group: held out of promo to measure its lift");
      ++control;
    } else {
      ++treated;
    }
    if (i % 4 == 0) p.track(id, "Order Completed", {{"order_id", "o" + id}, {"revenue", 20}});
  }
  CHECK(control > 8);
  CHECK(treated > 8);
  auto r = p.d->get("/v1/journeys/promo/report");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  auto report = json::parse(r->body);
  INFO(report.dump(2));
  const json& groups = report["variants"]["control_group"];
  CHECK(groups["control"]["entered"] == control);
  CHECK(groups["treatment"]["entered"] == treated);
  CHECK(groups["control"]["converted"].get<int>() + groups["treatment"]["converted"].get<int>() ==
        10);
  CHECK(groups["treatment"].contains("lift"));
  CHECK(report["messages_by_step"]["offer"]["reasons"]
              ["control group: held out of promo to measure its lift"] == control);
}
