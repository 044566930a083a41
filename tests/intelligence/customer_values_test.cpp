#include "daemon/intelligence/customer_values.h"

#include <doctest/doctest.h>

#include <cmath>

#include "daemon/intelligence/clv.h"

using namespace journeyd;
using json = nlohmann::json;

namespace {

// CDNOW weekly parameters (CLVTools' 7-digit estimate, REFERENCE.md) and the same model in
// days: only α carries the time unit.
const BgNbdParams kWeekly{0.2425945, 4.4136019, 0.7929199, 2.4258881};
const BgNbdParams kDaily{0.2425945, 4.4136019 * 7, 0.7929199, 2.4258881};
const GammaGammaParams kSpend{6.25, 3.74, 15.44};

TimeMs at(const char* iso) { return parseIsoTime(iso).value(); }

StoredModels allModels() {
  StoredModels m;
  m.bgnbd = kDaily;
  m.bgnbd_log_likelihood = -14363.6;
  m.gamma_gamma = kSpend;
  m.gamma_gamma_log_likelihood = -4055.92;
  RfmBoundaries b;
  b.recency = {at("1997-02-01"), at("1997-03-01"), at("1997-05-01"), at("1997-07-01")};
  b.frequency = {1, 1, 2, 3};
  b.monetary = {20, 40, 60, 100};
  b.customers = 2357;
  m.rfm = b;
  m.time_unit_days = 1;
  m.customers = 2357;
  m.fitted_at = at("2026-11-22T18:00:00Z");
  m.as_of = at("1997-09-30T23:59:59.999Z");
  return m;
}

// CDNOW customer 1 in days: first order 1997-01-01, three order days, the last 213 days later
// (x = 2, t_x = 30.43 weeks), seen on 1997-09-30 (T = 272 days = 38.86 weeks), $22.35 a day.
CustomerOrderFacts customerOne() {
  CustomerOrderFacts f;
  f.orders_count = 4;
  f.purchase_days = 3;
  f.total_spent = 3 * 22.35;
  f.first_order_at = at("1997-01-01T12:00:00Z");
  f.last_order_at = *f.first_order_at + 213 * kDayMs;
  f.signed_up_at = at("1996-12-20T09:00:00Z");
  return f;
}

const TimeMs kNow = at("1997-09-30T18:00:00Z");

}  // namespace

TEST_CASE("the BTYD summary of order facts: x = days - 1, t_x and T in the model unit") {
  const BtydSummary days = summarizeFacts(customerOne(), kNow);
  CHECK(days.x == 2);
  CHECK(days.t_x == 213);
  CHECK(days.T == 272);
  CHECK(days.monetary == doctest::Approx(22.35));
  const BtydSummary weeks = summarizeFacts(customerOne(), kNow, 7);
  CHECK(weeks.t_x == doctest::Approx(30.43).epsilon(1e-3));
  CHECK(weeks.T == doctest::Approx(38.86).epsilon(1e-3));

  CustomerOrderFacts once;
  once.purchase_days = 1;
  once.orders_count = 2;
  once.total_spent = 50;
  once.first_order_at = at("1997-03-01T08:00:00Z");
  once.last_order_at = at("1997-03-01T20:00:00Z");
  const BtydSummary single = summarizeFacts(once, kNow);
  CHECK(single.x == 0);
  CHECK(single.t_x == 0);
  CHECK(single.monetary == 0);
  CHECK(summarizeFacts(CustomerOrderFacts{}, kNow).T == 0);
}

TEST_CASE("values of a repeat customer, computed by hand") {
  const json v = customerValues(customerOne(), allModels(), kNow);
  INFO(v.dump());
  // P(alive) = 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)), unit-free: 0.7266 (REFERENCE.md).
  const double p_alive =
      1.0 / (1.0 + 0.7929199 / (2.4258881 + 1) *
                       std::pow((30.8952133 + 272) / (30.8952133 + 213), 2.2425945));
  CHECK(p_alive == doctest::Approx(0.7266).epsilon(1e-4));
  CHECK(v["p_alive"].get<double>() == doctest::Approx(p_alive).epsilon(1e-4));
  CHECK(v["churn_risk"].get<double>() == doctest::Approx(1 - p_alive).epsilon(1e-3));

  // The daily model gives what the weekly CDNOW model gives for the same customer.
  const BtydSummary weekly{.x = 2, .t_x = 213.0 / 7, .T = 272.0 / 7, .monetary = 22.35};
  CHECK(
      v["expected_orders_90d"].get<double>() ==
      doctest::Approx(bgNbdConditionalExpectedPurchases(kWeekly, 90.0 / 7, weekly)).epsilon(1e-3));
  const double clv = customerLifetimeValue(
      kWeekly, kSpend, weekly,
      {.horizon_days = 365, .step_days = 30, .discount_rate_per_step = 0.01, .time_unit_days = 7});
  CHECK(v["clv_12m"].get<double>() == doctest::Approx(clv).epsilon(1e-3));
  // E[M | x = 2, m̄ = 22.35] = 24.66 per order day; E[Y(39 weeks)] = 1.226 (Hardie's sheet).
  CHECK(clv > 24.66 * 1.226 * 0.9);

  // Seed LTV: 67.05 over less than a year counts as one year, × 3 years.
  CHECK(v["ltv"].get<double>() == doctest::Approx(201.15));
  // 59 days of silence, first order long ago, P(alive) above 0.5: active.
  CHECK(v["lifecycle"] == "active");
  // R: last order 1997-08-02 beats every cut (5); F: 3 days > 1, 1, 2 (4); M: 67.05 > 20, 40,
  // 60 (4); FM = 4 → champions.
  CHECK(v["rfm"] == json({{"r", 5}, {"f", 4}, {"m", 4}, {"segment", "champions"}}));
}

