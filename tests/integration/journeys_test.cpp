// The shipped journeys run by the real daemon: data in over HTTP, time moved on a virtual clock
// (serve --virtual-clock, POST /v1/clock), enrollments and outbox messages read back through the
// admin API. No test sleeps on journey time.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

constexpr const char* kStart = "2026-03-02T01:00:00Z";  // a Monday, 09:00 in Asia/Shanghai

std::string journeyConfig(const fs::path& dir) {
  std::string out = (dir / "outbox").string();
  return std::string("journeys: ") + JOURNEYD_SOURCE_DIR + "/journeys\n" +
         "templates: " + JOURNEYD_SOURCE_DIR + "/templates\n" + "channels:\n" +
         "  email: {connector: log, kind: email, path: " + out + "/email.ndjson}\n" +
         "  sms: {connector: log, kind: sms, path: " + out + "/sms.ndjson}\n" +
         "  webhook: {connector: log, kind: webhook, path: " + out + "/webhook.ndjson}\n";
}

struct JourneyDaemon {
  TempDir tmp;
  Daemon d;

  /// `extra_config`: more top-level config sections (e.g. `policy:`).
  explicit JourneyDaemon(const std::string& extra_config = "")
      : d(tmp.path(), journeyConfig(tmp.path()) + extra_config) {
    REQUIRE(d.start({"--virtual-clock", kStart}));
  }

  void advance(const std::string& duration) {
    d.settle();  // what was posted before is planned at its time, before the clock moves
    auto c = d.client();
    c.set_bearer_token_auth(Daemon::kAdminKey);
    auto r = c.Post("/v1/clock", json{{"advance", duration}}.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  void send(const char* path, const json& body) {
    auto r = d.post(path, body.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  /// The customer's messages (step → status), waiting until the scheduler has caught up with at
  /// least `expected` of them (it runs on its own thread after a clock move).
  std::vector<json> messages(const std::string& customer, size_t expected) {
    std::vector<json> out;
    for (int i = 0; i < 500; ++i) {
      auto c = d.customer(customer);
      REQUIRE(c);
      out.assign((*c)["messages"].begin(), (*c)["messages"].end());
      if (out.size() >= expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  }
  json enrollment(const std::string& customer, const std::string& journey) {
    auto c = d.customer(customer);
    REQUIRE(c);
    for (const auto& e : (*c)["enrollments"]) {
      if (e["journey"] == journey) return e;
    }
    return json();
  }
};

std::vector<std::string> steps(const std::vector<json>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m["step"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE(
    "newcomer guide: welcome now, a guide after a day, a coupon two days later without an order") {
  JourneyDaemon j;
  j.send("/v1/identify",
         {{"userId", "new-1"},
          {"traits",
           {{"email", "new1@example.com"}, {"phone", "+8613800000011"}, {"first_name", "林"}}},
          {"context", {{"timezone", "Asia/Shanghai"}, {"locale", "zh-CN"}}}});
  j.send("/v1/track", {{"userId", "new-1"}, {"event", "Signed Up"}});
  auto first = j.messages("new-1", 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0]["step"] == "welcome");
  CHECK(first[0]["channel"] == "email");
  CHECK(first[0]["to"] == "new1@example.com");
  CHECK(first[0]["created_at"] == "2026-03-02T01:00:00.000Z");

  j.advance("23h");
  CHECK(j.messages("new-1", 1).size() == 1);  // not yet: one hour early
  j.advance("1h");
  auto second = j.messages("new-1", 2);
  CHECK(steps(second) == std::vector<std::string>{"welcome", "first-steps"});
  CHECK(second[1]["created_at"] == "2026-03-03T01:00:00.000Z");

  j.advance("2d");
  auto third = j.messages("new-1", 3);
  CHECK(steps(third) == std::vector<std::string>{"welcome", "first-steps", "first-order-coupon"});
  CHECK(third[2]["channel"] == "sms");
  CHECK(third[2]["to"] == "+8613800000011");
  CHECK(third[2]["idempotency_key"].get<std::string>().find("first-order-coupon") !=
        std::string::npos);

  auto e = j.enrollment("new-1", "newcomer-guide");
  CHECK(e["status"] == "completed");
}

TEST_CASE("newcomer guide: a first order ends the journey as converted, mid-wait") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "new-2"}, {"traits", {{"email", "new2@example.com"}}}});
  j.send("/v1/track", {{"userId", "new-2"}, {"event", "Signed Up"}});
  j.advance("1d");
  CHECK(j.messages("new-2", 2).size() == 2);
  j.advance("12h");
  j.send("/v1/track",
         {{"userId", "new-2"}, {"event", "Order Completed"}, {"properties", {{"revenue", 42}}}});
  auto e = j.enrollment("new-2", "newcomer-guide");
  CHECK(e["status"] == "converted");
  CHECK(e["exit_reason"] == "converted");
  j.advance("3d");
  CHECK(j.messages("new-2", 3).size() == 2);  // no coupon after the order

  auto report = j.d.get("/v1/journeys/newcomer-guide/report");
  REQUIRE(report);
  REQUIRE(report->status == 200);
  auto r = json::parse(report->body);
  CHECK(r["entered"] == 1);
  CHECK(r["converted"] == 1);
}

TEST_CASE("cart abandon: one instance per cart, the order of one cart ends only that one") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "cart-1"},
                          {"traits", {{"email", "cart1@example.com"}}},
                          {"context", {{"timezone", "Asia/Shanghai"}}}});
  j.send("/v1/track",
         {{"userId", "cart-1"}, {"event", "Product Added"}, {"properties", {{"cart_id", "A"}}}});
  j.send("/v1/track",
         {{"userId", "cart-1"}, {"event", "Product Added"}, {"properties", {{"cart_id", "B"}}}});
  j.advance("30m");
  j.send("/v1/track",
         {{"userId", "cart-1"}, {"event", "Order Completed"}, {"properties", {{"cart_id", "A"}}}});
  j.advance("1h");  // 10:30 local on Monday: cart B waits for the next weekday 10:00
  CHECK(j.messages("cart-1", 0).empty());
  j.advance("23h30m");  // Tuesday 10:00 local: the nudge for B goes out
  auto m = j.messages("cart-1", 1);
  REQUIRE(m.size() == 1);
  CHECK(m[0]["step"] == "nudge");
  CHECK(m[0]["created_at"] == "2026-03-03T02:00:00.000Z");  // 10:00 in Shanghai
  CHECK(m[0]["key"] == "B");  // the cart it is about, without parsing the idempotency key

  std::set<std::string> statuses;
  auto c = j.d.customer("cart-1");
  for (const auto& e : (*c)["enrollments"]) {
    if (e["journey"] == "cart-abandon")
      statuses.insert(e["key"].get<std::string>() + "=" + e["status"].get<std::string>());
  }
  CHECK(statuses == std::set<std::string>{"A=converted", "B=completed"});
}

