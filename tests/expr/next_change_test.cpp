#include <doctest/doctest.h>

#include "tests/expr/expr_test_support.h"

using namespace journeyd;
using namespace journeyd::test;
using nlohmann::json;

namespace {
TimeMs at(const char* iso) { return *parseIsoTime(iso); }

JsonEvalContext context(json customer) {
  return JsonEvalContext({{"customer", std::move(customer)}}, kNow, sampleEvents());
}

std::optional<TimeMs> nextChange(const std::string& source, const json& customer) {
  auto expr = mustCompile(source);
  if (!expr) return std::nullopt;
  return expr->nextChange(context(customer));
}
}  // namespace

TEST_CASE("a days_since threshold changes exactly when enough days have passed") {
  json recent = {{"last_order_at", "2024-05-01T00:00:00Z"}};  // 31 days before now
  json old = {{"last_order_at", "2024-04-01T00:00:00Z"}};     // 61 days before now
  CHECK(nextChange("days_since(customer.last_order_at) >= 60", recent) ==
        at("2024-06-30T00:00:00Z"));
  CHECK(nextChange("days_since(customer.last_order_at) > 60", recent) ==
        at("2024-07-01T00:00:00Z"));
  CHECK(nextChange("60 <= days_since(customer.last_order_at)", recent) ==
        at("2024-06-30T00:00:00Z"));
  CHECK(nextChange("days_since(customer.last_order_at) < 60", recent) ==
        at("2024-06-30T00:00:00Z"));
  // Already true and only growing: it never changes back without new data.
  CHECK(nextChange("days_since(customer.last_order_at) >= 60", old) == std::nullopt);
  // Epoch-ms times and hours work the same way.
  CHECK(nextChange("hours_since(customer.t) >= 48", {{"t", at("2024-05-31T00:00:00Z")}}) ==
        at("2024-06-02T00:00:00Z"));
  // A null time never comes true.
  CHECK(nextChange("days_since(customer.missing) >= 60", recent) == std::nullopt);
}

TEST_CASE("days_until and now() comparisons are solved exactly") {
  json c = {{"birthday", "2024-06-20T00:00:00Z"}, {"trial_ends_at", "2024-06-15T09:30:00Z"}};
  CHECK(nextChange("days_until(customer.birthday) <= 7", c) == at("2024-06-13T00:00:00Z"));
  CHECK(nextChange("now() >= customer.trial_ends_at", c) == at("2024-06-15T09:30:00Z"));
  CHECK(nextChange("now() - 1d >= customer.trial_ends_at", c) == at("2024-06-16T09:30:00Z"));
  // Strictly after: at the instant itself the two are equal.
  CHECK(nextChange("customer.trial_ends_at < now()", c) == at("2024-06-15T09:30:00Z") + 1);
}

TEST_CASE("an event count changes when the oldest event in the window expires") {
  // Page Viewed within 30d: 2024-05-30 and 2024-05-10; the older leaves on 2024-06-09.
  json c = json::object();
  CHECK(nextChange("count('Page Viewed', within: 30d) >= 2", c) == at("2024-06-09T00:00:00Z"));
  CHECK(nextChange("count('Page Viewed', within: 30d) < 2", c) == at("2024-06-09T00:00:00Z"));
  CHECK(nextChange("count('Page Viewed', within: 30d) == 2", c) == at("2024-06-09T00:00:00Z"));
  CHECK(nextChange("sum('Order Completed', 'revenue', within: 30d) > 100", c) ==
        at("2024-06-19T00:00:00Z"));
  // Counts only fall as time passes: a threshold not yet reached cannot be reached.
  CHECK(nextChange("count('Page Viewed', within: 30d) >= 3", c) == std::nullopt);
  CHECK(nextChange("count('Page Viewed', within: 30d) < 5", c) == std::nullopt);
  CHECK(nextChange("count('Never Happened', within: 30d) == 0", c) == std::nullopt);
  CHECK(nextChange("count('Page Viewed') >= 1", c) == std::nullopt);  // no window, no expiry
}

TEST_CASE("and, or and not combine their parts' next changes") {
  json recent = {{"orders_count", 3},
                 {"last_order_at", "2024-05-01T00:00:00Z"},
                 {"signup_at", "2024-05-20T00:00:00Z"},
                 {"vip", true}};
  json no_orders = recent;
  no_orders["orders_count"] = 0;
  const char* dormant = "customer.orders_count > 0 and days_since(customer.last_order_at) >= 60";
  CHECK(nextChange(dormant, recent) == at("2024-06-30T00:00:00Z"));
  // A failing part that time cannot change keeps the whole false.
  CHECK(nextChange(dormant, no_orders) == std::nullopt);
  // Both parts must come true: not before the later of the two.
  CHECK(nextChange(
            "days_since(customer.last_order_at) >= 60 and days_since(customer.signup_at) >= 20",
            recent) == at("2024-06-30T00:00:00Z"));
  // Either part coming true is enough: the earlier of the two.
  CHECK(
      nextChange("days_since(customer.last_order_at) >= 60 or days_since(customer.signup_at) >= 20",
                 recent) == at("2024-06-09T00:00:00Z"));
  // True through a part time cannot change.
  CHECK(nextChange("customer.vip or days_since(customer.last_order_at) >= 60", recent) ==
        std::nullopt);
  // A true `and` flips when any part flips.
  CHECK(nextChange("customer.vip and count('Page Viewed', within: 30d) >= 2", recent) ==
        at("2024-06-09T00:00:00Z"));
  CHECK(nextChange("not (days_since(customer.last_order_at) >= 60)", recent) ==
        at("2024-06-30T00:00:00Z"));
  CHECK(nextChange("customer.tags contains 'vip' and customer.orders_count > 2", recent) ==
        std::nullopt);
}

TEST_CASE("rules that cannot be solved fall back to the next step of their clock") {
  json c = {{"last_order_at", "2024-05-01T06:00:00Z"}};
  // days_since steps at 06:00 each day; `% 7` is not monotone, so re-check at the next step.
  CHECK(nextChange("days_since(customer.last_order_at) % 7 == 0", c) == at("2024-06-01T06:00:00Z"));
  // Equality with a moving value: re-check when the value moves.
  CHECK(nextChange("days_since(customer.last_order_at) == 45", c) == at("2024-06-01T06:00:00Z"));
}

TEST_CASE("at the instant nextChange gives, the condition has flipped; a moment before, not yet") {
  json c = {{"last_order_at", "2024-05-01T07:15:00Z"}, {"birthday", "2024-06-20T00:00:00Z"}};
  for (const char* source :
       {"days_since(customer.last_order_at) >= 60", "days_until(customer.birthday) <= 7",
        "hours_since(customer.last_order_at) < 1000",
        "minutes_since(customer.last_order_at) > 50000",
        "round(days_since(customer.last_order_at) / 7) >= 6",
        "-days_since(customer.last_order_at) <= -45"}) {
    CAPTURE(std::string(source));
    auto expr = mustCompile(source);
    REQUIRE(expr);
    auto ctx = context(c);
    bool before = expr->truthy(ctx);
    auto next = expr->nextChange(ctx);
    REQUIRE(next);
    ctx.setNow(*next - 1);
    CHECK(expr->truthy(ctx) == before);
    ctx.setNow(*next);
    CHECK(expr->truthy(ctx) != before);
  }
}
