// Expression benchmark: one customer against a set of 20 segment conditions, evaluated N times.
// Prints evaluations per second and nanoseconds per segment.
//   bench_expr [ITERATIONS]   (default 100000, at most 10000000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/expr/expression.h"

using namespace journeyd;

namespace {

const char* const kSegments[] = {
    "customer.orders_count > 0 and days_since(customer.last_order_at) >= 60",
    "customer.rfm.segment in [\"champions\", \"loyal\"] or customer.clv_12m >= 2000",
    "customer.orders_count == 0",
    "customer.email exists and not customer.unsubscribed",
    "customer.rfm.r <= 2 and customer.rfm.f >= 3",
    "customer.lifecycle_stage == \"at_risk\"",
    "customer.lifecycle_stage in [\"lapsed\", \"churned\"]",
    "customer.tags contains \"vip\"",
    "customer.traits.nps >= 9",
    "customer.traits.nps <= 6 and customer.traits.nps exists",
    "customer.clv_12m >= 500 and customer.clv_12m < 2000",
    "customer.p_alive < 0.3",
    "days_since(customer.signup_at) <= 14",
    "customer.traits.city == \"上海\" or customer.traits.city == \"北京\"",
    "lower(customer.traits.plan) == \"pro\"",
    "count(\"Page Viewed\", within: 30d) >= 3",
    "sum(\"Order Completed\", \"revenue\", within: 90d) > 300",
    "customer.orders_count >= 5 and customer.avg_order_value > 80",
    "coalesce(customer.traits.nickname, customer.traits.first_name) exists",
    "customer.rfm.segment not in [\"lost\", \"hibernating\"] and customer.orders_count > 1",
};

}  // namespace

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100000;
  if (iterations < 1) iterations = 1;
  if (iterations > 10000000) iterations = 10000000;

  CompileOptions options{{"customer", "event", "data", "journey"}};
  std::vector<std::shared_ptr<const Expression>> segments;
  for (const char* source : kSegments) {
    Diagnostics diagnostics;
    auto expr = compileExpression(source, {"bench", 1, 1}, options, diagnostics);
    if (!expr) {
      std::fprintf(stderr, "%s", diagnostics.format().c_str());
      return 1;
    }
    segments.push_back(std::move(expr));
  }

  const TimeMs now = *parseIsoTime("2024-06-01T00:00:00Z");
  auto customer = nlohmann::json::parse(R"({
    "orders_count": 7, "clv_12m": 1450.0, "avg_order_value": 92.5, "p_alive": 0.62,
    "email": "ann@example.com", "unsubscribed": false, "lifecycle_stage": "active",
    "last_order_at": "2024-04-20T10:00:00Z", "signup_at": "2023-02-01T08:00:00Z",
    "tags": ["newsletter", "vip"],
    "rfm": {"segment": "loyal", "r": 4, "f": 4, "m": 3},
    "traits": {"first_name": "Ann", "nps": 8, "city": "上海", "plan": "Pro"}
  })");
  std::vector<EventRecord> events;
  for (int i = 0; i < 20; ++i) {
    events.push_back({"Page Viewed", now - i * 2 * kDayMs, {{"path", "/p"}}});
  }
  for (int i = 0; i < 6; ++i) {
    events.push_back({"Order Completed", now - i * 15 * kDayMs, {{"revenue", 80 + i}}});
  }
  JsonEvalContext ctx({{"customer", customer}}, now, events);

  long matched = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    for (const auto& segment : segments) matched += segment->truthy(ctx) ? 1 : 0;
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  double evaluations = static_cast<double>(iterations) * static_cast<double>(segments.size());
  std::printf("segments: %zu, customers evaluated: %ld, matches per customer: %ld\n",
              segments.size(), iterations, matched / iterations);
  std::printf("evaluations/s: %.0f\n", evaluations / elapsed);
  std::printf("ns per segment: %.1f\n", elapsed * 1e9 / evaluations);
  std::printf("us per customer (all %zu segments): %.2f\n", segments.size(),
              elapsed * 1e6 / static_cast<double>(iterations));
  return 0;
}