TEST_CASE("referral: the friend's first order rewards the referrer through the webhook channel") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "friend"}, {"traits", {{"email", "friend@example.com"}}}});
  j.send(
      "/v1/track",
      {{"userId", "friend"},
       {"event", "Order Completed"},
       {"properties",
        {{"order_id", "o-9"}, {"referrer_id", "ref-1"}, {"first_order", true}, {"revenue", 20}}}});
  auto m = j.messages("friend", 1);
  REQUIRE_FALSE(m.empty());
  CHECK(m[0]["step"] == "reward-referrer");
  CHECK(m[0]["channel"] == "webhook");
  CHECK(j.d.customer("friend").value()["traits"]["referral_rewarded"] == true);
  // An order without a referrer does not start it.
  j.send("/v1/identify", {{"userId", "plain"}, {"traits", {{"email", "plain@example.com"}}}});
  j.send(
      "/v1/track",
      {{"userId", "plain"}, {"event", "Order Completed"}, {"properties", {{"order_id", "o-10"}}}});
  CHECK(j.enrollment("plain", "referral").is_null());
}

TEST_CASE("a paused journey holds its customers in place; resuming continues them") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "p-1"}, {"traits", {{"email", "p1@example.com"}}}});
  j.send("/v1/track", {{"userId", "p-1"}, {"event", "Signed Up"}});
  REQUIRE(j.messages("p-1", 1).size() ==
          1);  // entered (journeys react asynchronously to ingested data)
  auto c = j.d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/journeys/newcomer-guide/pause", "", "application/json")->status == 200);
  j.advance("2d");
  std::this_thread::sleep_for(
      std::chrono::milliseconds(200));  // give the scheduler a chance to (wrongly) act
  CHECK(j.messages("p-1", 1).size() == 1);
  CHECK(j.enrollment("p-1", "newcomer-guide")["step"] == "wait-first-day");
  REQUIRE(c.Post("/v1/journeys/newcomer-guide/resume", "", "application/json")->status == 200);
  CHECK(j.messages("p-1", 2).size() == 2);
  auto list = j.d.get("/v1/journeys");
  REQUIRE(list);
  const json listed = json::parse(list->body);
  bool found = false;
  for (const auto& journey : listed["journeys"]) {
    if (journey["id"] == "newcomer-guide") {
      found = true;
      CHECK(journey["paused"] == false);
    }
  }
  CHECK(found);
}

