// Each shipped journey on a scripted timeline, run by the daemon's own runtime (planner, store,
// claim-time policy) on a scratch store: what the business asked for is what the files do. The
// shipped segments are computed from the customer, as in the daemon.
#include <doctest/doctest.h>

#include "daemon/engine/entry.h"
#include "daemon/expr/eval_context.h"
#include "daemon/journeys/loader.h"
#include "daemon/scheduler/catalog_loader.h"
#include "daemon/scheduler/simulation.h"

using namespace journeyd;

namespace {

const TimeMs kT0 = *parseIsoTime("2024-06-03T08:00:00Z");  // a Monday

/// The shipped journeys, segments and templates, with the channel kinds their names say.
CatalogPtr shipped() {
  static const CatalogPtr kCatalog = [] {
    Config config;
    config.journeys_dir = std::string(JOURNEYD_SOURCE_DIR) + "/journeys";
    config.templates_dir = std::string(JOURNEYD_SOURCE_DIR) + "/templates";
    Diagnostics diagnostics;
    auto loaded = loadCatalog(config, diagnostics);
    if (diagnostics.hasErrors()) FAIL(diagnostics.format());
    auto catalog = std::make_shared<RuntimeCatalog>(*loaded.catalog);
    for (const char* kind : {"email", "sms", "webhook"})
      catalog->channels[kind] = *parseChannelKind(kind);
    return CatalogPtr(catalog);
  }();
  return kCatalog;
}

const Journey& journey(const std::string& id) {
  auto j = shipped()->find(id);
  if (!j) FAIL("no shipped journey " << id);
  return *j;
}

/// One journey (with every shipped segment) for one customer.
struct Run {
  SimulationRun run;
  const SimulatedJourney& j() const { return run.journeys.front(); }
  bool entered() const { return j().entered; }
  const Enrollment& enrollment() const {
    REQUIRE(j().last.has_value());
    return *j().last;
  }
  nlohmann::json tags() const { return run.customer ? run.customer->tags : nlohmann::json(); }
};

Run run(const std::string& id, nlohmann::json customer, std::vector<SimulationEvent> events,
        DurationMs duration = 30 * kDayMs) {
  auto catalog = std::make_shared<RuntimeCatalog>(*shipped());
  catalog->journeys = {shipped()->find(id)};
  catalog->current.clear();
  catalog->current[id] = catalog->journeys.front();
  catalog->trigger_events.clear();
  catalog->segment_events.clear();
  catalog->attribute_triggers = false;
  catalog->index();
  SimulationSetup setup;
  setup.catalog = catalog;
  if (!customer.contains("id")) customer["id"] = "1";
  setup.customer = std::move(customer);
  setup.events = std::move(events);
  setup.start = kT0;
  setup.duration = duration;
  auto r = simulate(setup);
  REQUIRE(r);
  return Run{std::move(*r)};
}

TimeMs day(double d) { return kT0 + static_cast<TimeMs>(d * static_cast<double>(kDayMs)); }

using Sends = std::vector<std::string>;

/// Every message the journey decided on: "+OFFSET CHANNEL TEMPLATE" from the start.
Sends sends(const Run& r) {
  Sends out;
  for (const auto& m : r.j().messages) {
    out.push_back((m.time == kT0 ? std::string("+0") : "+" + formatDuration(m.time - kT0)) + " " +
                  m.channel + " " + m.template_name);
  }
  return out;
}

const nlohmann::json kNewcomer = {
    {"email", "li@example.com"}, {"orders_count", 0}, {"unsubscribed", false}};
/// High value by the shipped rule (top RFM tiers), as a fitted model would tag them.
const nlohmann::json kChampion = {{"segment", "champions"}};

}  // namespace

TEST_CASE("newcomer guide: no order → welcome, guide and coupon at day 0, 1 and 3") {
  auto r = run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome", "+1d email newcomer/first-steps",
                          "+3d sms newcomer/coupon"});
  CHECK(r.enrollment().status == EnrollmentStatus::kCompleted);
  CHECK_FALSE(r.enrollment().converted_at);
}

