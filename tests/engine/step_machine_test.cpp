#include <date/tz.h>

#include <set>

#include "tests/engine/engine_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

namespace {

const char* kWaitJourney = R"(
journey: waits
trigger: { event: Signed Up }
steps:
  - send: hello
    channel: email
    template: t/hello
  - wait: 1d
    id: pause
  - send: again
    channel: sms
    template: t/again
)";

Input wakeAt(TimeMs t) {
  Input in;
  in.kind = InputKind::kWake;
  in.now = t;
  return in;
}

Input eventAt(TimeMs t, std::string name, nlohmann::json properties = nlohmann::json::object()) {
  Input in;
  in.kind = InputKind::kEvent;
  in.now = t;
  in.event = {std::move(name), std::move(properties), t};
  return in;
}

const nlohmann::json kCustomer = {
    {"email", "ann@example.com"}, {"orders_count", 0}, {"unsubscribed", false}};

}  // namespace

TEST_CASE("a wait step wakes exactly at its due time") {
  auto j = mustLoad(kWaitJourney);
  auto ctx = view(kCustomer, kT0);
  auto start = startEnrollment(*j, "c1", {"Signed Up", {}, kT0}, ctx, kT0);
  REQUIRE(effectsOf(start, EffectKind::kSend).size() == 1);
  CHECK(effectsOf(start, EffectKind::kSend)[0]->template_name == "t/hello");
  auto wakes = effectsOf(start, EffectKind::kWakeAt);
  REQUIRE(wakes.size() == 1);
  CHECK(wakes[0]->time == kT0 + kDayMs);
  CHECK(start.enrollment.status == EnrollmentStatus::kWaiting);
  CHECK(start.enrollment.step_id == "pause");
  CHECK(start.enrollment.wake_at == kT0 + kDayMs);

  auto early =
      advance(*j, start.enrollment, view(kCustomer, kT0 + kDayMs - 1), wakeAt(kT0 + kDayMs - 1));
  CHECK(early.effects.empty());
  CHECK(early.enrollment.status == EnrollmentStatus::kWaiting);

  auto due = advance(*j, start.enrollment, view(kCustomer, kT0 + kDayMs), wakeAt(kT0 + kDayMs));
  auto sent = effectsOf(due, EffectKind::kSend);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]->channel == "sms");
  CHECK(sent[0]->template_name == "t/again");
  CHECK(due.enrollment.status == EnrollmentStatus::kCompleted);
  CHECK(due.enrollment.exit_reason == ExitReason::kCompleted);
  REQUIRE(effectsOf(due, EffectKind::kExit).size() == 1);
  CHECK(effectsOf(due, EffectKind::kExit)[0]->reason == ExitReason::kCompleted);
  // Sends are numbered for idempotency keys.
  CHECK(effectsOf(start, EffectKind::kSend)[0]->sequence != sent[0]->sequence);
}

TEST_CASE("if / elif / else takes the first true branch and explains why") {
  auto j = mustLoad(R"(
journey: branches
trigger: { event: Signed Up }
steps:
  - if: customer.orders_count == 0
    id: check
    then:
      - send: none
        channel: email
        template: t/none
    elif:
      - when: customer.orders_count < 3
        then:
          - send: few
            channel: email
            template: t/few
    else:
      - send: many
        channel: email
        template: t/many
  - send: after
    channel: email
    template: t/after
)");
  struct Row {
    int orders;
    const char* template_name;
    const char* trace;
  };
  const Row rows[] = {
      {0, "t/none", "if → then (customer.orders_count (0) == 0 → true)"},
      {2, "t/few", "if → elif 1 (customer.orders_count (2) < 3 → true)"},
      {5, "t/many",
       "if → else (customer.orders_count (5) == 0 → false; customer.orders_count (5) < 3 → false)"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.orders);
    nlohmann::json customer = {{"orders_count", row.orders}};
    auto t = startEnrollment(*j, "c", {"Signed Up", {}, kT0}, view(customer, kT0), kT0);
    auto sent = effectsOf(t, EffectKind::kSend);
    REQUIRE(sent.size() == 2);
    CHECK(sent[0]->template_name == row.template_name);
    CHECK(sent[1]->template_name == "t/after");  // every branch continues after the if
    bool found = false;
    for (const auto& line : t.trace)
      found = found || (line.step_id == "check" && line.text == row.trace);
    CHECK_MESSAGE(found, row.trace);
  }
}

