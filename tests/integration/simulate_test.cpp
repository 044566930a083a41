// `journeyd simulate` with the delivery policy: several journeys for one customer on a virtual
// clock, their messages meeting caps, priorities, quiet hours across timezones and DST, the
// holdout and control groups — through the real executable.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

const char* kNewsletter =
    "journey: newsletter\npriority: 10\ntopic: newsletter\ntrigger: {event: Signed Up}\n"
    "steps:\n  - wait: 1h\n  - send: issue\n    channel: email\n    template: news/issue\n";
const char* kWinBack =
    "journey: win-back\npriority: 40\ntrigger: {event: Signed Up}\n"
    "steps:\n  - wait: 90m\n  - send: coupon\n    channel: email\n    template: winback/coupon\n"
    "  - send: receipt\n    channel: email\n    template: winback/receipt\n    category: "
    "transactional\n";

struct Simulation {
  TempDir tmp;
  std::vector<json> lines;              ///< timeline lines
  std::map<std::string, json> summary;  ///< per journey
  CommandResult result;

  /// Runs simulate over `journeys` (file name → text) with `config` (empty: no policy).
  void run(const std::map<std::string, std::string>& journeys, const json& customer,
           const std::string& config, const std::string& start,
           const std::string& duration = "3d") {
    std::vector<std::string> args = {JOURNEYD_BINARY, "simulate"};
    for (const auto& [name, text] : journeys) {
      writeFile(tmp.path() / name, text);
      args.push_back((tmp.path() / name).string());
    }
    writeFile(tmp.path() / "customer.json", customer.dump());
    writeFile(tmp.path() / "events.ndjson", "{\"event\": \"Signed Up\", \"after\": \"0s\"}\n");
    args.insert(args.end(), {"--customer", (tmp.path() / "customer.json").string(), "--events",
                             (tmp.path() / "events.ndjson").string(), "--start", start, "--for",
                             duration, "--json"});
    if (!config.empty()) {
      writeFile(tmp.path() / "journeyd.yaml", config);
      args.insert(args.end(), {"--config", (tmp.path() / "journeyd.yaml").string()});
    }
    result = runCommand(args, tmp.path());
    INFO(result.err);
    REQUIRE(result.status == 0);
    lines.clear();
    summary.clear();
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line);
      if (j.contains("entered")) {
        summary[j["journey"]] = j;
      } else {
        lines.push_back(j);
      }
    }
  }

  json message(const std::string& journey, const std::string& step) {
    for (const auto& m : summary.at(journey)["messages"]) {
      if (m["step"] == step) return m;
    }
    FAIL("no message " << journey << "/" << step);
    return {};
  }
};

const json kAnn = {{"id", "42"}, {"email", "ann@example.com"}, {"timezone", "Asia/Shanghai"}};

}  // namespace

TEST_CASE(
    "simulate: a cap first come, first served — and a higher priority wins within the arbitration "
    "window") {
  const std::map<std::string, std::string> journeys = {{"a.yaml", kNewsletter},
                                                       {"b.yaml", kWinBack}};
  Simulation s;
  // Monday 09:00 in Shanghai; the newsletter is due at 10:00, the win-back coupon at 10:30.
  s.run(journeys, kAnn, "policy:\n  caps:\n    - {max: 1, per: 7d}\n", "2026-03-02T01:00:00Z");
  CHECK(s.message("newsletter", "issue")["status"] == "sent");
  auto coupon = s.message("win-back", "coupon");
  CHECK(coupon["status"] == "skipped");
  CHECK(coupon["reason"] ==
        "capped: at most 1 messages per 1w, already taken by newsletter/issue (priority 10) at "
        "2026-03-02T02:00:00.000Z");
  CHECK(s.message("win-back", "receipt")["status"] == "sent");  // transactional: not capped

  // With a one-hour arbitration window the newsletter waits, and the coupon takes its place.
  s.run(journeys, kAnn, "policy:\n  caps:\n    - {max: 1, per: 7d}\n  arbitration_window: 1h\n",
        "2026-03-02T01:00:00Z");
  auto issue = s.message("newsletter", "issue");
  CHECK(issue["status"] == "skipped");
  CHECK(
      issue["reason"] ==
      "capped: at most 1 messages per 1w, given to higher-priority win-back/coupon (priority 40)");
  coupon = s.message("win-back", "coupon");
  CHECK(coupon["status"] == "sent");
  CHECK(coupon["send_at"] == "2026-03-02T03:30:00.000Z");
  bool shown = false;  // the timeline says so where it happened
  for (const auto& l : s.lines) {
    shown |= l["journey"] == "newsletter" && l["time"] == "2026-03-02T02:30:00.000Z" &&
             l["text"].get<std::string>().find("→ skipped: capped") != std::string::npos;
  }
  CHECK(shown);

  // when_capped: defer — the coupon waits a week for the newsletter to leave the window.
  std::string deferring = std::string(kWinBack) + "when_capped: defer\n";
  s.run({{"a.yaml", kNewsletter}, {"b.yaml", deferring}}, kAnn,
        "policy:\n  caps:\n    - {max: 1, per: 7d}\n", "2026-03-02T01:00:00Z");
  coupon = s.message("win-back", "coupon");
  CHECK(coupon["status"] == "pending");  // still waiting when the 3-day timeline ends
  CHECK(coupon["send_at"] == "2026-03-09T02:00:00.000Z");
}

