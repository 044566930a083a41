#include "daemon/results/proportions.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace journeyd;

namespace {

/// Published figures are rounded to `decimals` places: ours must round to the same.
bool agreesTo(double ours, double published, int decimals) {
  return std::fabs(ours - published) <= 0.5 * std::pow(10.0, -decimals) + 1e-12;
}

}  // namespace

TEST_CASE("Wilson intervals reproduce Newcombe's (1998a) worked examples") {
  // Newcombe RG, "Two-sided confidence intervals for the single proportion: comparison of seven
  // methods", Stat Med 1998;17:857-872, Table II, method 3 (score, no continuity correction).
  struct Row {
    std::int64_t x, n;
    double low, high;
  };
  const Row rows[] = {{81, 263, 0.2553, 0.3662},
                      {15, 148, 0.0624, 0.1605},
                      {0, 20, 0.0, 0.1611},
                      {1, 29, 0.0061, 0.1718}};
  for (const Row& row : rows) {
    CAPTURE(row.x);
    CAPTURE(row.n);
    const Interval ci = wilsonInterval({row.x, row.n});
    CHECK(agreesTo(ci.low, row.low, 4));
    CHECK(agreesTo(ci.high, row.high, 4));
  }
}

TEST_CASE("the Wilson interval stays inside [0, 1] and is not a point at 0 or n successes") {
  const Interval none = wilsonInterval({0, 50});
  CHECK(none.low == 0.0);
  CHECK(none.high > 0.05);
  const Interval all = wilsonInterval({50, 50});
  CHECK(all.high == 1.0);
  CHECK(all.low < 0.95);
  CHECK(wilsonInterval({30, 50}, 0.99).low < wilsonInterval({30, 50}, 0.95).low);
  CHECK_FALSE(wilsonInterval({0, 0}).defined());
  CHECK_FALSE(wilsonInterval({6, 5}).defined());
}

TEST_CASE("Newcombe's hybrid score interval reproduces all eight examples of Newcombe (1998b)") {
  // Newcombe RG, "Interval estimation for the difference between independent proportions:
  // comparison of eleven methods", Stat Med 1998;17:873-890, Table II, method 10.
  struct Row {
    std::int64_t x1, n1, x2, n2;
    double low, high;
  };
  const Row rows[] = {{56, 70, 48, 80, 0.0524, 0.3339}, {9, 10, 3, 10, 0.1705, 0.8090},
                      {6, 7, 2, 7, 0.0582, 0.8062},     {5, 56, 0, 29, -0.0381, 0.1926},
                      {0, 10, 0, 20, -0.1611, 0.2775},  {0, 10, 0, 10, -0.2775, 0.2775},
                      {10, 10, 0, 20, 0.6791, 1.0000},  {10, 10, 0, 10, 0.6075, 1.0000}};
  for (const Row& row : rows) {
    CAPTURE(row.x1);
    CAPTURE(row.n1);
    CAPTURE(row.x2);
    CAPTURE(row.n2);
    const Interval ci = newcombeDifferenceInterval({row.x1, row.n1}, {row.x2, row.n2});
    CHECK(agreesTo(ci.low, row.low, 4));
    CHECK(agreesTo(ci.high, row.high, 4));
  }
}

TEST_CASE("the aspirin trial's difference and relative risk match Agresti's worked example") {
  // Physicians' Health Study: myocardial infarction in 189 of 11,034 on placebo and 104 of
  // 11,037 on aspirin. Agresti, Categorical Data Analysis (2nd ed., 2002), ch. 2: difference
  // 0.0077, 95% CI (0.005, 0.011); relative risk 1.82. At this size Newcombe's interval and the
  // Wald interval Agresti uses agree to the three decimals printed.
  const Proportion placebo{189, 11034};
  const Proportion aspirin{104, 11037};
  CHECK(agreesTo(placebo.rate() - aspirin.rate(), 0.0077, 4));
  const Interval diff = newcombeDifferenceInterval(placebo, aspirin);
  CHECK(agreesTo(diff.low, 0.005, 3));
  CHECK(agreesTo(diff.high, 0.011, 3));
  CHECK(agreesTo(placebo.rate() / aspirin.rate(), 1.82, 2));
  const Interval ratio = katzRatioInterval(placebo, aspirin);
  CHECK(ratio.contains(placebo.rate() / aspirin.rate()));
}