TEST_CASE("a split is deterministic per customer and proportional over many") {
  auto j = mustLoad(R"(
journey: ab
trigger: { event: Signed Up }
steps:
  - split: offer-test
    variants:
      coupon: { percent: 50, steps: [ { send: coupon, channel: email, template: t/coupon } ] }
      plain: { percent: 30, steps: [ { send: plain, channel: email, template: t/plain } ] }
      control: { percent: 20 }
)");
  std::map<std::string, int> counts;
  for (int i = 0; i < 10000; ++i) {
    std::string id = "customer-" + std::to_string(i);
    auto t = startEnrollment(*j, id, {"Signed Up", {}, kT0}, view({}, kT0), kT0);
    const std::string& variant = t.enrollment.variants.at("offer-test");
    ++counts[variant];
    if (variant == "control") {
      CHECK(t.enrollment.exit_reason == ExitReason::kControlGroup);
      CHECK(effectsOf(t, EffectKind::kSend).empty());
    } else {
      REQUIRE(effectsOf(t, EffectKind::kSend).size() == 1);
      CHECK(effectsOf(t, EffectKind::kSend)[0]->template_name == "t/" + variant);
    }
    if (i % 1000 == 0) {  // the same customer always gets the same variant
      auto again =
          startEnrollment(*j, id, {"Signed Up", {}, kT0 + kDayMs}, view({}, kT0), kT0 + kDayMs);
      CHECK(again.enrollment.variants.at("offer-test") == variant);
    }
  }
  CHECK(std::abs(counts["coupon"] - 5000) <= 200);
  CHECK(std::abs(counts["plain"] - 3000) <= 200);
  CHECK(std::abs(counts["control"] - 2000) <= 200);
}

TEST_CASE("wait_for matches only events with the enrollment's key; otherwise times out") {
  auto j = mustLoad(R"(
journey: cart
trigger:
  event: Product Added
  key: event.properties.cart_id
steps:
  - wait_for: Order Completed
    id: ordered
    timeout: 1h
    on_event:
      - send: thanks
        channel: email
        template: t/thanks
    on_timeout:
      - send: nudge
        channel: email
        template: t/nudge
)");
  auto start =
      startEnrollment(*j, "c", {"Product Added", {{"cart_id", "A"}}, kT0}, view({}, kT0), kT0);
  CHECK(start.enrollment.key == "A");
  auto waits = effectsOf(start, EffectKind::kWaitForEvent);
  REQUIRE(waits.size() == 1);
  CHECK(waits[0]->name == "Order Completed");
  CHECK(waits[0]->key == "A");
  CHECK(waits[0]->time == kT0 + kHourMs);

  SUBCASE("an order for another cart is ignored") {
    auto other = advance(*j, start.enrollment, view({}, kT0 + 10 * kMinuteMs),
                         eventAt(kT0 + 10 * kMinuteMs, "Order Completed", {{"cart_id", "B"}}));
    CHECK(other.enrollment.status == EnrollmentStatus::kWaiting);
    CHECK(effectsOf(other, EffectKind::kSend).empty());
  }
  SUBCASE("an order for this cart takes on_event") {
    auto same = advance(
        *j, start.enrollment, view({}, kT0 + 10 * kMinuteMs),
        eventAt(kT0 + 10 * kMinuteMs, "Order Completed", {{"cart_id", "A"}, {"total", 30}}));
    REQUIRE(effectsOf(same, EffectKind::kSend).size() == 1);
    CHECK(effectsOf(same, EffectKind::kSend)[0]->template_name == "t/thanks");
    CHECK(same.enrollment.data["last_event"]["properties"]["total"] == 30);
    CHECK(same.enrollment.status == EnrollmentStatus::kCompleted);
  }
  SUBCASE("no order by the deadline takes on_timeout, exactly at the deadline") {
    auto before =
        advance(*j, start.enrollment, view({}, kT0 + kHourMs - 1), wakeAt(kT0 + kHourMs - 1));
    CHECK(effectsOf(before, EffectKind::kSend).empty());
    auto timeout = advance(*j, start.enrollment, view({}, kT0 + kHourMs), wakeAt(kT0 + kHourMs));
    REQUIRE(effectsOf(timeout, EffectKind::kSend).size() == 1);
    CHECK(effectsOf(timeout, EffectKind::kSend)[0]->template_name == "t/nudge");
  }
}