TEST_CASE("simulate: quiet hours in each customer's timezone, across the DST change") {
  const char* night =
      "journey: reminder\ntrigger: {event: Signed Up}\n"
      "steps:\n  - send: note\n    channel: email\n    template: r/note\n";
  const std::string config =
      "policy:\n  timezone: Asia/Shanghai\n  quiet_hours: {start: \"21:00\", end: \"08:00\"}\n";
  Simulation s;
  // 14:00Z is 22:00 in Shanghai: deferred to 08:00 local (00:00Z).
  s.run({{"r.yaml", night}}, kAnn, config, "2026-03-02T14:00:00Z");
  auto note = s.message("reminder", "note");
  CHECK(note["send_at"] == "2026-03-03T00:00:00.000Z");
  CHECK(note["reason"] == "quiet hours: deferred to 2026-03-03T00:00:00.000Z");
  // The same moment is 09:00 in New York: no quiet hours there.
  json bob = {{"id", "43"}, {"email", "bob@example.com"}, {"timezone", "America/New_York"}};
  s.run({{"r.yaml", night}}, bob, config, "2026-03-02T14:00:00Z");
  CHECK(s.message("reminder", "note")["send_at"] == "2026-03-02T14:00:00.000Z");
  // A customer without a timezone gets the business's (Shanghai).
  json cy = {{"id", "44"}, {"email", "cy@example.com"}};
  s.run({{"r.yaml", night}}, cy, config, "2026-03-02T14:00:00Z");
  CHECK(s.message("reminder", "note")["send_at"] == "2026-03-03T00:00:00.000Z");
  // New York springs forward on the night of 2026-03-08: 22:00 EST → 08:00 EDT = 12:00Z (not
  // 13:00Z).
  s.run({{"r.yaml", night}}, bob, config, "2026-03-08T03:00:00Z");
  CHECK(s.message("reminder", "note")["send_at"] == "2026-03-08T12:00:00.000Z");
  // ...and falls back on 2026-11-01: 22:00 EDT → 08:00 EST = 13:00Z.
  s.run({{"r.yaml", night}}, bob, config, "2026-11-01T02:00:00Z");
  CHECK(s.message("reminder", "note")["send_at"] == "2026-11-01T13:00:00.000Z");
}

TEST_CASE("simulate: the holdout and a journey's control group are stable per customer") {
  const char* journey =
      "journey: promo\ncontrol_group: 30%\ntrigger: {event: Signed Up}\n"
      "steps:\n  - send: offer\n    channel: email\n    template: p/offer\n";
  const std::string config = "policy:\n  holdout_percent: 30\n";
  int holdout = 0, control = 0, sent = 0;
  for (int id = 1; id <= 30; ++id) {
    json customer = {{"id", std::to_string(id)},
                     {"email", "c" + std::to_string(id) + "@example.com"}};
    std::string first;
    for (int run = 0; run < 2; ++run) {  // the same customer twice: the same answer
      Simulation s;
      s.run({{"p.yaml", journey}}, customer, config, "2026-03-02T04:00:00Z");
      auto offer = s.message("promo", "offer");
      const std::string outcome = offer.value("reason", std::string("sent"));
      if (run == 0) {
        first = outcome;
      } else {
        CHECK(outcome == first);
      }
    }
    if (first.rfind("holdout:", 0) == 0) {
      ++holdout;
    } else if (first.rfind("control group:", 0) == 0) {
      ++control;
    } else {
      CHECK(first == "sent");
      ++sent;
    }
  }
  CHECK(holdout > 2);
  CHECK(control > 2);
  CHECK(sent > 5);
}

