// Each shipped journey on a scripted timeline, through the real loader, step machine and
// simulation driver: what the business asked for is what the files do.
#include "tests/engine/engine_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

namespace {

const JourneyDefinitions& shipped() {
  static const JourneyDefinitions kDefs = [] {
    Diagnostics diagnostics;
    auto defs = loadDefinitions(std::string(JOURNEYD_SOURCE_DIR) + "/journeys", {}, diagnostics);
    if (diagnostics.hasErrors()) FAIL(diagnostics.format());
    return defs;
  }();
  return kDefs;
}

const Journey& journey(const std::string& id) {
  for (const auto& j : shipped().journeys) {
    if (j->id == id) return *j;
  }
  FAIL("no shipped journey " << id);
  throw 0;  // unreachable: FAIL throws in doctest
}

SimulationResult run(const std::string& id, nlohmann::json customer, std::vector<SimulationEvent> events,
                     DurationMs duration = 30 * kDayMs) {
  SimulationOptions options;
  options.start = kT0;
  options.duration = duration;
  return simulateJourney(journey(id), std::move(customer), std::move(events), options);
}

TimeMs day(double d) { return kT0 + static_cast<TimeMs>(d * static_cast<double>(kDayMs)); }

using Sends = std::vector<std::string>;

const nlohmann::json kNewcomer = {{"email", "li@example.com"}, {"orders_count", 0}, {"unsubscribed", false}};

}  // namespace

TEST_CASE("newcomer guide: no order → welcome, guide and coupon at day 0, 1 and 3") {
  auto r = run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome", "+1d email newcomer/first-steps", "+3d sms newcomer/coupon"});
  CHECK(r.enrollment.status == EnrollmentStatus::kCompleted);
  CHECK_FALSE(r.enrollment.converted_at);
}

TEST_CASE("newcomer guide: a first order at day 2 converts after two messages") {
  auto r = run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}, {day(2), "Order Completed", {{"revenue", 99}}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome", "+1d email newcomer/first-steps"});
  CHECK(r.enrollment.status == EnrollmentStatus::kConverted);
  CHECK(r.enrollment.converted_at == day(2));
}

TEST_CASE("newcomer guide: an order before day 1 skips the guide; no email, no entry") {
  auto r = run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}, {day(0.5), "Order Completed", {}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome"});
  CHECK(r.enrollment.status == EnrollmentStatus::kConverted);
  auto no_email = run("newcomer-guide", {{"orders_count", 0}}, {{kT0, "Signed Up", {}}});
  CHECK_FALSE(no_email.entered);
  CHECK(sends(no_email).empty());
}

TEST_CASE("newcomer guide: unsubscribing in the middle of the wait exits at once") {
  auto r = run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}, {day(1.5), "identify", {{"unsubscribed", true}}}});
  CHECK(sends(r) == Sends{"+0 email newcomer/welcome", "+1d email newcomer/first-steps"});
  CHECK(r.enrollment.exit_reason == ExitReason::kExitWhen);
  CHECK(r.enrollment.finished_at == day(1.5));
}

TEST_CASE("win-back: coupon on entering dormant, SMS reminder 3 days later if unused") {
  nlohmann::json dormant = {{"email", "w@example.com"}, {"orders_count", 3},
                            {"last_order_at", formatIsoTime(kT0 - 61 * kDayMs)}};
  auto r = run("win-back", dormant, {});
  CHECK(sends(r) == Sends{"+0 email winback/coupon", "+3d sms winback/reminder"});
  auto used = run("win-back", dormant, {{day(1), "Order Completed", {{"total", 50}}}});
  CHECK(sends(used) == Sends{"+0 email winback/coupon"});
  CHECK(used.enrollment.status == EnrollmentStatus::kConverted);
  // An order after the reminder but within 30 days still counts as converted.
  auto late = run("win-back", dormant, {{day(20), "Order Completed", {}}});
  CHECK(late.enrollment.converted_at == day(20));
}

TEST_CASE("win-back: at most once per 180 days") {
  const Journey& j = journey("win-back");
  auto ctx = view({{"email", "w@example.com"}}, kT0);
  TriggerInput input{TriggerKind::kSegmentEntered, {"dormant", {}, kT0}};
  CHECK_FALSE(decideEntry(j, input, ctx, {{"", kT0 - 100 * kDayMs, false}}, kT0).enter);
  CHECK(decideEntry(j, input, ctx, {{"", kT0 - 181 * kDayMs, false}}, kT0).enter);
}