TEST_CASE("goal and exit_when end an enrollment in the middle of a long wait") {
  auto j = mustLoad(R"(
journey: long
trigger: { event: Signed Up }
goal: { event: Order Completed, within: 14d }
exit_when: customer.unsubscribed == true
steps:
  - send: first
    channel: email
    template: t/first
  - wait: 30d
  - send: late
    channel: email
    template: t/late
)");
  auto start = startEnrollment(*j, "c", {"Signed Up", {}, kT0}, view(kCustomer, kT0), kT0);
  CHECK(start.enrollment.goal_deadline == kT0 + 14 * kDayMs);

  SUBCASE("an order converts") {
    TimeMs t = kT0 + 2 * kDayMs;
    auto done = advance(*j, start.enrollment, view(kCustomer, t), eventAt(t, "Order Completed"));
    CHECK(done.enrollment.status == EnrollmentStatus::kConverted);
    CHECK(done.enrollment.exit_reason == ExitReason::kConverted);
    CHECK(done.enrollment.converted_at == t);
    CHECK_FALSE(done.enrollment.wake_at);
    CHECK(effectsOf(done, EffectKind::kConverted).size() == 1);
    CHECK(effectsOf(done, EffectKind::kSend).empty());
  }
  SUBCASE("an order after the window does not convert") {
    TimeMs t = kT0 + 15 * kDayMs;
    auto late = advance(*j, start.enrollment, view(kCustomer, t), eventAt(t, "Order Completed"));
    CHECK(late.enrollment.status == EnrollmentStatus::kWaiting);
  }
  SUBCASE("unsubscribing exits at once") {
    TimeMs t = kT0 + 3 * kDayMs;
    auto customer = kCustomer;
    customer["unsubscribed"] = true;
    Input changed;
    changed.kind = InputKind::kCustomerChanged;
    changed.now = t;
    auto out = advance(*j, start.enrollment, view(customer, t), changed);
    CHECK(out.enrollment.status == EnrollmentStatus::kExited);
    CHECK(out.enrollment.exit_reason == ExitReason::kExitWhen);
    REQUIRE(effectsOf(out, EffectKind::kExit).size() == 1);
    CHECK(out.trace.back().text ==
          "exit: exit_when — exit_when customer.unsubscribed (true) == true → true");
  }
}

TEST_CASE("a goal reached after the last step still counts until the window closes") {
  auto j = mustLoad(R"(
journey: short
trigger: { event: Signed Up }
goal: { event: Order Completed, within: 7d }
steps:
  - send: only
    channel: email
    template: t/only
)");
  auto start = startEnrollment(*j, "c", {"Signed Up", {}, kT0}, view({}, kT0), kT0);
  CHECK(start.enrollment.status == EnrollmentStatus::kCompleted);
  CHECK(start.enrollment.listening());
  CHECK(start.enrollment.wake_at == kT0 + 7 * kDayMs);
  auto conv = advance(*j, start.enrollment, view({}, kT0 + kDayMs),
                      eventAt(kT0 + kDayMs, "Order Completed"));
  CHECK(conv.enrollment.status == EnrollmentStatus::kConverted);
  CHECK(conv.enrollment.converted_at == kT0 + kDayMs);
  CHECK_FALSE(conv.enrollment.listening());
  auto closed = advance(*j, start.enrollment, view({}, kT0 + 7 * kDayMs), wakeAt(kT0 + 7 * kDayMs));
  CHECK(closed.enrollment.status == EnrollmentStatus::kCompleted);
  CHECK_FALSE(closed.enrollment.listening());
}

TEST_CASE("goal window expiry can end the journey when asked to") {
  auto j = mustLoad(R"(
journey: expiring
trigger: { event: Signed Up }
goal: { event: Order Completed, within: 2d, exit_on_expiry: true }
steps:
  - wait: 5d
)");
  auto start = startEnrollment(*j, "c", {"Signed Up", {}, kT0}, view({}, kT0), kT0);
  CHECK(start.enrollment.wake_at == kT0 + 2 * kDayMs);  // the earlier of the wait and the window
  auto out = advance(*j, start.enrollment, view({}, kT0 + 2 * kDayMs), wakeAt(kT0 + 2 * kDayMs));
  CHECK(out.enrollment.exit_reason == ExitReason::kGoalWindowExpired);
}

