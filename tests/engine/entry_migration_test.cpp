#include <date/tz.h>

#include "daemon/engine/migration.h"
#include "tests/engine/engine_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

namespace {

JourneyPtr withReentry(const std::string& rule, const std::string& extra = "") {
  return mustLoad("journey: r\ntrigger:\n  event: Signed Up\n" + extra +
                  "entry:\n  when: customer.email exists\n  reentry: " + rule +
                  "\nsteps:\n  - wait: 1d\n");
}

TriggerInput signedUp(nlohmann::json properties = nlohmann::json::object()) {
  return {TriggerKind::kEvent, {"Signed Up", std::move(properties), kT0}};
}

}  // namespace

TEST_CASE("entry: trigger, audience and re-entry rules") {
  nlohmann::json ann = {{"email", "ann@example.com"}};
  auto ctx = view(ann, kT0);
  auto never = withReentry("never");
  CHECK(decideEntry(*never, signedUp(), ctx, {}, kT0).enter);
  CHECK_FALSE(
      decideEntry(*never, {TriggerKind::kEvent, {"Logged In", {}, kT0}}, ctx, {}, kT0).enter);
  auto no_email = decideEntry(*never, signedUp(), view({}, kT0), {}, kT0);
  CHECK_FALSE(no_email.enter);
  CHECK(no_email.reason == "entry.when customer.email (null) exists → false");

  std::vector<PastEnrollment> past = {{"", kT0 - 200 * kDayMs, false}};
  auto again = decideEntry(*never, signedUp(), ctx, past, kT0);
  CHECK_FALSE(again.enter);
  CHECK(again.reason.rfind("reentry never", 0) == 0);

  auto always = withReentry("always");
  CHECK(decideEntry(*always, signedUp(), ctx, past, kT0).enter);
  std::vector<PastEnrollment> active = {{"", kT0 - kDayMs, true}};
  auto twice = decideEntry(*always, signedUp(), ctx, active, kT0);
  CHECK_FALSE(twice.enter);  // never twice at the same time
  CHECK(twice.reason == "already in the journey");

  auto after = withReentry("after 180d");
  CHECK(decideEntry(*after, signedUp(), ctx, past, kT0).enter);  // 200 days ago
  std::vector<PastEnrollment> recent = {{"", kT0 - 100 * kDayMs, false}};
  CHECK_FALSE(decideEntry(*after, signedUp(), ctx, recent, kT0).enter);
  CHECK(decideEntry(*after, signedUp(), ctx, recent, kT0 - 100 * kDayMs + 180 * kDayMs).enter);
}

TEST_CASE("entry with a key: one instance per key, rules per key") {
  auto j = withReentry("never", "  key: event.properties.cart_id\n");
  auto ctx = view({{"email", "a@b.c"}}, kT0);
  std::vector<PastEnrollment> past = {{"A", kT0 - kDayMs, true}};
  CHECK_FALSE(decideEntry(*j, signedUp({{"cart_id", "A"}}), ctx, past, kT0).enter);
  auto other = decideEntry(*j, signedUp({{"cart_id", "B"}}), ctx, past, kT0);
  CHECK(other.enter);
  CHECK(other.key == "B");
  auto keyless = decideEntry(*j, signedUp(), ctx, past, kT0);
  CHECK_FALSE(keyless.enter);
  CHECK(keyless.reason == "the event has no key (event.properties.cart_id)");
}

TEST_CASE("entry: paused journeys and trigger conditions") {
  auto paused =
      mustLoad("journey: p\nstatus: paused\ntrigger: { event: X }\nsteps: [ { wait: 1d } ]\n");
  CHECK(
      decideEntry(*paused, {TriggerKind::kEvent, {"X", {}, kT0}}, view({}, kT0), {}, kT0).reason ==
      "journey is paused");
  auto seg =
      mustLoad("journey: s\ntrigger: { segment_entered: dormant }\nsteps: [ { wait: 1d } ]\n");
  CHECK(decideEntry(*seg, {TriggerKind::kSegmentEntered, {"dormant", {}, kT0}}, view({}, kT0), {},
                    kT0)
            .enter);
  CHECK_FALSE(
      decideEntry(*seg, {TriggerKind::kSegmentExited, {"dormant", {}, kT0}}, view({}, kT0), {}, kT0)
          .enter);
  auto big = mustLoad(
      "journey: b\ntrigger: { event: Order Completed, where: event.properties.total > 100 }\n"
      "steps: [ { wait: 1d } ]\n");
  CHECK(decideEntry(*big, {TriggerKind::kEvent, {"Order Completed", {{"total", 150}}, kT0}},
                    view({}, kT0), {}, kT0)
            .enter);
  CHECK_FALSE(decideEntry(*big, {TriggerKind::kEvent, {"Order Completed", {{"total", 50}}, kT0}},
                          view({}, kT0), {}, kT0)
                  .enter);
}

