#include <date/tz.h>
#include <doctest/doctest.h>

#include "tests/expr/expr_test_support.h"

using namespace journeyd;
using namespace journeyd::test;
using nlohmann::json;

namespace {
struct Row {
  const char* source;
  json want;
};

void checkRows(std::initializer_list<Row> rows) {
  auto ctx = sampleContext();
  for (const auto& row : rows) {
    std::string source = row.source;
    CAPTURE(source);
    auto expr = mustCompile(row.source);
    if (!expr) continue;
    CHECK(expr->evaluate(ctx).toJson() == row.want);
  }
}
}  // namespace

TEST_CASE("literals evaluate to their values") {
  checkRows({
      {"42", 42},
      {"3.5", 3.5},
      {"1e3", 1000},
      {"'single'", "single"},
      {R"("double \"quoted\"")", "double \"quoted\""},
      {"true", true},
      {"false", false},
      {"null", nullptr},
      {R"(["champions", "loyal"])", json::array({"champions", "loyal"})},
      {"[]", json::array()},
      {"30d", 30 * kDayMs},
      {"12h", 12 * kHourMs},
      {"90s", 90 * kSecondMs},
      {"2w", 2 * kWeekMs},
      {"15m", 15 * kMinuteMs},
      {"1h30m", 90 * kMinuteMs},
  });
}

TEST_CASE("paths read the data and missing keys are null") {
  checkRows({
      {"customer.orders_count", 3},
      {"customer.traits.first_name", "Ann"},
      {R"(customer.traits["first name"])", "Ann Lee"},
      {"customer.rfm.segment", "champions"},
      {"event.properties.revenue", 120.0},
      {"event.properties.items[1].sku", "B2"},
      {"event.properties.items[-1].sku", "B2"},
      {"event.properties.items[5].sku", nullptr},
      {"customer.tags[0]", "vip"},
      {"data.coupon_code", "NEW15"},
      {"journey.id", "newcomer-guide"},
      {"customer.traits[data.key]", 8},
      {"customer.nothing", nullptr},
      {"customer.nothing.deeper.still", nullptr},
      {"customer.orders_count.deeper", nullptr},
      {"customer.traits.city", "上海"},
      {"[10, 20, 30][1]", 20},
      {"customer.中文.名字", "安"},
  });
}

TEST_CASE("operators follow the usual precedence") {
  checkRows({
      {"1 + 2 * 3", 7},
      {"(1 + 2) * 3", 9},
      {"10 - 4 - 3", 3},
      {"12 / 3 / 2", 2},
      {"7 % 3", 1},
      {"-2 * 3", -6},
      {"- -2", 2},
      {"1 + 2 == 3", true},
      {"true or false and false", true},
      {"(true or false) and false", false},
      {"not false and false", false},
      {"not (false and false)", true},
      {"not 1 == 2", true},
      {"! true || true", true},
      {"true && !false", true},
      {"customer.orders_count > 0 and customer.clv_12m >= 2000", true},
      {"customer.orders_count > 5 or customer.rfm.segment == 'champions'", true},
  });
}

TEST_CASE("comparisons on numbers, strings, times and durations") {
  checkRows({
      {"3 == 3.0", true},
      {"3 != 4", true},
      {"2 < 10", true},
      {"'2' < '10'", false},  // strings compare as text
      {"'apple' < 'banana'", true},
      {"'a' <= 'a'", true},
      {"30d == 720h", true},
      {"30d > 29d", true},
      {"1d == 86400000", true},  // a duration against a number compares ms
      {"'2024-01-02T00:00:00+01:00' < '2024-01-01T23:30:00Z'", true},  // as instants
      {"'2024-01-02' > '2024-01-01T23:59:59Z'", true},
      {"customer.last_order_at < '2024-05-01'", true},
      {"customer.signup_at_ms < customer.last_order_at", true},  // epoch ms vs ISO
      {"customer.last_order_at + 30d > '2024-04-30T00:00:00Z'", true},
      {"now() - 30d > customer.last_order_at", true},
      {"'abc' == 'abc'", true},
      {"customer.tags == ['vip', 'newsletter']", true},
      {"true == 1", false},
  });
}

TEST_CASE("null is equal only to null and never ordered") {
  checkRows({
      {"customer.missing == null", true},
      {"customer.missing != null", false},
      {"customer.email != null", true},
      {"customer.missing == 0", false},
      {"customer.missing != 0", true},
      {"customer.missing < 1", false},
      {"customer.missing > 1", false},
      {"customer.missing >= customer.missing", false},
      {"null == null", true},
      {"customer.missing + 1", nullptr},
      {"-customer.missing", nullptr},
      {"not customer.missing", true},
      {"customer.missing and true", false},
      {"customer.missing in ['a']", false},
      {"customer.missing exists", false},
      {"customer.missing not exists", true},
      {"customer.email exists", true},
      {"customer.email not exists", false},
      {"customer.unsubscribed exists", true},
      {"1 / 0", nullptr},
  });
}

