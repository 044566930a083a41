#include <doctest/doctest.h>

#include "tests/expr/expr_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

namespace {
// The diagnostics for `source` placed at line 7, column 11 of segments.yaml (as after `when: `).
std::string errorsFor(const std::string& source) {
  Diagnostics diagnostics;
  auto expr = compileExpression(source, {"segments.yaml", 7, 11}, options(), diagnostics);
  if (expr) return "compiled";
  CHECK(diagnostics.hasErrors());
  return diagnostics.format();
}
}  // namespace

TEST_CASE("compile errors point at the exact character, offset by the origin") {
  struct Row {
    const char* source;
    const char* want;
  };
  const Row rows[] = {
      {"days_since(customer.last_order_at) >= )",
       "segments.yaml:7:49: error: unexpected ')' — expected an expression\n"},
      {"day_since(customer.last_order_at) >= 60",
       "segments.yaml:7:11: error: unknown function 'day_since' (did you mean 'days_since'?)\n"},
      {"custmer.orders_count > 0",
       "segments.yaml:7:11: error: unknown name 'custmer' (did you mean 'customer'?)\n"},
      {"customer.orders_count > 0 and zzz.x",
       "segments.yaml:7:41: error: unknown name 'zzz' (paths start with 'customer', 'event', "
       "'data' or 'journey')\n"},
      {"\"a\" - 1", "segments.yaml:7:15: error: '-' needs numbers or durations, got text\n"},
      {"count(5)",
       "segments.yaml:7:17: error: count() argument 1 expects text in quotes, got a number\n"},
      {"count('Page Viewed', within: 30)",
       "segments.yaml:7:40: error: 'within:' expects a duration such as 30d, got a number\n"},
      {"count('Page Viewed', whithin: 30d)",
       "segments.yaml:7:32: error: count() has no argument 'whithin' (did you mean 'within'?)\n"},
      {"days_since()",
       "segments.yaml:7:11: error: days_since() takes 1 argument, got 0 (usage: "
       "days_since(time))\n"},
      {"min(1, 2, 3)",
       "segments.yaml:7:11: error: min() takes 2 arguments, got 3 (usage: min(a, b))\n"},
      {"days_since('yesterday')",
       "segments.yaml:7:22: error: days_since() argument 1 expects a time, but 'yesterday' is not "
       "ISO-8601 (e.g. 2024-01-31T09:00:00Z)\n"},
      {"customer.x > 30x",
       "segments.yaml:7:24: error: bad duration '30x' (use s, m, h, d or w, e.g. 30d)\n"},
      {"customer.name == 'Ann",
       "segments.yaml:7:28: error: unterminated string (missing closing ')\n"},
      {"customer.x = 1", "segments.yaml:7:22: error: unexpected '=' (use '==' to compare)\n"},
      {"customer.x > 1 customer.y",
       "segments.yaml:7:26: error: unexpected 'customer' — expected an operator or the end\n"},
      {"(customer.x > 1",
       "segments.yaml:7:26: error: unexpected end of expression — expected ')' "
       "to close '(' at column 11\n"},
      {"1 < 2 < 3",
       "segments.yaml:7:17: error: comparisons cannot be chained — join them with 'and'\n"},
      {"customer.x in 5",
       "segments.yaml:7:22: error: 'in' needs a list or text on its right, got a number\n"},
      {"5 contains 1",
       "segments.yaml:7:13: error: 'contains' needs a list or text on its left, got a number\n"},
      {"true < 1",
       "segments.yaml:7:16: error: '<' compares numbers, durations, text or times, not "
       "true/false\n"},
      {"customer.x and",
       "segments.yaml:7:25: error: unexpected end of expression — expected an expression\n"},
      {"customer. > 1", "segments.yaml:7:21: error: unexpected '>' — expected a name after '.'\n"},
      {"customer.x # 1", "segments.yaml:7:22: error: unexpected character '#'\n"},
      {"", "segments.yaml:7:11: error: unexpected end of expression — expected an expression\n"},
      {"contains_any(customer.tags, 'vip')",
       "segments.yaml:7:39: error: contains_any() argument 2 expects a list, got text\n"},
      {"days_since(customer.last_order_at) >= 30d",
       "segments.yaml:7:46: error: days_since() gives a number, not a duration: compare it with a "
       "plain number (e.g. days_since(...) >= 30)\n"},
      {"days_since > 3",
       "segments.yaml:7:11: error: 'days_since' is a function: call it as days_since(time)\n"},
      {"count(within: 30d, 'Page Viewed')",
       "segments.yaml:7:30: error: a positional argument cannot follow a named one\n"},
      {"count('Page Viewed', within: 30d, within: 1d)",
       "segments.yaml:7:45: error: argument 'within' is given twice\n"},
      {"lower('A', within: 3d)", "segments.yaml:7:22: error: lower() has no argument 'within'\n"},
      {"customer.x is 5",
       "segments.yaml:7:22: error: expected 'is empty' or 'is not empty' (use '==' to compare)\n"},
  };
  for (const auto& row : rows) {
    std::string source = row.source;
    CAPTURE(source);
    CHECK(errorsFor(row.source) == row.want);
  }
}