TEST_CASE("the Katz ratio interval matches scipy's relative_risk documentation example") {
  // scipy.stats.contingency.relative_risk(27, 122, 44, 487): 2.4495156482861398,
  // confidence_interval() = (1.5836990926700116, 3.7886786315466354).
  const Interval ci = katzRatioInterval({27, 122}, {44, 487});
  CHECK(ci.low == doctest::Approx(1.5836990926700116).epsilon(1e-12));
  CHECK(ci.high == doctest::Approx(3.7886786315466354).epsilon(1e-12));
  CHECK_FALSE(katzRatioInterval({0, 122}, {44, 487}).defined());
  CHECK_FALSE(katzRatioInterval({27, 122}, {0, 487}).defined());
}

TEST_CASE("Fisher's exact test gives the lady tasting tea 34/70 two-sided") {
  // Fisher (1935): 3 of the 4 milk-first cups named right. P(table as or less likely) =
  // (1 + 16 + 16 + 1) / 70 = 0.486, as in Agresti (2002)'s tea-tasting example.
  CHECK(fisherExactTwoSided({3, 4}, {1, 4}) == doctest::Approx(34.0 / 70.0).epsilon(1e-12));
  // All four right: only the two extreme tables are as unlikely, 2/70.
  CHECK(fisherExactTwoSided({4, 4}, {0, 4}) == doctest::Approx(2.0 / 70.0).epsilon(1e-12));
  // scipy.stats.fisher_exact docstring: whales and sharks [[8, 2], [1, 5]] → 0.0349...
  CHECK(fisherExactTwoSided({8, 10}, {1, 6}) == doctest::Approx(0.03496503496503).epsilon(1e-9));
}

TEST_CASE("Fisher's exact test is 1 for the most likely table and when a margin is empty") {
  CHECK(fisherExactTwoSided({2, 4}, {2, 4}) == doctest::Approx(1.0));
  CHECK(fisherExactTwoSided({0, 10}, {0, 12}) == 1.0);
  CHECK(fisherExactTwoSided({10, 10}, {12, 12}) == 1.0);
  // Symmetric: which arm is listed first does not matter.
  CHECK(fisherExactTwoSided({1, 200}, {9, 180}) ==
        doctest::Approx(fisherExactTwoSided({9, 180}, {1, 200})).epsilon(1e-12));
}

TEST_CASE("Pearson's chi-square over three arms reproduces Agresti's party identification table") {
  // Agresti (2002), party identification by gender (1991 General Social Survey): X² = 30.07,
  // df = 2.
  // As arms: Democrat, Independent, Republican; "success" = female.
  const Proportion arms[] = {{762, 762 + 484}, {327, 327 + 239}, {468, 468 + 477}};
  const TestOutcome outcome = chiSquareTest(arms);
  CHECK(agreesTo(outcome.statistic, 30.07, 2));
  CHECK(outcome.degrees_of_freedom == 2);
  CHECK(outcome.p_value < 1e-6);
}

TEST_CASE("the pooled z-test squared is the 2x2 chi-square") {
  const Proportion a{120, 1000};
  const Proportion b{90, 1000};
  const Proportion both[] = {a, b};
  const TestOutcome z = twoProportionZTest(a, b);
  const TestOutcome chi = chiSquareTest(both);
  CHECK(z.statistic * z.statistic == doctest::Approx(chi.statistic).epsilon(1e-12));
  CHECK(z.p_value == doctest::Approx(chi.p_value).epsilon(1e-10));
  CHECK(z.statistic > 0);
  CHECK(twoProportionZTest(b, a).statistic == doctest::Approx(-z.statistic));
  // Nobody converted: nothing to test.
  CHECK(std::isnan(twoProportionZTest({0, 100}, {0, 100}).p_value));
}

TEST_CASE("arms without recipients are left out of the chi-square") {
  const Proportion with_empty[] = {{10, 100}, {0, 0}, {20, 100}, {25, 100}};
  const Proportion without[] = {{10, 100}, {20, 100}, {25, 100}};
  CHECK(chiSquareTest(with_empty).statistic == doctest::Approx(chiSquareTest(without).statistic));
  CHECK(chiSquareTest(with_empty).degrees_of_freedom == 2);
}