TEST_CASE(
    "the API trigger enrolls through POST /v1/journeys/{id}/enroll and refuses other journeys") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "api-1"}, {"traits", {{"email", "api1@example.com"}}}});
  auto c = j.d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  auto wrong =
      c.Post("/v1/journeys/newcomer-guide/enroll", R"({"userId": "api-1"})", "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 409);
  auto missing =
      c.Post("/v1/journeys/no-such-journey/enroll", R"({"userId": "api-1"})", "application/json");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE(
    "win-back: 60 days after the last order the customer turns dormant, gets a coupon, then a "
    "reminder") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "wb-1"},
                          {"traits", {{"email", "wb1@example.com"}, {"phone", "+8613800000077"}}}});
  j.send("/v1/track",
         {{"userId", "wb-1"}, {"event", "Order Completed"}, {"properties", {{"revenue", 88}}}});
  j.advance("59d");
  CHECK_FALSE(j.d.customer("wb-1").value()["segments"].contains("dormant"));
  j.advance("1d");  // exactly 60 days: the scheduled segment re-check moves the customer
  std::vector<json> m;
  for (int i = 0; i < 500; ++i) {
    m = j.messages("wb-1", 0);
    bool coupon = std::any_of(m.begin(), m.end(),
                              [](const json& x) { return x["step"] == "comeback-coupon"; });
    if (coupon) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto profile = j.d.customer("wb-1").value();
  CHECK(profile["segments"].contains("dormant"));
  auto coupon = std::find_if(m.begin(), m.end(),
                             [](const json& x) { return x["step"] == "comeback-coupon"; });
  REQUIRE(coupon != m.end());
  CHECK((*coupon)["created_at"] == "2026-05-01T01:00:00.000Z");
  j.advance("3d");
  bool reminded = false;
  for (int i = 0; i < 500 && !reminded; ++i) {
    m = j.messages("wb-1", 0);
    reminded = std::any_of(m.begin(), m.end(),
                           [](const json& x) { return x["step"] == "coupon-reminder"; });
    if (!reminded) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(reminded);
  // Ordering again leaves the segment (and the history keeps both moves).
  j.send("/v1/track",
         {{"userId", "wb-1"}, {"event", "Order Completed"}, {"properties", {{"revenue", 10}}}});
  CHECK_FALSE(j.d.customer("wb-1").value()["segments"].contains("dormant"));
  auto report = runCommand(
      {JOURNEYD_BINARY, "report", "segments", "--json", "--config", j.d.configPath().string()},
      j.tmp.path());
  REQUIRE(report.status == 0);
  auto r = json::parse(report.out);
  CHECK(r["changes"]["dormant"]["entered"] == 1);
  CHECK(r["changes"]["dormant"]["exited"] == 1);
  CHECK(r["sizes"].value("potential", 0) == 1);
  bool moved = false;  // the order moved the customer from dormant straight to potential
  for (const auto& m : r["moves"]) moved |= m["from"] == "dormant" && m["to"] == "potential";
  CHECK(moved);
}

TEST_CASE(
    "birthday: the greeting goes out at 09:00 on the birthday in the customer's own timezone") {
  JourneyDaemon j;
  // Start: Monday 2026-03-02 09:00 Shanghai. Birthday 5 March → 2026-03-05T01:00Z (09:00 +08:00);
  // a New York customer with the same birthday gets it at 09:00 New York time, 14:00Z.
  j.send("/v1/identify", {{"userId", "bd-sh"},
                          {"traits", {{"email", "sh@example.com"}, {"birthday", "1990-03-05"}}},
                          {"context", {{"timezone", "Asia/Shanghai"}}}});
  j.send("/v1/identify", {{"userId", "bd-ny"},
                          {"traits", {{"email", "ny@example.com"}, {"birthday", "1985-03-05"}}},
                          {"context", {{"timezone", "America/New_York"}}}});
  j.advance("2d23h59m");  // 2026-03-05T00:59Z
  CHECK(j.messages("bd-sh", 0).empty());
  j.advance("1m");
  auto sh = j.messages("bd-sh", 1);
  REQUIRE(sh.size() == 1);
  CHECK(sh[0]["step"] == "birthday");
  CHECK(sh[0]["created_at"] == "2026-03-05T01:00:00.000Z");
  CHECK(j.messages("bd-ny", 0).empty());
  j.advance("13h");  // 14:00Z = 09:00 in New York
  auto ny = j.messages("bd-ny", 1);
  REQUIRE(ny.size() == 1);
  CHECK(ny[0]["created_at"] == "2026-03-05T14:00:00.000Z");
}

TEST_CASE(
    "attribute_changed starts a journey when a trait really changes, and schedule broadcasts to "
    "the audience") {
  TempDir tmp;
  writeFile(tmp.path() / "journeys" / "upgrade.yaml", R"(journey: plan-upgrade
trigger:
  attribute_changed: customer.traits.plan
  where: event.properties.new == "gold"
entry:
  reentry: always
steps:
  - send: congrats
    channel: email
    template: t/hello
)");
  writeFile(tmp.path() / "journeys" / "weekly.yaml", R"(journey: weekly-digest
trigger:
  schedule: { cron: "0 10 * * mon", timezone: Asia/Shanghai }
entry:
  when: customer.traits.newsletter == true
  reentry: always
steps:
  - send: digest
    channel: email
    template: t/hello
)");
  writeFile(tmp.path() / "templates" / "t" / "hello.yaml",
            "channel: email\nlocales:\n  en:\n    subject: Hello\n    html: <p>Hello {{ "
            "customer.email }}</p>\n");
  Daemon d(tmp.path(),
           "journeys: journeys\ntemplates: templates\nchannels:\n  email: {connector: log, kind: "
           "email, path: " +
               (tmp.path() / "email.ndjson").string() + "}\n");
  REQUIRE(d.start({"--virtual-clock", kStart}));  // Monday 09:00 in Shanghai
  auto post = [&](const json& body) {
    REQUIRE(d.post("/v1/identify", body.dump())->status == 200);
  };
  post({{"userId", "a"},
        {"traits", {{"email", "a@example.com"}, {"plan", "silver"}, {"newsletter", true}}}});
  post({{"userId", "b"}, {"traits", {{"email", "b@example.com"}, {"newsletter", false}}}});
  post({{"userId", "a"}, {"traits", {{"plan", "silver"}}}});  // no change: nothing starts
  auto enrollments = [&](const std::string& id, const std::string& journey) {
    int n = 0;
    const json profile = d.customer(id).value();
    for (const auto& e : profile["enrollments"]) n += e["journey"] == journey;
    return n;
  };
  CHECK(enrollments("a", "plan-upgrade") == 0);
  post({{"userId", "a"}, {"traits", {{"plan", "gold"}}}});
  CHECK(enrollments("a", "plan-upgrade") == 1);

  // The broadcast: Monday 10:00 Shanghai = 02:00Z, one hour after the start.
  auto c = d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "1h"})", "application/json")->status == 200);
  bool done = false;
  for (int i = 0; i < 500 && !done; ++i) {
    done = enrollments("a", "weekly-digest") == 1;
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(done);
  CHECK(enrollments("b", "weekly-digest") == 0);  // not in the audience
}