TEST_CASE("in and contains work on lists and on text") {
  checkRows({
      {R"(customer.rfm.segment in ["champions", "loyal"])", true},
      {R"("lost" in ["champions", "loyal"])", false},
      {R"("lost" not in ["champions", "loyal"])", true},
      {"'vip' in customer.tags", true},
      {"customer.tags contains 'newsletter'", true},
      {"customer.tags contains 'sms'", false},
      {"3 in [1, 2, 3]", true},
      {"3 in [1, 2, customer.orders_count]", true},
      {"'example' in customer.email", true},
      {"customer.email contains '@example.com'", true},
      {"customer.email contains 'gmail'", false},
      {"'nps' in customer.traits", true},  // a key of an object
      {"'x' in customer.missing", false},
      {"customer.tags is not empty", true},
      {"customer.empty_list is empty", true},
      {"customer.blank is empty", true},
      {"customer.missing is empty", true},
      {"customer.email is empty", false},
  });
}

TEST_CASE("arithmetic on durations and times") {
  checkRows({
      {"2d + 12h", 60 * kHourMs},
      {"1w - 1d", 6 * kDayMs},
      {"3 * 1h", 3 * kHourMs},
      {"1h * 3", 3 * kHourMs},
      {"1d / 2", 12 * kHourMs},
      {"1d / 1h", 24},
      {"customer.signup_at_ms + 1d", 1704067200000 + kDayMs},
      {"customer.last_order_at + 1d", *parseIsoTime("2024-04-02T00:00:00Z")},
      {"'Ann' + ' ' + 'Lee'", "Ann Lee"},
  });
  auto ctx = sampleContext();
  CHECK(mustCompile("2d + 12h")->evaluate(ctx).kind() == Value::Kind::kDuration);
  CHECK(mustCompile("1d / 1h")->evaluate(ctx).kind() == Value::Kind::kNumber);
}

TEST_CASE("time functions count whole units from the context's now") {
  checkRows({
      {"days_since(customer.last_order_at)", 61},  // 2024-04-01 → 2024-06-01
      {"days_since('2024-05-31T00:00:01Z')", 0},   // 23h59m59s is not yet a day
      {"days_since(customer.signup_at_ms)", 152},  // epoch ms works too
      {"hours_since('2024-05-31T12:30:00Z')", 11},
      {"minutes_since('2024-05-31T23:58:30Z')", 1},
      {"days_until('2024-06-11T00:00:00Z')", 10},
      {"days_since(customer.missing)", nullptr},  // a null time gives null
      {"days_since(customer.email)", nullptr},    // not a time
      {"now()", kNow},
      {"days_since(customer.last_order_at) >= 60", true},
  });
}

TEST_CASE("count and sum aggregate events inside their window") {
  checkRows({
      {"count('Page Viewed', within: 30d)", 2},
      {"count('Page Viewed', within: 3d)", 1},
      {"count('Page Viewed')", 3},                   // all history
      {"count('Order Completed', within: 30d)", 2},  // the future event is not counted
      {"count('Never Happened', within: 30d)", 0},
      {"sum('Order Completed', 'revenue', within: 30d)", 150.5},
      {"sum('Order Completed', 'revenue')", 1150.5},
      {"sum('Page Viewed', 'path', within: 30d)", 0},  // non-numeric values add nothing
      {"count(\"Page Viewed\", within: 30d) >= 2", true},
      {"0.4 * count('Page Viewed', within: 30d) + 0.6 * customer.traits.nps", 5.6},
  });
}

TEST_CASE("the other functions") {
  checkRows({
      {"lower('ÀBC Def')", "Àbc def"},
      {"upper(customer.traits.first_name)", "ANN"},
      {"lower(customer.missing)", nullptr},
      {"len('hello')", 5},
      {"len(customer.traits.city)", 2},  // characters, not bytes
      {"len(customer.tags)", 2},
      {"len([1, 2, 3])", 3},
      {"len(customer.traits)", 4},
      {"len(customer.missing)", 0},
      {"coalesce(customer.missing, customer.traits.nickname, 'friend')", "friend"},
      {"coalesce(customer.traits.first_name, 'friend')", "Ann"},
      {"coalesce(customer.missing)", nullptr},
      {"round(2.5)", 3},
      {"round(3.14159, 2)", 3.14},
      {"round(customer.missing)", nullptr},
      {"min(3, 5)", 3},
      {"max(3, 5)", 5},
      {"max(customer.orders_count, 1)", 3},
      {"min(customer.missing, 1)", nullptr},
      {"abs(-4)", 4},
      {"abs(-1d)", kDayMs},
      {"contains_any(customer.tags, ['sms', 'vip'])", true},
      {"contains_any(customer.tags, ['sms'])", false},
      {"contains_any(customer.missing, ['sms'])", false},
  });
}