TEST_CASE("every problem is reported, not only the first") {
  CHECK(errorsFor("day_since(custmer.last_order_at) > 1 and count(5) > 'a' - 1") ==
        "segments.yaml:7:11: error: unknown function 'day_since' (did you mean 'days_since'?)\n"
        "segments.yaml:7:21: error: unknown name 'custmer' (did you mean 'customer'?)\n"
        "segments.yaml:7:58: error: count() argument 1 expects text in quotes, got a number\n"
        "segments.yaml:7:67: error: '-' needs numbers or durations, got text\n");
}

TEST_CASE("columns count characters, and later lines of a block keep the origin's indent") {
  CHECK(errorsFor("customer.traits.city == '上海' and lowr(customer.x)") ==
        "segments.yaml:7:44: error: unknown function 'lowr' (did you mean 'lower'?)\n");
  CHECK(errorsFor("customer.orders_count > 0\nand custmer.x") ==
        "segments.yaml:8:15: error: unknown name 'custmer' (did you mean 'customer'?)\n");
}

TEST_CASE("deeply nested input is refused instead of exhausting the stack") {
  CHECK(errorsFor(std::string(5000, '(') + "1" + std::string(5000, ')'))
            .find("error: expression nested too deeply") != std::string::npos);
  CHECK(errorsFor(std::string(5000, '-') + "1").find("nested too deeply") != std::string::npos);
  CHECK(errorsFor("((((1 + 2))))") == "compiled");
}

TEST_CASE("roots are whatever the caller declares") {
  Diagnostics diagnostics;
  CHECK(compileExpression("event.name == 'x'", {"f", 1, 1}, {{"customer"}}, diagnostics) ==
        nullptr);
  CHECK(diagnostics.format() ==
        "f:1:1: error: unknown name 'event' (paths start with 'customer')\n");
  Diagnostics none;
  CHECK(compileExpression("event.name == 'x'", {"f", 1, 1}, {{"event"}}, none) != nullptr);
  CHECK(none.empty());
}

TEST_CASE("source and references tell callers what an expression reads") {
  auto expr = mustCompile(
      "customer.orders_count > 0 and days_since(customer.last_order_at) >= 60 and "
      "count('Page Viewed', within: 30d) > 2 and customer.traits[\"first name\"] exists and "
      "customer.orders_count < 100");
  REQUIRE(expr);
  const References& refs = expr->references();
  CHECK(expr->source().find("days_since") != std::string::npos);
  CHECK(refs.roots == std::vector<std::string>{"customer"});
  CHECK(refs.paths == std::vector<std::string>{"customer.orders_count", "customer.last_order_at",
                                               "customer.traits[\"first name\"]"});
  CHECK(refs.functions == std::vector<std::string>{"days_since", "count"});
  CHECK(refs.events == std::vector<std::string>{"Page Viewed"});
  CHECK(refs.reads_time);
  CHECK_FALSE(mustCompile("customer.tags contains 'vip'")->references().reads_time);
}
