#include <doctest/doctest.h>

#include "tests/expr/expr_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

TEST_CASE("explain shows the values that decided the result") {
  struct Row {
    const char* source;
    const char* want;
  };
  const Row rows[] = {
      {"customer.orders_count == 0", "customer.orders_count (3) == 0 → false"},
      {"customer.rfm.segment in [\"champions\", \"loyal\"]",
       "customer.rfm.segment (\"champions\") in [\"champions\", \"loyal\"] → true"},
      {"customer.orders_count > 0 and days_since(customer.last_order_at) >= 60",
       "(customer.orders_count (3) > 0 → true) and (days_since(customer.last_order_at) (61) >= 60 "
       "→ true) → true"},
      {"customer.orders_count > 5 and customer.email exists",
       "(customer.orders_count (3) > 5 → false) and (customer.email exists: not needed) → false"},
      {"customer.rfm.segment == 'loyal' or customer.clv_12m >= 2000",
       "(customer.rfm.segment (\"champions\") == 'loyal' → false) or (customer.clv_12m (2500.5) >= "
       "2000 → true) → true"},
      {"0.4 * count(\"Page Viewed\", within: 30d) + 0.6 * customer.traits.nps",
       "0.4 * count(\"Page Viewed\", within: 30d) (2) + 0.6 * customer.traits.nps (8) → 5.6"},
      {"(customer.orders_count + 1) * 2", "(customer.orders_count (3) + 1) * 2 → 8"},
      {"not customer.unsubscribed", "not customer.unsubscribed (false) → true"},
      {"customer.missing not exists", "customer.missing (null) not exists → true"},
      {"customer.last_order_at + 30d < now()",
       "customer.last_order_at (\"2024-04-01T00:00:00Z\") + 30d < now() (1717200000000) → true"},
  };
  auto ctx = sampleContext();
  for (const auto& row : rows) {
    std::string source = row.source;
    CAPTURE(source);
    auto expr = mustCompile(row.source);
    REQUIRE(expr);
    CHECK(expr->explain(ctx) == row.want);
  }
}