TEST_CASE(
    "member exclusive: the high-value segment comes from the fitted RFM tiers, and only its "
    "members are invited") {
  JourneyDaemon j;
  // The CDNOW sample as this shop's order history, through the real import.
  std::ifstream in(std::string(JOURNEYD_SOURCE_DIR) + "/tests/data/cdnow/CDNOW_sample.txt");
  REQUIRE(in);
  std::ofstream out(j.tmp.path() / "orders.ndjson");
  std::map<std::string, int> orders;
  std::string line;
  int row = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string master, id, date;
    double cds = 0, dollars = 0;
    if (!(fields >> master >> id >> date >> cds >> dollars)) continue;
    ++orders[id];
    out << json{{"type", "track"},
                {"userId", id},
                {"event", "Order Completed"},
                {"messageId", "cdnow-" + std::to_string(++row)},
                {"properties", {{"revenue", dollars}}},
                {"timestamp", date.substr(0, 4) + "-" + date.substr(4, 2) + "-" +
                                  date.substr(6, 2) + "T12:00:00Z"}}
               .dump()
        << "\n";
  }
  out.close();
  auto imported = runCommand({JOURNEYD_BINARY, "import", "--config", j.d.configPath().string(),
                              (j.tmp.path() / "orders.ndjson").string()},
                             j.tmp.path());
  REQUIRE(imported.status == 0);
  auto fit = runCommand({JOURNEYD_BINARY, "model", "fit", "--config", j.d.configPath().string(),
                         "--as-of", "1998-06-30", "--json"},
                        j.tmp.path());
  REQUIRE(fit.status == 0);
  j.d.signal(SIGHUP);  // the daemon picks up the fitted models
  for (int i = 0; i < 500; ++i) {
    const std::string log = j.d.log();
    size_t first = log.find("customer-value models loaded");
    if (first != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The most frequent buyer and a one-time buyer; an identify (a change) re-evaluates segments.
  auto best = std::max_element(orders.begin(), orders.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  auto once = std::find_if(orders.begin(), orders.end(), [](auto& o) { return o.second == 1; });
  j.send("/v1/identify", {{"userId", best->first}, {"traits", {{"email", "best@example.com"}}}});
  j.send("/v1/identify", {{"userId", once->first}, {"traits", {{"email", "once@example.com"}}}});
  auto vip = j.d.customer(best->first).value();
  CAPTURE(vip["computed"].dump());
  CHECK(vip["computed"]["rfm"]["f"] == 5);
  CHECK(vip["segments"].contains("high-value"));
  CHECK_FALSE(j.d.customer(once->first).value()["segments"].contains("high-value"));

  for (const auto& id : {best->first, once->first}) {
    j.send("/v1/track", {{"userId", id},
                         {"event", "Member Event Announced"},
                         {"properties", {{"event_id", "gala"}, {"event_date", "2026-03-20"}}}});
  }
  auto messages = j.messages(best->first, 1);
  CHECK(std::count_if(messages.begin(), messages.end(),
                      [](const json& m) { return m["template"] == "member/invitation"; }) == 1);
  CHECK(j.enrollment(once->first, "member-exclusive").is_null());
}

namespace {

// Member-exclusive for a customer who is high-value without fitted models (a trait stands in for
// the model's clv_12m), invited to an event on `event_date`.
void inviteToMemberEvent(JourneyDaemon& j, const std::string& id, const std::string& timezone,
                         const std::string& event_date) {
  static int phones = 0;
  json identify = {{"userId", id},
                   {"traits",
                    {{"email", id + "@example.com"},
                     {"phone", "+1212555010" + std::to_string(++phones % 10)},
                     {"clv_12m", 5000}}}};
  if (!timezone.empty()) identify["context"] = {{"timezone", timezone}};
  j.send("/v1/identify", identify);
  j.send("/v1/track", {{"userId", id},
                       {"event", "Member Event Announced"},
                       {"properties", {{"event_id", "gala"}, {"event_date", event_date}}}});
}

std::optional<json> messageOf(const std::vector<json>& messages, const std::string& step) {
  for (const auto& m : messages) {
    if (m["step"] == step) return m;
  }
  return std::nullopt;
}

// The subject of the last email the log channel wrote to `to`.
std::string emailSubject(const JourneyDaemon& j, const std::string& to) {
  for (int i = 0; i < 500; ++i) {
    std::string subject;
    std::istringstream lines(readAll(j.tmp.path() / "outbox" / "email.ndjson"));
    std::string line;
    while (std::getline(lines, line)) {
      auto m = json::parse(line, nullptr, false);
      if (m.is_object() && m.value("to", "") == to) subject = m.value("subject", "");
    }
    if (!subject.empty()) return subject;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

}  // namespace

TEST_CASE(
    "member exclusive: an event date is a day of the customer's calendar, in waits and templates") {
  JourneyDaemon j;
  // The event is on Friday 2026-03-20. The reminder goes "the day before at 10:00" local time:
  // 2026-03-19 10:00 in New York is 14:00Z, in Shanghai 02:00Z. A full timestamp with an offset
  // is an instant and keeps its meaning (18:00 New York on the 20th, so the 19th 10:00 again).
  inviteToMemberEvent(j, "me-ny", "America/New_York", "2026-03-20");
  inviteToMemberEvent(j, "me-sh", "Asia/Shanghai", "2026-03-20");
  inviteToMemberEvent(j, "me-at", "America/New_York", "2026-03-20T18:00:00-04:00");
  for (const char* id : {"me-ny", "me-sh", "me-at"}) {
    CAPTURE(id);
    CHECK(emailSubject(j, std::string(id) + "@example.com") ==
          "You're invited: a members-only event on March 20");
    json waiting = j.enrollment(id, "member-exclusive");
    CHECK(waiting["step"] == "day-before-event");
    CHECK(waiting["wake_at"] ==
          (std::string(id) == "me-sh" ? "2026-03-19T02:00:00.000Z" : "2026-03-19T14:00:00.000Z"));
  }

  j.advance("17d1h");  // 2026-03-19T02:00Z
  REQUIRE(messageOf(j.messages("me-sh", 2), "event-reminder"));
  CHECK(messageOf(j.messages("me-sh", 2), "event-reminder").value()["created_at"] ==
        "2026-03-19T02:00:00.000Z");
  CHECK_FALSE(messageOf(j.messages("me-ny", 1), "event-reminder"));
  j.advance("12h");  // 2026-03-19T14:00Z = 10:00 in New York
  for (const char* id : {"me-ny", "me-at"}) {
    CAPTURE(id);
    auto reminder = messageOf(j.messages(id, 2), "event-reminder");
    REQUIRE(reminder);
    CHECK((*reminder)["created_at"] == "2026-03-19T14:00:00.000Z");
  }

  // They attend on the evening of the event day, 20:00Z (16:00 New York, 04:00 next day in
  // Shanghai, inside its two days as well): the wait for attendance is still open.
  j.advance("1d6h");  // 2026-03-20T20:00Z
  for (const char* id : {"me-ny", "me-sh", "me-at"}) {
    j.send("/v1/track",
           {{"userId", id}, {"event", "Event Attended"}, {"properties", {{"event_id", "gala"}}}});
  }
  for (const char* id : {"me-ny", "me-sh", "me-at"}) {
    CAPTURE(id);
    CHECK(messageOf(j.messages(id, 3), "thank-you"));
  }
}

TEST_CASE("member exclusive: a customer without a timezone has the business's (policy.timezone)") {
  JourneyDaemon j("policy:\n  timezone: America/New_York\n");
  inviteToMemberEvent(j, "me-none", "", "2026-03-20");
  CHECK(emailSubject(j, "me-none@example.com") ==
        "You're invited: a members-only event on March 20");
  CHECK(j.enrollment("me-none", "member-exclusive")["wake_at"] == "2026-03-19T14:00:00.000Z");
  j.advance("17d13h");  // 2026-03-19T14:00Z = 10:00 in New York
  auto reminder = messageOf(j.messages("me-none", 2), "event-reminder");
  REQUIRE(reminder);
  CHECK((*reminder)["created_at"] == "2026-03-19T14:00:00.000Z");
  j.advance("1d6h");  // 2026-03-20T20:00Z, 16:00 on the event day in New York
  j.send(
      "/v1/track",
      {{"userId", "me-none"}, {"event", "Event Attended"}, {"properties", {{"event_id", "gala"}}}});
  CHECK(messageOf(j.messages("me-none", 3), "thank-you"));
}

TEST_CASE(
    "NPS survey: asked three days after an order on a weekday morning, detractors get a "
    "follow-up") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "nps-1"},
                          {"traits", {{"email", "nps1@example.com"}}},
                          {"context", {{"timezone", "Asia/Shanghai"}}}});
  j.send("/v1/track",
         {{"userId", "nps-1"}, {"event", "Order Completed"}, {"properties", {{"revenue", 30}}}});
  j.advance("3d1h");  // Thursday 10:00 Shanghai
  auto asked = j.messages("nps-1", 1);
  REQUIRE(asked.size() == 1);
  CHECK(asked[0]["template"] == "nps/survey");
  CHECK(asked[0]["created_at"] == "2026-03-05T02:00:00.000Z");
  j.advance("1h");
  j.send("/v1/track",
         {{"userId", "nps-1"}, {"event", "Survey Answered"}, {"properties", {{"score", 4}}}});
  auto answered = j.messages("nps-1", 2);
  REQUIRE(answered.size() == 2);
  CHECK(answered[1]["template"] == "nps/detractor-follow-up");
}