TEST_CASE("update, emit, exit and goto steps produce their effects; a goto loop is stopped") {
  auto j = mustLoad(R"(
journey: misc
trigger: { event: Signed Up }
steps:
  - update:
      set: { vip: true }
      unset: [old]
      add_tags: [a]
      remove_tags: [b]
    id: mark
  - emit: Marked
    properties: { by: journey }
  - exit: done here
)");
  auto t = startEnrollment(*j, "c", {"Signed Up", {}, kT0}, view({}, kT0), kT0);
  auto updates = effectsOf(t, EffectKind::kUpdateCustomer);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0]->set == nlohmann::json{{"vip", true}});
  CHECK(updates[0]->unset == std::vector<std::string>{"old"});
  CHECK(updates[0]->add_tags == std::vector<std::string>{"a"});
  CHECK(updates[0]->remove_tags == std::vector<std::string>{"b"});
  auto emits = effectsOf(t, EffectKind::kEmitEvent);
  REQUIRE(emits.size() == 1);
  CHECK(emits[0]->name == "Marked");
  CHECK(emits[0]->data == nlohmann::json{{"by", "journey"}});
  CHECK(t.enrollment.exit_reason == ExitReason::kExitStep);
  CHECK(t.enrollment.exit_detail == "done here");

  auto loop = mustLoad(R"(
journey: loop
trigger: { event: Signed Up }
steps:
  - emit: Tick
    id: tick
  - goto: tick
)");
  auto l = startEnrollment(*loop, "c", {"Signed Up", {}, kT0}, view({}, kT0), kT0);
  CHECK(l.enrollment.exit_reason == ExitReason::kStepLimit);
  CHECK(effectsOf(l, EffectKind::kEmitEvent).size() == kMaxStepsPerAdvance / 2);
}

TEST_CASE("wait_until waits for the next allowed local time in the customer's timezone") {
  auto j = mustLoad(R"(
journey: morning
trigger: { event: Signed Up }
steps:
  - wait_until: { time: "10:00", days: weekdays }
    id: morning
  - send: hi
    channel: email
    template: t/hi
)");
  // Saturday 2024-06-08 12:00 Shanghai (04:00Z) → Monday 10:00 Shanghai (02:00Z).
  TimeMs sat = *parseIsoTime("2024-06-08T04:00:00Z");
  nlohmann::json customer = {{"timezone", "Asia/Shanghai"}};
  auto t = startEnrollment(*j, "c", {"Signed Up", {}, sat}, view(customer, sat), sat);
  CHECK(t.enrollment.wake_at == *parseIsoTime("2024-06-10T02:00:00Z"));
  // Unknown timezone: UTC.
  auto utc = startEnrollment(*j, "c", {"Signed Up", {}, sat},
                             view({{"timezone", "Nowhere/Land"}}, sat), sat);
  CHECK(utc.enrollment.wake_at == *parseIsoTime("2024-06-10T10:00:00Z"));
}

TEST_CASE("wait_until a calendar date is that day in the customer's zone, else the business's") {
  auto j = mustLoad(R"(
journey: event
trigger: { event: Announced }
steps:
  - wait_until: { date: data.event_date, offset: -1d, time: "10:00" }
    id: day-before
  - send: reminder
    channel: sms
    template: t/reminder
)");
  const TimeMs at = *parseIsoTime("2026-03-02T01:00:00Z");
  auto waitFor = [&](const std::string& event_date, JsonEvalContext customer) {
    return startEnrollment(*j, "c", {"Announced", {{"event_date", event_date}}, at}, customer, at)
        .enrollment.wake_at;
  };
  auto due = [](const char* iso) { return std::optional<TimeMs>(*parseIsoTime(iso)); };
  // The day before 2026-03-20 at 10:00 local.
  CHECK(waitFor("2026-03-20", view({{"timezone", "America/New_York"}}, at)) ==
        due("2026-03-19T14:00:00Z"));
  CHECK(waitFor("2026-03-20", view({{"timezone", "Asia/Shanghai"}}, at)) ==
        due("2026-03-19T02:00:00Z"));
  CHECK(waitFor("2026-03-20T18:00:00-04:00", view({{"timezone", "America/New_York"}}, at)) ==
        due("2026-03-19T14:00:00Z"));
  auto business = view({{"timezone", "UTC"}}, at);
  business.setBusinessZone(date::locate_zone("America/New_York"));
  CHECK(waitFor("2026-03-20", business) == due("2026-03-19T14:00:00Z"));
  CHECK(waitFor("2026-03-20", view({}, at)) == due("2026-03-19T10:00:00Z"));  // UTC
}

TEST_CASE("an enrollment survives a JSON round trip") {
  auto j = mustLoad(kWaitJourney);
  auto t =
      startEnrollment(*j, "c1", {"Signed Up", {{"plan", "pro"}}, kT0}, view(kCustomer, kT0), kT0);
  t.enrollment.variants["x"] = "a";
  auto back = Enrollment::fromJson(t.enrollment.toJson());
  CHECK(back.toJson() == t.enrollment.toJson());
  CHECK(back.status == EnrollmentStatus::kWaiting);
  CHECK(back.wake_at == kT0 + kDayMs);
  CHECK(back.data["plan"] == "pro");
}