TEST_CASE("the sample size reproduces R's power.prop.test examples") {
  // R's ?power.prop.test: n = 50, p1 = .50, p2 = .75 → power = 0.740;
  // p1 = .50, p2 = .75, power = .90 → n = 76.7 (we round up to whole recipients).
  CHECK(agreesTo(comparisonPower(0.50, 0.75, 50), 0.740, 3));
  const auto equal = requiredSampleSize(0.50, 0.75, 0.05, 0.90);
  REQUIRE(equal);
  CHECK(equal->control == 77);
  CHECK(equal->treatment == 77);
  CHECK(comparisonPower(0.50, 0.75, 76) < 0.90);
  CHECK(comparisonPower(0.50, 0.75, 77) >= 0.90);
}

TEST_CASE("the sample size grows as the lift to detect shrinks, and is undefined without one") {
  const auto ten = requiredSampleSize(0.05, 0.055);
  const auto twenty = requiredSampleSize(0.05, 0.06);
  REQUIRE(ten);
  REQUIRE(twenty);
  CHECK(ten->control > 3 * twenty->control);
  CHECK(comparisonPower(0.05, 0.055, static_cast<double>(ten->control)) ==
        doctest::Approx(0.80).epsilon(1e-3));
  CHECK_FALSE(requiredSampleSize(0.05, 0.05));
  CHECK_FALSE(requiredSampleSize(0.0, 0.01));
  CHECK_FALSE(requiredSampleSize(0.95, 1.0));
  CHECK_FALSE(requiredSampleSize(0.05, 0.06, 0.05, 0.8, 0.0));
}

TEST_CASE("a small holdout needs fewer control recipients than an even split, but more in all") {
  // With nine marketed customers per holdout customer the marketed side's noise shrinks, so the
  // holdout can be smaller than an equal arm; it never goes below half of one (its own noise).
  const auto even = requiredSampleSize(0.10, 0.11);
  const auto holdout = requiredSampleSize(0.10, 0.11, 0.05, 0.80, 9.0);
  REQUIRE(even);
  REQUIRE(holdout);
  CHECK(holdout->control < even->control);
  CHECK(holdout->control > even->control / 2);
  CHECK(holdout->treatment > 9 * (holdout->control - 1));
  CHECK(holdout->treatment <= 9 * holdout->control);
  CHECK(holdout->control + holdout->treatment > 2 * even->control);
  CHECK(comparisonPower(0.10, 0.11, static_cast<double>(holdout->control), 0.05, 9.0) ==
        doctest::Approx(0.80).epsilon(1e-3));
}

TEST_CASE(
    "comparing proportions switches to Fisher's exact test when an expected count is below 5") {
  const ProportionContrast large = compareProportions({60, 1000}, {40, 1000});
  CHECK(large.test == ProportionTest::kZTest);
  CHECK(large.p_value == doctest::Approx(twoProportionZTest({60, 1000}, {40, 1000}).p_value));
  CHECK(large.difference == doctest::Approx(0.02));
  CHECK(large.relative_lift == doctest::Approx(0.5));
  CHECK(large.relative_lift_interval.contains(0.5));
  CHECK(large.difference_interval.contains(0.02));

  // 9 conversions out of 2,000: expected 4.5 in each arm.
  const ProportionContrast small = compareProportions({7, 1000}, {2, 1000});
  CHECK(small.minimum_expected_count == doctest::Approx(4.5));
  CHECK(small.test == ProportionTest::kFisherExact);
  CHECK(small.p_value == doctest::Approx(fisherExactTwoSided({7, 1000}, {2, 1000})));
  CHECK(std::isnan(small.statistic));
}

TEST_CASE("a control without conversions has no relative lift but a difference interval") {
  const ProportionContrast contrast = compareProportions({5, 100}, {0, 100});
  CHECK(std::isnan(contrast.relative_lift));
  CHECK_FALSE(contrast.relative_lift_interval.defined());
  CHECK(contrast.difference_interval.defined());
  CHECK(contrast.difference_interval.contains(0.05));
}