TEST_CASE(
    "SIGHUP reloads journeys: customers in flight move to the same step of the new version, and a "
    "broken file keeps the old one") {
  TempDir tmp;
  auto journey = [](const std::string& wait) {
    return "journey: hello\ntrigger:\n  event: Hi\nsteps:\n  - send: first\n    channel: email\n   "
           " template: t/hello\n"
           "  - wait: " +
           wait + "\n    id: pause\n  - send: second\n    channel: email\n    template: t/hello\n";
  };
  writeFile(tmp.path() / "journeys" / "hello.yaml", journey("2d"));
  writeFile(tmp.path() / "templates" / "t" / "hello.yaml",
            "channel: email\nlocales:\n  en:\n    subject: Hello\n    html: <p>Hello</p>\n");
  Daemon d(tmp.path(),
           "journeys: journeys\ntemplates: templates\nchannels:\n  email: {connector: log, kind: "
           "email, path: " +
               (tmp.path() / "email.ndjson").string() + "}\n");
  REQUIRE(d.start({"--virtual-clock", kStart}));
  REQUIRE(d.post("/v1/identify", R"({"userId": "r1", "traits": {"email": "r1@example.com"}})")
              ->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "r1", "event": "Hi"})")->status == 200);
  const std::string old_version = d.customer("r1").value()["enrollments"][0]["version"];

  writeFile(tmp.path() / "journeys" / "hello.yaml", journey("3d"));
  d.signal(SIGHUP);
  bool moved = false;
  for (int i = 0; i < 500 && !moved; ++i) {
    moved = d.log().find("msg=\"journey changed\" journey=hello") != std::string::npos;
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(moved);
  CHECK(d.log().find("on_change=migrate step=pause customers=1 action=moved") != std::string::npos);
  auto e = d.customer("r1").value()["enrollments"][0];
  CHECK(e["version"] != old_version);
  CHECK(e["step"] == "pause");

  writeFile(tmp.path() / "journeys" / "hello.yaml", "journey: hello\ntrigger:\n  evnt: Hi\n");
  d.signal(SIGHUP);
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    refused = d.log().find("journeys not reloaded") != std::string::npos;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(refused);
  CHECK(d.log().find("hello.yaml:3:3: error: unknown key 'evnt'") != std::string::npos);
  // The running version still works.
  REQUIRE(d.post("/v1/identify", R"({"userId": "r2", "traits": {"email": "r2@example.com"}})")
              ->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "r2", "event": "Hi"})")->status == 200);
  CHECK(d.customer("r2").value()["enrollments"].size() == 1);
}

