#pragma once
// Shared fixtures for the expression tests: one customer, a few events and a fixed now.
#include <string>

#include "daemon/core/time.h"
#include "daemon/expr/expression.h"

namespace journeyd::test {

inline const TimeMs kNow = *parseIsoTime("2024-06-01T00:00:00Z");

inline CompileOptions options() { return {{"customer", "event", "data", "journey"}}; }

inline nlohmann::json sampleData() {
  return nlohmann::json::parse(R"({
    "customer": {
      "orders_count": 3,
      "clv_12m": 2500.5,
      "email": "ann@example.com",
      "unsubscribed": false,
      "last_order_at": "2024-04-01T00:00:00Z",
      "signup_at_ms": 1704067200000,
      "tags": ["vip", "newsletter"],
      "empty_list": [],
      "blank": "",
      "traits": {"first_name": "Ann", "first name": "Ann Lee", "nps": 8, "city": "上海"},
      "rfm": {"segment": "champions", "r": 5},
      "中文": {"名字": "安"}
    },
    "event": {"name": "Order Completed", "properties": {"revenue": 120.0, "items": [{"sku": "A1"}, {"sku": "B2"}]}},
    "data": {"coupon_code": "NEW15", "key": "nps"},
    "journey": {"id": "newcomer-guide"}
  })");
}

inline std::vector<EventRecord> sampleEvents() {
  auto at = [](const char* iso) { return *parseIsoTime(iso); };
  return {
      {"Page Viewed", at("2024-05-30T00:00:00Z"), {{"path", "/a"}}},
      {"Page Viewed", at("2024-05-10T00:00:00Z"), {{"path", "/b"}}},
      {"Page Viewed", at("2024-04-01T00:00:00Z"), {{"path", "/c"}}},  // outside 30d
      {"Order Completed", at("2024-05-20T00:00:00Z"), {{"revenue", 100}}},
      {"Order Completed", at("2024-05-25T12:00:00Z"), {{"revenue", 50.5}}},
      {"Order Completed", at("2024-01-01T00:00:00Z"), {{"revenue", 1000}}},
      {"Order Completed", at("2024-07-01T00:00:00Z"), {{"revenue", 7}}},  // future: ignored
  };
}

inline JsonEvalContext sampleContext() {
  return JsonEvalContext(sampleData(), kNow, sampleEvents());
}

/// Compiles or fails the test with the diagnostics.
inline std::shared_ptr<const Expression> mustCompile(const std::string& source) {
  Diagnostics diagnostics;
  auto expr = compileExpression(source, {"t.yaml", 1, 1}, options(), diagnostics);
  if (!expr) FAIL_CHECK(source << " failed to compile:\n" << diagnostics.format());
  return expr;
}

}  // namespace journeyd::test