TEST_CASE("newcomer guide: a first order at day 2 converts after two messages") {
  auto r = run("newcomer-guide", kNewcomer,
               {{kT0, "Signed Up", {}}, {day(2), "Order Completed", {{"revenue", 99}}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome", "+1d email newcomer/first-steps"});
  CHECK(r.enrollment().status == EnrollmentStatus::kConverted);
  CHECK(r.enrollment().converted_at == day(2));
}

TEST_CASE("newcomer guide: an order before day 1 skips the guide; no email, no entry") {
  auto r =
      run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}, {day(0.5), "Order Completed", {}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome"});
  CHECK(r.enrollment().status == EnrollmentStatus::kConverted);
  auto no_email = run("newcomer-guide", {{"orders_count", 0}}, {{kT0, "Signed Up", {}}});
  CHECK_FALSE(no_email.entered());
  CHECK(sends(no_email).empty());
}

TEST_CASE("newcomer guide: unsubscribing in the middle of the wait exits at once") {
  auto r = run("newcomer-guide", kNewcomer,
               {{kT0, "Signed Up", {}}, {day(1.5), "identify", {{"unsubscribed", true}}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome", "+1d email newcomer/first-steps"});
  CHECK(r.enrollment().exit_reason == ExitReason::kExitWhen);
  CHECK(r.enrollment().finished_at == day(1.5));
}

TEST_CASE("win-back: coupon on entering dormant, SMS reminder 3 days later if unused") {
  nlohmann::json dormant = {{"email", "w@example.com"},
                            {"orders_count", 3},
                            {"last_order_at", formatIsoTime(kT0 - 61 * kDayMs)}};
  auto r = run("win-back", dormant, {});
  CHECK(sends(r) == Sends{"+0 email winback/coupon", "+3d sms winback/reminder"});
  auto used = run("win-back", dormant, {{day(1), "Order Completed", {{"total", 50}}}});
  CHECK(sends(used) == Sends{"+0 email winback/coupon"});
  CHECK(used.enrollment().status == EnrollmentStatus::kConverted);
  // An order after the reminder but within 30 days still counts as converted.
  auto late = run("win-back", dormant, {{day(20), "Order Completed", {}}});
  CHECK(late.enrollment().converted_at == day(20));
}

TEST_CASE("win-back: at most once per 180 days") {
  const Journey& j = journey("win-back");
  JsonEvalContext ctx(nlohmann::json{{"customer", {{"email", "w@example.com"}}}}, kT0);
  TriggerInput input{TriggerKind::kSegmentEntered, {"dormant", {}, kT0}};
  CHECK_FALSE(decideEntry(j, input, ctx, {{"", kT0 - 100 * kDayMs, false}}, kT0).enter);
  CHECK(decideEntry(j, input, ctx, {{"", kT0 - 181 * kDayMs, false}}, kT0).enter);
}

TEST_CASE(
    "member exclusive: invitation, reminder the day before at 10:00 local, thanks after "
    "attending") {
  // High value is the segments.yaml rule (top RFM tiers or predicted CLV), computed from the
  // customer.
  nlohmann::json vip = {
      {"email", "v@example.com"}, {"rfm", kChampion}, {"timezone", "Asia/Shanghai"}};
  SimulationEvent announced{
      kT0, "Member Event Announced", {{"event_id", "E1"}, {"event_date", "2024-06-10"}}};
  auto attended =
      run("member-exclusive", vip,
          {announced,
           {*parseIsoTime("2024-06-10T05:00:00Z"), "Event Attended", {{"event_id", "E2"}}},
           {*parseIsoTime("2024-06-10T06:00:00Z"), "Event Attended", {{"event_id", "E1"}}}});
  std::vector<std::string> sent;
  for (const auto& m : attended.j().messages)
    sent.push_back(formatIsoTime(m.time) + " " + m.template_name);
  CHECK(sent == std::vector<std::string>{"2024-06-03T08:00:00.000Z member/invitation",
                                         "2024-06-09T02:00:00.000Z member/reminder",
                                         "2024-06-10T06:00:00.000Z member/thank-you"});
  CHECK(attended.tags() == nlohmann::json::array({"member-event-attendee"}));
  CHECK(attended.enrollment().status == EnrollmentStatus::kCompleted);

  auto absent = run("member-exclusive", vip, {announced});
  CHECK(sends(absent).size() == 2);
  CHECK(absent.enrollment().exit_reason == ExitReason::kExitStep);
  CHECK(absent.enrollment().exit_detail == "did not attend");

  // Not high value (no top tier, no CLV): the announcement does not invite them, and the story says
  // why.
  auto ordinary = run("member-exclusive", {{"email", "o@example.com"}}, {announced});
  CHECK_FALSE(ordinary.entered());
  CHECK(ordinary.j().entry.rfind("entry.when", 0) == 0);
  CHECK(ordinary.j().entry.find("customer.segments") != std::string::npos);
}

TEST_CASE("birthday: 09:00 in the customer's timezone, a richer gift for VIPs") {
  nlohmann::json vip = {{"email", "b@example.com"},
                        {"birthday", "1990-06-05"},
                        {"timezone", "Asia/Shanghai"},
                        {"rfm", kChampion}};
  auto r = run("birthday", vip, {});
  REQUIRE(r.j().messages.size() >= 1);
  CHECK(r.j().messages[0].time == *parseIsoTime("2024-06-05T01:00:00Z"));
  CHECK(r.j().messages[0].template_name == "birthday/greeting-vip");
  CHECK(r.j().messages[0].rendered.find("BDAYVIP") !=
        std::string::npos);  // the VIP coupon, rendered
  nlohmann::json regular = vip;
  regular.erase("rfm");
  auto plain = run("birthday", regular, {});
  REQUIRE_FALSE(plain.j().messages.empty());
  CHECK(plain.j().messages[0].template_name == "birthday/greeting");
}

TEST_CASE(
    "cart abandon: one instance per cart; nudge at the next weekday 10:00 unless that cart is "
    "ordered") {
  nlohmann::json c = {{"email", "c@example.com"}};
  SimulationEvent added{kT0, "Product Added", {{"cart_id", "C1"}}};  // Monday 08:00 UTC
  auto abandoned =
      run("cart-abandon", c, {added, {day(0.01), "Order Completed", {{"cart_id", "C2"}}}});
  CHECK(sends(abandoned) == Sends{"+2h email cart/nudge"});
  CHECK(abandoned.enrollment().key == "C1");
  auto ordered = run("cart-abandon", c,
                     {added, {kT0 + 30 * kMinuteMs, "Order Completed", {{"cart_id", "C1"}}}});
  CHECK(sends(ordered).empty());
  CHECK(ordered.enrollment().status == EnrollmentStatus::kConverted);
}

TEST_CASE("referral: the referred friend's first order rewards the referrer") {
  SimulationEvent first{
      kT0, "Order Completed", {{"order_id", "O1"}, {"referrer_id", "R7"}, {"first_order", true}}};
  auto r = run("referral", {{"email", "f@example.com"}}, {first});
  CHECK(sends(r) == Sends{"+0 webhook referral/reward-webhook", "+0 email referral/friend-thanks"});
  const auto reward = nlohmann::json::parse(
      nlohmann::json::parse(r.j().messages[0].rendered)["body"].get<std::string>());
  CHECK(reward.dump().find("R7") != std::string::npos);
  CHECK(reward.dump().find("50") != std::string::npos);
  bool emitted = false;
  for (const auto& l : r.run.lines) emitted = emitted || l.text == "emit 'Referral Rewarded'";
  CHECK(emitted);
  CHECK(r.tags() == nlohmann::json::array({"referred-customer"}));
  auto plain_order = run("referral", {{"email", "f@example.com"}},
                         {{kT0, "Order Completed", {{"order_id", "O2"}}}});
  CHECK_FALSE(plain_order.entered());
}

TEST_CASE("NPS survey: three days after the order on a weekday morning; follow-up by score") {
  nlohmann::json c = {{"email", "n@example.com"}};
  SimulationEvent order{kT0, "Order Completed", {{"order_id", "O1"}}};  // Monday 08:00 UTC
  auto silent = run("nps-survey", c, {order});
  CHECK(sends(silent) == Sends{"+74h email nps/survey", "+170h sms nps/reminder"});
  auto promoter = run("nps-survey", c, {order, {day(4), "Survey Answered", {{"score", 10}}}});
  CHECK(sends(promoter) == Sends{"+74h email nps/survey", "+4d email nps/promoter-thanks"});
  auto detractor = run("nps-survey", c, {order, {day(4), "Survey Answered", {{"score", 3}}}});
  CHECK(sends(detractor) == Sends{"+74h email nps/survey", "+4d email nps/detractor-follow-up"});
  auto passive = run("nps-survey", c, {order, {day(4), "Survey Answered", {{"score", 7}}}});
  CHECK(sends(passive) == Sends{"+74h email nps/survey"});
}

TEST_CASE("the simulation timeline reads as the plan, the policy's decision after each send") {
  auto r =
      run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}, {day(2), "Order Completed", {}}});
  std::string timeline;
  for (const auto& l : r.run.lines) timeline += TraceLine{l.time, l.step, l.text}.format() + "\n";
  CHECK(
      timeline ==
      "2024-06-03T08:00:00.000Z  -  entry check: entry.when customer.email (\"li@example.com\") "
      "exists → true\n"
      "2024-06-03T08:00:00.000Z  -  enter 'newcomer-guide' on Signed Up\n"
      "2024-06-03T08:00:00.000Z  welcome  send email newcomer/welcome\n"
      "2024-06-03T08:00:00.000Z  welcome  message email newcomer/welcome → queued\n"
      "2024-06-03T08:00:00.000Z  wait-first-day  wait 1d until 2024-06-04T08:00:00.000Z\n"
      "2024-06-03T08:00:00.000Z  welcome  message email newcomer/welcome sent\n"
      "2024-06-04T08:00:00.000Z  wait-first-day  waited until 2024-06-04T08:00:00.000Z\n"
      "2024-06-04T08:00:00.000Z  no-order-after-day-1  if → then ((customer.orders_count (0) == 0 "
      "→ true) or "
      "(customer.orders_count not exists: not needed) → true)\n"
      "2024-06-04T08:00:00.000Z  first-steps  send email newcomer/first-steps\n"
      "2024-06-04T08:00:00.000Z  first-steps  message email newcomer/first-steps → queued\n"
      "2024-06-04T08:00:00.000Z  wait-two-days  wait 2d until 2024-06-06T08:00:00.000Z\n"
      "2024-06-04T08:00:00.000Z  first-steps  message email newcomer/first-steps sent\n"
      "2024-06-05T08:00:00.000Z  wait-two-days  exit: converted — goal event 'Order Completed'\n");
}