TEST_CASE(
    "unsubscribe: every email carries a signed one-click link; tampering is refused; using it "
    "stops marketing") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "un-1"}, {"traits", {{"email", "un1@example.com"}}}});
  j.send("/v1/track", {{"userId", "un-1"}, {"event", "Signed Up"}});
  // The dispatcher writes the welcome email (log channel) with its List-Unsubscribe headers.
  const fs::path outbox = j.tmp.path() / "outbox" / "email.ndjson";
  json email;
  for (int i = 0; i < 500 && email.is_null(); ++i) {
    std::istringstream lines(readAll(outbox));
    std::string line;
    while (std::getline(lines, line)) {
      auto m = json::parse(line, nullptr, false);
      if (m.is_object() && m.value("to", "") == "un1@example.com") email = m;
    }
    if (email.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(email.is_object());
  const std::string html = email["html"];
  auto at = html.find("/u/");
  REQUIRE(at != std::string::npos);
  const std::string token = html.substr(at + 3, html.find('"', at) - at - 3);
  CAPTURE(email["headers"].dump());
  CHECK(email["headers"].value("List-Unsubscribe", "").find(token) != std::string::npos);

  auto c = j.d.client();
  auto page = c.Get("/u/" + token);
  REQUIRE(page);
  CHECK(page->status == 200);
  // The welcome belongs to the onboarding topic: the page offers that topic or all marketing email.
  CHECK(page->body.find("<form method=\"post\" action=\"/u/" + token + "\">") != std::string::npos);
  CHECK(page->body.find("Unsubscribe from onboarding") != std::string::npos);
  CHECK(page->body.find("action=\"/u/" + token + "?scope=all\"") != std::string::npos);

  std::string forged = token;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  auto refused =
      c.Post("/u/" + forged, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK_FALSE(j.d.customer("un-1").value()["traits"].contains("consent"));

  // One click (RFC 8058): the topic's consent is withdrawn; the journey's exit_when ends it.
  auto done =
      c.Post("/u/" + token, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  REQUIRE(done);
  CHECK(done->status == 200);
  auto again =
      c.Post("/u/" + token, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  REQUIRE(again);
  CHECK(again->status == 200);  // replaying the link changes nothing and says so kindly
  auto profile = j.d.customer("un-1").value();
  CHECK(profile["traits"]["consent"]["topics"]["onboarding"] == false);
  CHECK_FALSE(profile["traits"]["consent"].contains("email"));
  auto e = j.enrollment("un-1", "newcomer-guide");
  CHECK(e["status"] == "exited");
  CHECK(e["exit_reason"] == "exit_when");
  j.advance("3d");
  CHECK(j.messages("un-1", 1).size() == 1);  // nothing after the welcome

  // Another topic still reaches them: the referral thank-you is not onboarding.
  j.send("/v1/track",
         {{"userId", "un-1"},
          {"event", "Order Completed"},
          {"properties", {{"order_id", "o-77"}, {"referrer_id", "r"}, {"first_order", true}}}});
  auto messages = j.messages("un-1", 2);
  REQUIRE(messages.size() >= 2);
  CHECK(messages[1]["status"] != "skipped");

  // "All marketing email" withdraws the channel's consent; later marketing email is skipped.
  auto all = c.Post("/u/" + token + "?scope=all", "List-Unsubscribe=One-Click",
                    "application/x-www-form-urlencoded");
  REQUIRE(all);
  CHECK(all->status == 200);
  profile = j.d.customer("un-1").value();
  CHECK(profile["traits"]["consent"]["email"] == false);
  CHECK(profile["traits"]["consent"]["topics"]["onboarding"] == false);
  int unsubscribed_events = 0;
  for (const auto& ev : profile["events"])
    unsubscribed_events += ev.value("event", "") == "Unsubscribed";
  CHECK(unsubscribed_events == 2);  // one per choice, not per replay
}

TEST_CASE(
    "quiet hours: a welcome due at 22:00 in Shanghai waits in the outbox until 08:00, then goes "
    "out") {
  TempDir tmp;
  Daemon d(tmp.path(), journeyConfig(tmp.path()) +
                           "policy:\n  timezone: Asia/Shanghai\n  quiet_hours: {start: \"21:00\", "
                           "end: \"08:00\"}\n");
  REQUIRE(d.start({"--virtual-clock", "2026-03-02T14:00:00Z"}));  // 22:00 in Shanghai
  REQUIRE(d.post("/v1/identify", R"({"userId": "q1", "traits": {"email": "q1@example.com"}})")
              ->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "q1", "event": "Signed Up"})")->status == 200);
  auto m = d.customer("q1").value()["messages"];
  REQUIRE(m.size() == 1);
  CHECK(m[0]["status"] == "pending");
  CHECK(m[0]["reason"] == "quiet hours: deferred to 2026-03-03T00:00:00.000Z");
  auto c = d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "9h59m"})", "application/json")->status == 200);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(400));  // a few dispatcher polls: still held
  CHECK(d.customer("q1").value()["messages"][0]["status"] == "pending");
  REQUIRE(c.Post("/v1/clock", R"({"advance": "1m"})", "application/json")->status == 200);
  bool sent = false;
  for (int i = 0; i < 500 && !sent; ++i) {
    sent = d.customer("q1").value()["messages"][0]["status"] == "sent";
    if (!sent) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(sent);
}

TEST_CASE("the global holdout gets no marketing, and the skip says why") {
  TempDir tmp;
  Daemon d(tmp.path(), journeyConfig(tmp.path()) + "policy:\n  holdout_percent: 50\n");
  REQUIRE(d.start({"--virtual-clock", kStart}));
  int held = 0, sent = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "h" + std::to_string(i);
    REQUIRE(d.post("/v1/identify",
                   json{{"userId", id}, {"traits", {{"email", id + "@example.com"}}}}.dump())
                ->status == 200);
    REQUIRE(d.post("/v1/track", json{{"userId", id}, {"event", "Signed Up"}}.dump())->status ==
            200);
    auto m = d.customer(id).value()["messages"];
    REQUIRE(m.size() == 1);
    if (m[0]["status"] == "skipped") {
      CHECK(m[0]["reason"] == "holdout: in the global holdout group");
      ++held;
    } else {
      ++sent;
    }
  }
  CHECK(held > 5);
  CHECK(sent > 5);
}

TEST_CASE("frequency caps and per-channel consent skip messages and record why") {
  TempDir tmp;
  Daemon d(tmp.path(), journeyConfig(tmp.path()) +
                           "policy:\n  caps:\n    - {channel: email, max: 2, per: 7d}\n");
  REQUIRE(d.start({"--virtual-clock", kStart}));
  // The newcomer guide sends email at day 0, 1 and (as SMS) 3; a cart nudge on top hits the cap.
  REQUIRE(d.post("/v1/identify", R"({"userId": "cap-1", "traits": {"email": "cap@example.com"}})")
              ->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "cap-1", "event": "Signed Up"})")->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "cap-1", "event": "Signed Up", "messageId": "again"})")
              ->status == 200);
  auto c = d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "1d"})", "application/json")->status == 200);
  json messages;
  for (int i = 0; i < 500; ++i) {
    messages = d.customer("cap-1").value()["messages"];
    if (messages.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(messages.size() >= 2);
  REQUIRE(d.post("/v1/track",
                 R"({"userId": "cap-1", "event": "Product Added", "properties": {"cart_id": "k"}})")
              ->status == 200);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "1h"})", "application/json")->status ==
          200);  // no order: wait for 10:00
  for (int i = 0; i < 500; ++i) {
    const json profile = d.customer("cap-1").value();
    bool waiting = false;
    for (const auto& e : profile["enrollments"]) waiting |= e["step"] == "next-weekday-morning";
    if (waiting) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(c.Post("/v1/clock", R"({"advance": "8h"})", "application/json")->status ==
          200);  // 10:00: the nudge is due
  bool capped = false;
  for (int i = 0; i < 500 && !capped; ++i) {
    messages = d.customer("cap-1").value()["messages"];
    for (const auto& m : messages)
      capped |= m["status"] == "skipped" &&
                m["reason"].get<std::string>().rfind(
                    "capped: at most 2 email per 1w, already taken by newcomer-guide/", 0) == 0;
    if (!capped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(capped);

  // No consent for email: recorded as such, nothing sent. (The referral journey has no
  // exit_when on consent, so its thank-you email reaches the policy and is skipped there; its
  // webhook to the reward system is not a message to the person and goes.)
  REQUIRE(
      d.post(
           "/v1/identify",
           R"({"userId": "nc-1", "traits": {"email": "nc@example.com", "consent": {"email": false}}})")
          ->status == 200);
  REQUIRE(
      d.post(
           "/v1/track",
           R"({"userId": "nc-1", "event": "Order Completed", "properties": {"order_id": "n1", "referrer_id": "r", "first_order": true}})")
          ->status == 200);
  auto m = d.customer("nc-1").value()["messages"];
  REQUIRE(m.size() == 2);
  CHECK(m[0]["channel"] == "email");  // newest first
  CHECK(m[0]["status"] == "skipped");
  CHECK(m[0]["reason"] == "no consent for email");
  CHECK(m[1]["channel"] == "webhook");
  CHECK(m[1]["status"] != "skipped");
}

TEST_CASE(
    "a suppressed address gets nothing on that channel; the list is managed over the admin API") {
  JourneyDaemon j;
  auto c = j.d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  auto bad = c.Post("/v1/suppressions", R"({"channel": "email", "address": "not-an-address"})",
                    "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["error"]["field"] == "address");
  auto added =
      c.Post("/v1/suppressions",
             R"({"channel": "email", "address": " Bounce@Example.com ", "reason": "hard_bounce"})",
             "application/json");
  REQUIRE(added);
  REQUIRE(added->status == 200);
  CHECK(json::parse(added->body)["address"] == "bounce@example.com");

  j.send("/v1/identify", {{"userId", "sup-1"}, {"traits", {{"email", "bounce@example.com"}}}});
  j.send("/v1/track", {{"userId", "sup-1"}, {"event", "Signed Up"}});
  auto m = j.d.customer("sup-1").value()["messages"];
  REQUIRE(m.size() == 1);
  CHECK(m[0]["status"] == "skipped");
  CHECK(m[0]["reason"] == "suppressed: hard_bounce");

  auto listed = c.Get("/v1/suppressions");
  REQUIRE(listed);
  CHECK(json::parse(listed->body)["suppressions"].size() == 1);
  REQUIRE(c.Delete("/v1/suppressions/email/bounce@example.com")->status == 200);
  CHECK(c.Delete("/v1/suppressions/email/bounce@example.com")->status == 404);
  // Lifted: the next message goes out again.
  j.advance("1d");
  auto after = j.messages("sup-1", 2);
  REQUIRE(after.size() == 2);
  CHECK(after[1]["status"] != "skipped");
}

TEST_CASE(
    "explain tells a customer's story: entry checks, branches with their values, waits, policy, "
    "outcomes") {
  JourneyDaemon j;
  // No phone: the day-3 SMS coupon cannot go out, and explain must say so.
  j.send("/v1/identify", {{"userId", "ex-1"}, {"traits", {{"email", "ex@example.com"}}}});
  j.send("/v1/track", {{"userId", "ex-1"}, {"event", "Signed Up"}});
  j.send("/v1/track",
         {{"userId", "ex-1"}, {"event", "Signed Up"}, {"messageId", "twice"}});  // already in
  j.advance("1d");
  j.messages("ex-1", 2);
  j.advance("2d");
  auto messages = j.messages("ex-1", 3);
  REQUIRE(messages.size() == 3);
  // A customer with no email fails the entry check.
  j.send("/v1/identify", {{"userId", "ex-2"}, {"traits", {{"name", "No Mail"}}}});
  j.send("/v1/track", {{"userId", "ex-2"}, {"event", "Signed Up"}});

  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> cmd = {JOURNEYD_BINARY, "explain"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmd.insert(cmd.end(), {"--config", j.d.configPath().string()});
    return runCommand(cmd, j.tmp.path());
  };
  auto out = run({"ex-1", "newcomer-guide"});
  INFO(out.err);
  REQUIRE(out.status == 0);
  const std::string& text = out.out;
  INFO(text);
  auto has = [&](const std::string& needle) { return text.find(needle) != std::string::npos; };
  CHECK(has("journey newcomer-guide"));
  CHECK(has("entry check: entry.when customer.email (\"ex@example.com\") exists → true"));
  CHECK(has("enter 'newcomer-guide' on Signed Up"));
  CHECK(has("did not enter: already in the journey"));
  CHECK(has("message email newcomer/welcome → queued"));
  CHECK(has("message email newcomer/welcome sent"));
  CHECK(has("no-order-after-day-1  if → then ((customer.orders_count (0) == 0 → true)"));
  CHECK(has("wait 2d until 2026-03-05T01:00:00.000Z"));
  CHECK(has("message sms newcomer/coupon → skipped: missing address: the customer has no phone"));
  // In order: the welcome is decided before it is sent, the SMS comes last.
  CHECK(text.find("newcomer/welcome → queued") < text.find("newcomer/welcome sent"));
  CHECK(text.find("newcomer/welcome sent") < text.find("newcomer/coupon → skipped"));

  auto refused = run({"ex-2"});
  REQUIRE(refused.status == 0);
  INFO(refused.out);
  CHECK(refused.out.find("did not enter: entry.when customer.email") != std::string::npos);

  auto json_out = run({"ex-1", "--json"});
  REQUIRE(json_out.status == 0);
  auto e = json::parse(json_out.out);
  REQUIRE(e["journeys"].size() >= 1);
  CHECK(e["journeys"][0]["lines"].size() > 8);

  // The same over the admin API (JSON, or the CLI's text with ?format=text).
  auto api = j.d.get("/v1/customers/ex-1/explain?journey=newcomer-guide");
  REQUIRE(api);
  REQUIRE(api->status == 200);
  auto body = json::parse(api->body);
  REQUIRE(body["journeys"].size() == 1);
  CHECK(body["journeys"][0]["journey"] == "newcomer-guide");
  const auto& lines = body["journeys"][0]["lines"];
  REQUIRE(lines.size() >= 3);
  CHECK(lines[lines.size() - 3]["text"] == "send sms newcomer/coupon");
  CHECK(lines[lines.size() - 2]["text"] ==
        "message sms newcomer/coupon → skipped: missing address: the customer has no phone");
  CHECK(lines.back()["text"] == "exit: completed — end of the journey");
  auto text_api = j.d.get("/v1/customers/ex-1/explain?journey=newcomer-guide&format=text");
  REQUIRE(text_api);
  CHECK(text_api->body == text);
  auto missing = j.d.get("/v1/customers/nobody/explain");
  REQUIRE(missing);
  CHECK(missing->status == 404);

  auto unknown = run({"nobody"});
  CHECK(unknown.status == 1);
  CHECK(unknown.err.find("no customer nobody") != std::string::npos);

  // Erasing the customer takes their journey history and messages with them; the suppression
  // list, which is about the address, stays.
  auto c = j.d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/suppressions",
                 R"({"channel": "email", "address": "ex@example.com", "reason": "complaint"})",
                 "application/json")
              ->status == 200);
  REQUIRE(c.Delete("/v1/customers/ex-1")->status == 200);
  CHECK(json::parse(c.Get("/v1/suppressions")->body)["suppressions"].size() == 1);
  auto report = runCommand({JOURNEYD_BINARY, "report", "newcomer-guide", "--json", "--config",
                            j.d.configPath().string()},
                           j.tmp.path());
  REQUIRE(report.status == 0);
  auto r = json::parse(report.out);
  CHECK(r["entered"] == 0);
  CHECK(r["messages_by_step"].empty());
}

TEST_CASE("journey log lines older than store.journey_log_retention are pruned by the scheduler") {
  TempDir tmp;
  // Continues the store: section the test daemon's config starts with.
  Daemon d(tmp.path(), "  journey_log_retention: 1d\n" + journeyConfig(tmp.path()));
  REQUIRE(d.start({"--virtual-clock", kStart}));
  REQUIRE(d.post("/v1/identify", R"({"userId": "old-1", "traits": {"email": "old1@example.com"}})")
              ->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "old-1", "event": "Signed Up"})")->status == 200);
  // The oldest journey-log line (the outbox's own "… sent" lines are the messages' record, kept).
  auto first = [&] {
    auto e = json::parse(d.get("/v1/customers/old-1/explain?journey=newcomer-guide")->body);
    if (e["journeys"].empty()) return std::string();
    for (const auto& l : e["journeys"][0]["lines"]) {
      const std::string text = l["text"];
      if (text.rfind("message ", 0) != 0 || text.find("→") != std::string::npos)
        return l["time"].get<std::string>();
    }
    return std::string();
  };
  CHECK(first() == "2026-03-02T01:00:00.000Z");
  auto c = d.client();
  c.set_bearer_token_auth(Daemon::kAdminKey);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "1d"})", "application/json")->status == 200);
  REQUIRE(c.Post("/v1/clock", R"({"advance": "2d"})", "application/json")->status == 200);
  // Now 2026-03-05T01:00: what happened before 2026-03-04T01:00 goes, the day-3 lines stay.
  std::string oldest;
  for (int i = 0; i < 500; ++i) {
    oldest = first();
    if (oldest >= "2026-03-04") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(oldest == "2026-03-05T01:00:00.000Z");
}

