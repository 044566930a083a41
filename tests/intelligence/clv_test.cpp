#include "daemon/intelligence/clv.h"

#include <doctest/doctest.h>

#include <cmath>

#include "tests/intelligence/cdnow_data.h"

using namespace journeyd;

TEST_CASE("CLV reproduces lifetimes' printed figures with its 30-unit 'months'") {
  // lifetimes customer_lifetime_value(time=12, discount_rate=0.01) on the weekly CDNOW model
  // sums 12 steps of 30 *weeks*: horizon 360 and step 30 with time_unit_days = 1 (REFERENCE.md).
  const auto customers = cdnow::calibrationSummaries();
  const auto bgnbd = fitBgNbd(customers);
  const auto gamma_gamma = fitGammaGamma(customers);
  REQUIRE(bgnbd);
  REQUIRE(gamma_gamma);
  const ClvOptions as_printed{
      .horizon_days = 360, .step_days = 30, .discount_rate_per_step = 0.01, .time_unit_days = 1};
  const double want[] = {140.096211,  18.943467, 38.180574, 38.180574,  38.180574,
                         1003.868107, 28.109683, 38.180574, 167.418216, 38.180574};
  for (int id = 1; id <= 10; ++id) {
    CAPTURE(id);
    const double clv =
        customerLifetimeValue(bgnbd->params, gamma_gamma->params, customers[id - 1], as_printed);
    CHECK(clv == doctest::Approx(want[id - 1]).epsilon(0.001));
  }
}

TEST_CASE("a 12-month CLV in days is a discounted sum of monthly expected spend") {
  const BgNbdParams weekly{0.2425945, 4.4136019, 0.7929199, 2.4258881};
  const GammaGammaParams spend{6.25, 3.74, 15.44};
  const BtydSummary customer{.x = 2, .t_x = 30.43, .T = 38.86, .monetary = 22.35};
  const ClvOptions options{
      .horizon_days = 360, .step_days = 30, .discount_rate_per_step = 0.01, .time_unit_days = 7};
  double by_hand = 0;
  double previous = 0;
  for (int k = 1; k <= 12; ++k) {
    const double e = bgNbdConditionalExpectedPurchases(weekly, 30.0 * k / 7.0, customer);
    by_hand += 24.6637 * (e - previous) / std::pow(1.01, k);
    previous = e;
  }
  CHECK(customerLifetimeValue(weekly, spend, customer, options) ==
        doctest::Approx(by_hand).epsilon(1e-4));
  // No discount: CLV = E[M] · E[Y(horizon)].
  const ClvOptions flat{
      .horizon_days = 365, .step_days = 30, .discount_rate_per_step = 0, .time_unit_days = 7};
  CHECK(customerLifetimeValue(weekly, spend, customer, flat) ==
        doctest::Approx(gammaGammaExpectedSpend(spend, 2, 22.35) *
                        bgNbdConditionalExpectedPurchases(weekly, 365.0 / 7, customer)));
}

TEST_CASE("customer value bundles P(alive), churn risk, CLV and seed LTV") {
  const TimeMs first = parseIsoTime("2024-01-01T10:00:00Z").value();
  PurchaseTally tally;
  REQUIRE(addOrder(tally, {first, 40.0}));
  REQUIRE(addOrder(tally, {first + 20 * kDayMs, 60.0}));
  REQUIRE(addOrder(tally, {first + 50 * kDayMs, 20.0}));
  ValueModels models;
  models.bgnbd = {0.2425945, 4.4136019 * 7, 0.7929199, 2.4258881};  // CDNOW in days
  models.gamma_gamma = {6.25, 3.74, 15.44};
  const TimeMs as_of = first + 200 * kDayMs;
  const CustomerValue value = evaluateCustomerValue(tally, as_of, models);
  CHECK(value.summary.x == 2);
  CHECK(value.summary.t_x == 50);
  CHECK(value.summary.T == 200);
  CHECK(value.summary.monetary == 40.0);
  CHECK(value.p_alive == doctest::Approx(bgNbdProbabilityAlive(models.bgnbd, value.summary)));
  CHECK(value.p_alive < 0.5);  // silent 150 days after buying every few weeks
  CHECK(value.churn_risk == doctest::Approx(1.0 - value.p_alive));
  CHECK(value.clv > 0.0);
  CHECK(value.clv < value.expected_spend * value.expected_purchases);  // discounting
  CHECK(value.seed_ltv == doctest::Approx(120.0 * 3));  // < 1 year: annual spend = total

  const CustomerValue nobody = evaluateCustomerValue(PurchaseTally{}, as_of, models);
  CHECK(nobody.clv == 0.0);
  CHECK(nobody.p_alive == 1.0);
}

TEST_CASE("seed LTV is annual spend times expected lifetime years") {
  const TimeMs first = parseIsoTime("2020-01-01").value();
  const TimeMs two_years = first + static_cast<TimeMs>(2 * 365.25 * kDayMs);
  CHECK(annualSpend(1000, first, two_years) == doctest::Approx(500));
  CHECK(seedLtv(1000, first, two_years) == doctest::Approx(1500));
  CHECK(seedLtv(1000, first, two_years, {.expected_lifetime_years = 5}) == doctest::Approx(2500));
  CHECK(annualSpend(300, first, first + 30 * kDayMs) == doctest::Approx(300));  // min 1 year
  CHECK(annualSpend(300, first, first + 30 * kDayMs, {.min_observed_years = 0.25}) ==
        doctest::Approx(1200));
  CHECK(seedLtv(0, first, two_years) == 0.0);
  CHECK(seedLtv(100, two_years, first) == 0.0);
}