TEST_CASE("member exclusive: invitation, reminder the day before at 10:00 local, thanks after attending") {
  // High value is the segments.yaml rule (top RFM tiers or predicted CLV), seen as a membership.
  nlohmann::json vip = {{"email", "v@example.com"}, {"segments", {"high-value"}}, {"timezone", "Asia/Shanghai"}};
  SimulationEvent announced{kT0, "Member Event Announced", {{"event_id", "E1"}, {"event_date", "2024-06-10"}}};
  auto attended = run("member-exclusive", vip,
                      {announced,
                       {*parseIsoTime("2024-06-10T05:00:00Z"), "Event Attended", {{"event_id", "E2"}}},
                       {*parseIsoTime("2024-06-10T06:00:00Z"), "Event Attended", {{"event_id", "E1"}}}});
  REQUIRE(attended.effects.size() >= 3);
  std::vector<std::string> sent;
  for (const auto& fx : attended.effects) {
    if (fx.effect.kind == EffectKind::kSend) sent.push_back(formatIsoTime(fx.time) + " " + fx.effect.template_name);
  }
  CHECK(sent == std::vector<std::string>{"2024-06-03T08:00:00.000Z member/invitation",
                                         "2024-06-09T02:00:00.000Z member/reminder",
                                         "2024-06-10T06:00:00.000Z member/thank-you"});
  CHECK(attended.customer["tags"] == nlohmann::json::array({"member-event-attendee"}));
  CHECK(attended.enrollment.status == EnrollmentStatus::kCompleted);

  auto absent = run("member-exclusive", vip, {announced});
  CHECK(sends(absent).size() == 2);
  CHECK(absent.enrollment.exit_reason == ExitReason::kExitStep);
  CHECK(absent.enrollment.exit_detail == "did not attend");

  auto ordinary = run("member-exclusive", {{"email", "o@example.com"}, {"segments", {"dormant"}}}, {announced});
  CHECK_FALSE(ordinary.entered);
  REQUIRE(ordinary.trace.size() == 1);
  CHECK(ordinary.trace[0].text.rfind("did not enter: entry.when", 0) == 0);
  CHECK(ordinary.trace[0].text.find("customer.segments") != std::string::npos);
}

TEST_CASE("birthday: 09:00 in the customer's timezone, a richer gift for VIPs") {
  nlohmann::json vip = {{"email", "b@example.com"}, {"birthday", "1990-06-05"}, {"timezone", "Asia/Shanghai"},
                        {"segments", {"high-value"}}};
  auto r = run("birthday", vip, {});
  REQUIRE(r.effects.size() >= 1);
  CHECK(r.effects[0].time == *parseIsoTime("2024-06-05T01:00:00Z"));
  CHECK(r.effects[0].effect.template_name == "birthday/greeting-vip");
  CHECK(r.effects[0].effect.data["coupon_code"] == "BDAYVIP");
  nlohmann::json regular = vip;
  regular["segments"] = nlohmann::json::array();
  auto plain = run("birthday", regular, {});
  REQUIRE_FALSE(plain.effects.empty());
  CHECK(plain.effects[0].effect.template_name == "birthday/greeting");
}

TEST_CASE("cart abandon: one instance per cart; nudge at the next weekday 10:00 unless that cart is ordered") {
  nlohmann::json c = {{"email", "c@example.com"}};
  SimulationEvent added{kT0, "Product Added", {{"cart_id", "C1"}}};  // Monday 08:00 UTC
  auto abandoned = run("cart-abandon", c, {added, {day(0.01), "Order Completed", {{"cart_id", "C2"}}}});
  CHECK(sends(abandoned) == Sends{"+2h email cart/nudge"});
  CHECK(abandoned.enrollment.key == "C1");
  auto ordered = run("cart-abandon", c, {added, {kT0 + 30 * kMinuteMs, "Order Completed", {{"cart_id", "C1"}}}});
  CHECK(sends(ordered).empty());
  CHECK(ordered.enrollment.status == EnrollmentStatus::kConverted);
}

TEST_CASE("referral: the referred friend's first order rewards the referrer") {
  SimulationEvent first{kT0, "Order Completed", {{"order_id", "O1"}, {"referrer_id", "R7"}, {"first_order", true}}};
  auto r = run("referral", {{"email", "f@example.com"}}, {first});
  CHECK(sends(r) == Sends{"+0 webhook referral/reward-webhook", "+0 email referral/friend-thanks"});
  CHECK(r.effects[0].effect.data["referrer_id"] == "R7");
  CHECK(r.effects[0].effect.data["amount"] == 50);
  bool emitted = false;
  for (const auto& fx : r.effects) emitted = emitted || (fx.effect.kind == EffectKind::kEmitEvent && fx.effect.name == "Referral Rewarded");
  CHECK(emitted);
  CHECK(r.customer["tags"] == nlohmann::json::array({"referred-customer"}));
  auto plain_order = run("referral", {{"email", "f@example.com"}}, {{kT0, "Order Completed", {{"order_id", "O2"}}}});
  CHECK_FALSE(plain_order.entered);
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

TEST_CASE("the simulation timeline reads as the plan") {
  auto r = run("newcomer-guide", kNewcomer, {{kT0, "Signed Up", {}}, {day(2), "Order Completed", {}}});
  CHECK(formatTimeline(r) ==
        "2024-06-03T08:00:00.000Z  -  enter 'newcomer-guide' on Signed Up\n"
        "2024-06-03T08:00:00.000Z  welcome  send email newcomer/welcome\n"
        "2024-06-03T08:00:00.000Z  wait-first-day  wait 1d until 2024-06-04T08:00:00.000Z\n"
        "2024-06-04T08:00:00.000Z  wait-first-day  waited until 2024-06-04T08:00:00.000Z\n"
        "2024-06-04T08:00:00.000Z  no-order-after-day-1  if → then ((customer.orders_count (0) == 0 → true) or "
        "(customer.orders_count not exists: not needed) → true)\n"
        "2024-06-04T08:00:00.000Z  first-steps  send email newcomer/first-steps\n"
        "2024-06-04T08:00:00.000Z  wait-two-days  wait 2d until 2024-06-06T08:00:00.000Z\n"
        "2024-06-05T08:00:00.000Z  wait-two-days  exit: converted — goal event 'Order Completed'\n");
}