TEST_CASE(
    "simulate runs the daemon's decisions: re-entry, one instance per key, computed segments, "
    "honest summaries") {
  Simulation s;
  // Re-entry: the second sign-up is refused, and the timeline says why.
  const char* once =
      "journey: once\ntrigger: {event: Signed Up}\nentry: {reentry: never}\n"
      "steps:\n  - send: hello\n    channel: email\n    template: t/hello\n  - wait: 1h\n";
  writeFile(s.tmp.path() / "twice.ndjson",
            "{\"event\": \"Signed Up\", \"after\": \"0s\"}\n{\"event\": \"Signed Up\", \"after\": "
            "\"2h\"}\n");
  auto twice = [&](const std::map<std::string, std::string>& journeys, const std::string& events,
                   const json& customer = kAnn) {
    std::vector<std::string> args = {JOURNEYD_BINARY, "simulate"};
    for (const auto& [name, text] : journeys) {
      writeFile(s.tmp.path() / name, text);
      args.push_back((s.tmp.path() / name).string());
    }
    writeFile(s.tmp.path() / "c.json", customer.dump());
    args.insert(args.end(), {"--customer", (s.tmp.path() / "c.json").string(), "--events",
                             (s.tmp.path() / events).string(), "--start", "2026-03-02T01:00:00Z",
                             "--for", "2d", "--json"});
    auto result = runCommand(args, s.tmp.path());
    INFO(result.err);
    REQUIRE(result.status == 0);
    std::vector<json> out;
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  };
  auto lines = twice({{"once.yaml", once}}, "twice.ndjson");
  bool refused = false;
  for (const auto& l : lines) {
    refused |= l.contains("text") &&
               l["text"].get<std::string>().rfind("did not enter: reentry never", 0) == 0 &&
               l["time"] == "2026-03-02T03:00:00.000Z";
  }
  CHECK(refused);
  CHECK(lines.back()["messages"].size() == 1);

  // A keyed journey: two carts, two instances, a nudge for each.
  const char* cart =
      "journey: cart\ntrigger: {event: Product Added, key: event.properties.cart_id}\n"
      "steps:\n  - wait: 1h\n  - send: nudge\n    channel: email\n    template: t/nudge\n";
  writeFile(
      s.tmp.path() / "carts.ndjson",
      "{\"event\": \"Product Added\", \"after\": \"0s\", \"properties\": {\"cart_id\": \"A\"}}\n"
      "{\"event\": \"Product Added\", \"after\": \"10m\", \"properties\": {\"cart_id\": \"B\"}}\n");
  lines = twice({{"cart.yaml", cart}}, "carts.ndjson");
  CHECK(lines.back()["messages"].size() == 2);
  int entered = 0;
  for (const auto& l : lines)
    entered += l.contains("text") && l["text"].get<std::string>().rfind("enter 'cart'", 0) == 0;
  CHECK(entered == 2);

  // A segment trigger enters only when the rule holds, computed from the customer and their
  // orders (segments.yaml beside the journey), never because the file lists the segment.
  writeFile(s.tmp.path() / "segments.yaml",
            "segments:\n  big-spender:\n    when: customer.total_spent >= 100\n");
  const char* vip =
      "journey: vip\ntrigger: {segment_entered: big-spender}\n"
      "steps:\n  - send: thanks\n    channel: email\n    template: t/thanks\n";
  writeFile(
      s.tmp.path() / "orders.ndjson",
      "{\"event\": \"Order Completed\", \"after\": \"1h\", \"properties\": {\"revenue\": 60}}\n"
      "{\"event\": \"Order Completed\", \"after\": \"3h\", \"properties\": {\"revenue\": 70}}\n");
  json listed = kAnn;
  listed["segments"] = {"big-spender"};
  lines = twice({{"vip.yaml", vip}}, "orders.ndjson", listed);
  const json summary = lines.back();
  REQUIRE(summary["entered"] == true);
  REQUIRE(summary["messages"].size() == 1);
  CHECK(summary["messages"][0]["time"] ==
        "2026-03-02T04:00:00.000Z");  // after the second order, not at the start

  // A journey that never started says so, with no status of an enrollment it does not have.
  lines = twice({{"vip.yaml", vip}}, "twice.ndjson");
  CHECK(lines.back()["entered"] == false);
  CHECK_FALSE(lines.back().contains("status"));
}