TEST_CASE("migration maps in-flight enrollments onto a new version per on_change") {
  const std::string v1 = R"(
journey: m
trigger: { event: Signed Up }
steps:
  - wait: 1d
    id: first-wait
  - wait: 2d
    id: second-wait
)";
  auto old_version = mustLoad(v1);
  auto start = startEnrollment(*old_version, "c", {"Signed Up", {}, kT0}, view({}, kT0), kT0);
  REQUIRE(start.enrollment.step_id == "first-wait");

  SUBCASE("migrate: same step id → moved, wait kept") {
    auto v2 = mustLoad(v1 + "  - send: extra\n    channel: email\n    template: t/x\n");
    auto m = migrateEnrollment(*old_version, *v2, start.enrollment, kT0 + 1);
    CHECK(m.action == MigrationAction::kMoved);
    CHECK(m.enrollment.version == v2->version);
    CHECK(m.enrollment.due_at == kT0 + kDayMs);
    // and it carries on in the new version, reaching the new step
    auto next =
        advance(*v2, m.enrollment, view({}, kT0 + kDayMs), {InputKind::kWake, kT0 + kDayMs, {}});
    CHECK(next.enrollment.step_id == "second-wait");
  }
  SUBCASE("migrate: the step is gone → finish on the old version") {
    auto v2 = mustLoad(
        "journey: m\ntrigger: { event: Signed Up }\nsteps:\n  - wait: 3d\n    id: only-wait\n");
    auto m = migrateEnrollment(*old_version, *v2, start.enrollment, kT0 + 1);
    CHECK(m.action == MigrationAction::kKeptOnOld);
    CHECK(m.enrollment.version == old_version->version);
    CHECK(m.reason == "step 'first-wait' is gone: finishing on version " + old_version->version);
  }
  SUBCASE("pin keeps the old version") {
    auto v2 = mustLoad(v1 + "on_change: pin\n");
    CHECK(migrateEnrollment(*old_version, *v2, start.enrollment, kT0 + 1).action ==
          MigrationAction::kKeptOnOld);
  }
  SUBCASE("restart ends it for a fresh entry") {
    auto v2 = mustLoad(v1 + "on_change: restart\n");
    auto m = migrateEnrollment(*old_version, *v2, start.enrollment, kT0 + 1);
    CHECK(m.action == MigrationAction::kRestart);
    CHECK(m.enrollment.exit_reason == ExitReason::kJourneyChanged);
    CHECK(m.enrollment.finished());
  }
}

TEST_CASE("date and schedule triggers tell the scheduler their next moment") {
  auto birthday = mustLoad(
      "journey: b\ntrigger:\n  date_attribute: { attribute: customer.birthday, offset: -1d, at: "
      "\"08:30\" }\n"
      "steps: [ { wait: 1d } ]\n");
  nlohmann::json customer = {{"birthday", "1985-12-25"}, {"timezone", "Europe/Berlin"}};
  auto next = nextScheduledEntry(*birthday, view(customer, kT0), kT0);
  REQUIRE(next);
  CHECK(formatIsoTime(*next) == "2024-12-24T07:30:00.000Z");
  CHECK_FALSE(nextScheduledEntry(*birthday, view({}, kT0), kT0));  // no birthday known
  // A customer without a timezone has the business's (policy.timezone).
  auto business = view({{"birthday", "1985-12-25"}, {"timezone", "UTC"}}, kT0);
  business.setBusinessZone(date::locate_zone("America/New_York"));
  CHECK(formatIsoTime(*nextScheduledEntry(*birthday, business, kT0)) == "2024-12-24T13:30:00.000Z");
  CHECK(
      formatIsoTime(*nextScheduledEntry(*birthday, view({{"birthday", "1985-12-25"}}, kT0), kT0)) ==
      "2024-12-24T08:30:00.000Z");  // no zone at all: UTC

  auto weekly = mustLoad(
      "journey: w\ntrigger:\n  schedule: \"0 9 * * mon\"\n  timezone: Asia/Shanghai\n"
      "steps: [ { wait: 1d } ]\n");
  CHECK(formatIsoTime(*nextScheduledEntry(*weekly, view({}, kT0), kT0)) ==
        "2024-06-10T01:00:00.000Z");
  auto event_trigger = mustLoad("journey: e\ntrigger: { event: X }\nsteps: [ { wait: 1d } ]\n");
  CHECK_FALSE(nextScheduledEntry(*event_trigger, view({}, kT0), kT0));
}