TEST_CASE("truthy and number give conditions and scores") {
  auto ctx = sampleContext();
  struct TruthRow {
    const char* source;
    bool want;
  };
  for (auto [source, want] : std::initializer_list<TruthRow>{{"customer.email", true},
                                                             {"customer.blank", false},
                                                             {"customer.missing", false},
                                                             {"customer.unsubscribed", false},
                                                             {"customer.tags", true},
                                                             {"customer.empty_list", false},
                                                             {"0", false},
                                                             {"2", true},
                                                             {"customer.traits", true}}) {
    CAPTURE(source);
    CHECK(mustCompile(source)->truthy(ctx) == want);
  }
  CHECK(mustCompile("0.4 * count('Page Viewed', within: 30d) + 0.6 * customer.traits.nps")
            ->number(ctx) == doctest::Approx(5.6));
  CHECK(mustCompile("2h")->number(ctx) == 2 * kHourMs);
  CHECK(mustCompile("true")->number(ctx) == 1);
  CHECK(mustCompile("customer.email")->number(ctx) == 0);
}

TEST_CASE("an expression is compiled once and evaluated against many contexts") {
  auto expr = mustCompile("customer.orders_count == 0");
  for (int n : {0, 1, 0}) {
    JsonEvalContext ctx({{"customer", {{"orders_count", n}}}}, kNow);
    CHECK(expr->truthy(ctx) == (n == 0));
  }
  JsonEvalContext no_customer(json::object(), kNow);
  CHECK_FALSE(expr->truthy(no_customer));
}

TEST_CASE("a calendar date is a day of the customer's zone, else the business's, around midnight") {
  // The event is on 2026-03-20. At 03:30Z it is still 23:30 on the 19th in New York, and already
  // 11:30 on the 20th in Shanghai.
  const TimeMs at = *parseIsoTime("2026-03-20T03:30:00Z");
  auto evaluate = [&](const std::string& source, const nlohmann::json& customer,
                      const date::time_zone* business = nullptr, TimeMs now = 0) {
    JsonEvalContext ctx({{"customer", customer}, {"data", {{"event_date", "2026-03-20"}}}},
                        now ? now : at);
    ctx.setBusinessZone(business);
    auto expr = mustCompile(source);
    return expr ? expr->evaluate(ctx).toJson() : nlohmann::json();
  };
  const nlohmann::json new_york = {{"timezone", "America/New_York"}};
  const nlohmann::json shanghai = {{"timezone", "Asia/Shanghai"}};
  const nlohmann::json none = {{"timezone", "UTC"}};  // as the daemon writes a customer without one

  CHECK(evaluate("now() >= data.event_date", new_york) == false);
  CHECK(evaluate("data.event_date > now()", new_york) == true);
  CHECK(evaluate("days_until(data.event_date)", new_york) == 1);  // tomorrow, locally
  CHECK(evaluate("now() >= data.event_date", shanghai) == true);
  CHECK(evaluate("days_until(data.event_date)", shanghai) == 0);
  CHECK(evaluate("now() >= data.event_date", none) == true);  // UTC business zone
  CHECK(evaluate("now() >= data.event_date", none, date::locate_zone("America/New_York")) == false);
  // The day starts at local midnight: 04:00Z in New York in March.
  CHECK(evaluate("now() >= data.event_date", new_york, nullptr,
                 *parseIsoTime("2026-03-20T04:00:00Z")) == true);
  CHECK(evaluate("days_since(data.event_date)", new_york, nullptr,
                 *parseIsoTime("2026-03-21T03:59:59Z")) == 0);
  CHECK(evaluate("data.event_date - 1d < now()", new_york) == true);  // arithmetic too
  CHECK(evaluate("data.event_date < '2026-03-20T04:30:00Z'", new_york) == true);
  // Instants with a time are the same everywhere.
  CHECK(evaluate("'2026-03-20T00:00:00Z' <= now()", new_york) == true);

  // The scheduler is told to look again at local midnight, not UTC midnight.
  JsonEvalContext ctx({{"customer", new_york}, {"data", {{"event_date", "2026-03-20"}}}}, at);
  auto expr = mustCompile("now() >= data.event_date");
  REQUIRE(expr);
  auto next = expr->nextChange(ctx);
  REQUIRE(next);
  CHECK(formatIsoTime(*next) == "2026-03-20T04:00:00.000Z");
}