TEST_CASE("the virtual clock: GET reads it, POST moves it, both with the admin key only") {
  JourneyDaemon j;
  auto c = j.d.client();
  CHECK(c.Get("/v1/clock")->status == 401);
  c.set_bearer_token_auth(Daemon::kWriteKey);
  CHECK(c.Post("/v1/clock", R"({"advance": "1h"})", "application/json")->status == 401);
  c.set_bearer_token_auth(Daemon::kAdminKey);
  auto before = json::parse(c.Get("/v1/clock")->body);
  CHECK(before["virtual"] == true);
  CHECK(before["now"] == "2026-03-02T01:00:00.000Z");
  auto moved = c.Post("/v1/clock", R"({"advance": "1d"})", "application/json");
  REQUIRE(moved->status == 200);
  CHECK(json::parse(moved->body)["now"] == "2026-03-03T01:00:00.000Z");
  CHECK(json::parse(c.Get("/v1/clock")->body)["now"] == "2026-03-03T01:00:00.000Z");
}

TEST_CASE("SIGHUP applies a changed delivery policy to the messages planned after it") {
  JourneyDaemon j;
  j.send("/v1/identify", {{"userId", "before"}, {"traits", {{"email", "before@example.com"}}}});
  j.send("/v1/track", {{"userId", "before"}, {"event", "Signed Up"}});
  auto first = j.messages("before", 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0]["reason"].is_null());  // no quiet hours configured: queued as is

  // Quiet hours over the whole (UTC) day from now on.
  writeFile(j.d.configPath(),
            readAll(j.d.configPath()) +
                "policy:\n  timezone: UTC\n  quiet_hours: {start: \"00:00\", end: \"23:59\"}\n");
  j.d.signal(SIGHUP);
  for (int i = 0; i < 500 && j.d.log().find("msg=\"reloaded\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(j.d.log().find("msg=\"reloaded\"") != std::string::npos);
  j.send("/v1/identify", {{"userId", "after"}, {"traits", {{"email", "after@example.com"}}}});
  j.send("/v1/track", {{"userId", "after"}, {"event", "Signed Up"}});
  auto second = j.messages("after", 1);
  REQUIRE(second.size() == 1);
  REQUIRE(second[0]["reason"].is_string());
  CHECK(second[0]["reason"].get<std::string>().rfind("quiet hours", 0) == 0);
}
