#include "daemon/intelligence/lifecycle.h"

#include <doctest/doctest.h>

using namespace journeyd;

TEST_CASE("lifecycle stages follow the documented default rules") {
  const TimeMs now = parseIsoTime("2025-06-01T12:00:00Z").value();
  auto ago = [now](int days) { return std::optional<TimeMs>(now - days * kDayMs); };
  struct Row {
    const char* why;
    LifecycleFacts facts;
    LifecycleStage want;
  };
  const Row rows[] = {
      {"nothing known", {}, LifecycleStage::kNew},
      {"signed up 10 days ago, no order", {ago(10), {}, {}, {}}, LifecycleStage::kNew},
      {"signed up 30 days ago exactly", {ago(30), {}, {}, {}}, LifecycleStage::kNew},
      {"signed up 31 days ago, no order", {ago(31), {}, {}, {}}, LifecycleStage::kAtRisk},
      {"signed up 200 days ago, no order", {ago(200), {}, {}, {}}, LifecycleStage::kLapsed},
      {"signed up 400 days ago, no order", {ago(400), {}, {}, {}}, LifecycleStage::kChurned},
      {"first order 5 days ago", {ago(100), ago(5), ago(5), {}}, LifecycleStage::kNew},
      {"first order 20 days ago, low P(alive)", {{}, ago(20), ago(19), 0.1}, LifecycleStage::kNew},
      {"bought 40 days ago, customer for a year",
       {{}, ago(365), ago(40), {}},
       LifecycleStage::kActive},
      {"bought 90 days ago exactly", {{}, ago(365), ago(90), 0.9}, LifecycleStage::kActive},
      {"bought 91 days ago", {{}, ago(365), ago(91), {}}, LifecycleStage::kAtRisk},
      {"recent but P(alive) 0.3", {{}, ago(365), ago(40), 0.3}, LifecycleStage::kAtRisk},
      {"recent, P(alive) 0.5", {{}, ago(365), ago(40), 0.5}, LifecycleStage::kActive},
      {"bought 181 days ago", {{}, ago(700), ago(181), 0.99}, LifecycleStage::kLapsed},
      {"bought 365 days ago", {{}, ago(700), ago(365), {}}, LifecycleStage::kLapsed},
      {"bought 366 days ago", {{}, ago(700), ago(366), {}}, LifecycleStage::kChurned},
      {"last order known, first not", {{}, {}, ago(10), {}}, LifecycleStage::kNew},
  };
  for (const Row& row : rows) {
    CAPTURE(row.why);
    CHECK(lifecycleStageName(lifecycleStage(row.facts, now)) == lifecycleStageName(row.want));
  }
}

TEST_CASE("lifecycle thresholds are configurable and validated") {
  const TimeMs now = 1'000 * kDayMs;
  const LifecycleFacts facts{{}, now - 400 * kDayMs, now - 60 * kDayMs, {}};
  CHECK(lifecycleStage(facts, now) == LifecycleStage::kActive);
  LifecycleThresholds strict;
  strict.at_risk_after_ms = 45 * kDayMs;
  REQUIRE(validateLifecycleThresholds(strict));
  CHECK(lifecycleStage(facts, now, strict) == LifecycleStage::kAtRisk);

  LifecycleThresholds bad;
  bad.new_window_ms = 0;
  bad.lapsed_after_ms = 30 * kDayMs;
  bad.at_risk_below_p_alive = 1.5;
  const auto refused = validateLifecycleThresholds(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("new_window") != std::string::npos);
  CHECK(refused.error().message.find("lapsed_after") != std::string::npos);
  CHECK(refused.error().message.find("at_risk_below_p_alive") != std::string::npos);
  CHECK(validateLifecycleThresholds({}));
}

TEST_CASE("lifecycle stage names are stable ids") {
  CHECK(lifecycleStageName(LifecycleStage::kNew) == "new");
  CHECK(lifecycleStageName(LifecycleStage::kActive) == "active");
  CHECK(lifecycleStageName(LifecycleStage::kAtRisk) == "at_risk");
  CHECK(lifecycleStageName(LifecycleStage::kLapsed) == "lapsed");
  CHECK(lifecycleStageName(LifecycleStage::kChurned) == "churned");
}