TEST_CASE("a one-time buyer counts as alive; a long-silent one is lapsed") {
  CustomerOrderFacts once;
  once.orders_count = 1;
  once.purchase_days = 1;
  once.total_spent = 15;
  once.first_order_at = once.last_order_at = at("1997-03-20T10:00:00Z");
  const json v = customerValues(once, allModels(), kNow);
  INFO(v.dump());
  CHECK(v["p_alive"] == 1.0);
  CHECK(v["churn_risk"] == 0.0);
  CHECK(v["expected_orders_90d"].get<double>() > 0.0);
  CHECK(v["expected_orders_90d"].get<double>() < 1.0);
  CHECK(v["clv_12m"].get<double>() > 0.0);
  CHECK(v["ltv"].get<double>() == doctest::Approx(45.0));  // 15 a year × 3
  CHECK(v["lifecycle"] == "lapsed");                       // 194 days of silence
  // R: 1997-03-20 beats 1997-02-01 and 1997-03-01 (3); F 1 (1); M 15 (1): FM 1 → about_to_sleep.
  CHECK(v["rfm"] == json({{"r", 3}, {"f", 1}, {"m", 1}, {"segment", "about_to_sleep"}}));
}

TEST_CASE("a frequent buyer gone quiet: low P(alive) makes them at risk before 90 days") {
  CustomerOrderFacts f;
  f.orders_count = 20;
  f.purchase_days = 20;
  f.total_spent = 400;
  f.first_order_at = at("1997-06-01T12:00:00Z");
  f.last_order_at = at("1997-07-20T12:00:00Z");  // 20 order days in 50 days, then 72 silent
  const json v = customerValues(f, allModels(), kNow);
  INFO(v.dump());
  CHECK(v["p_alive"].get<double>() < 0.5);
  CHECK(v["churn_risk"].get<double>() == doctest::Approx(1 - v["p_alive"].get<double>()));
  CHECK(v["lifecycle"] == "at_risk");
}

TEST_CASE("missing models leave their fields out") {
  StoredModels none;
  const json bare = customerValues(customerOne(), none, kNow);
  CHECK(bare == json({{"ltv", 201.15}, {"lifecycle", "active"}}));

  StoredModels bgnbd_only;
  bgnbd_only.bgnbd = kDaily;
  const json partial = customerValues(customerOne(), bgnbd_only, kNow);
  CHECK(partial.contains("p_alive"));
  CHECK(partial.contains("churn_risk"));
  CHECK(partial.contains("expected_orders_90d"));
  CHECK_FALSE(partial.contains("clv_12m"));
  CHECK_FALSE(partial.contains("rfm"));

  // A customer who never ordered gets no model figures even with every model fitted.
  CustomerOrderFacts never;
  never.signed_up_at = kNow - 10 * kDayMs;
  const json fresh = customerValues(never, allModels(), kNow);
  CHECK(fresh == json({{"ltv", 0.0}, {"lifecycle", "new"}}));
}

TEST_CASE("stored models round-trip through JSON") {
  const StoredModels m = allModels();
  const json j = m.toJson();
  CHECK(j["bgnbd"]["alpha"] == kDaily.alpha);
  CHECK(j["as_of"] == "1997-09-30T23:59:59.999Z");
  auto back = StoredModels::fromJson(json::parse(j.dump()));
  REQUIRE(back);
  CHECK(back->toJson() == j);
  REQUIRE(back->bgnbd);
  CHECK(back->bgnbd->r == kDaily.r);
  CHECK(back->bgnbd->b == kDaily.b);
  CHECK(*back->bgnbd_log_likelihood == -14363.6);
  REQUIRE(back->gamma_gamma);
  CHECK(back->gamma_gamma->gamma == kSpend.gamma);
  REQUIRE(back->rfm);
  CHECK(back->rfm->recency == m.rfm->recency);
  CHECK(back->rfm->monetary == m.rfm->monetary);
  CHECK(back->rfm->customers == 2357);
  CHECK(back->fitted_at == m.fitted_at);
  CHECK(back->as_of == m.as_of);
  CHECK(back->customers == 2357);

  // Absent models stay absent.
  StoredModels empty;
  empty.time_unit_days = 7;
  auto none = StoredModels::fromJson(empty.toJson());
  REQUIRE(none);
  CHECK_FALSE(none->bgnbd);
  CHECK_FALSE(none->gamma_gamma);
  CHECK_FALSE(none->rfm);
  CHECK(none->time_unit_days == 7);

  // Malformed documents are refused with the field named.
  json bad = j;
  bad["bgnbd"]["alpha"] = -1;
  auto refused = StoredModels::fromJson(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == "bgnbd.alpha");
  bad = j;
  bad["rfm"]["frequency"] = json::array({1, 2});
  CHECK_FALSE(StoredModels::fromJson(bad));
  CHECK_FALSE(StoredModels::fromJson(json::array()));
}
