#pragma once
/// Statistics of conversion rates: a proportion's confidence interval, the difference and the
/// ratio of two proportions with their intervals, the tests of "no difference" (two-proportion
/// z, Pearson chi-square over several arms, Fisher's exact), and the sample size an experiment
/// needs. Formulas, the reasons for each choice and references: docs/statistics.md.
///
/// Pure functions of counts (they fit SQL aggregates), thread-safe. Arguments out of their domain
/// (no trials, more successes than trials, a confidence outside (0, 1)) give NaN rather than an
/// error: compareArms() (comparison.h) validates user input and turns NaN into "not defined".
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace journeyd {

/// `successes` out of `trials` (e.g. recipients who converted, out of recipients).
struct Proportion {
  std::int64_t successes = 0;
  std::int64_t trials = 0;

  /// successes / trials; NaN when there are no trials.
  [[nodiscard]] double rate() const;
  /// 0 <= successes <= trials and trials > 0.
  [[nodiscard]] bool valid() const { return trials > 0 && successes >= 0 && successes <= trials; }
};

/// A two-sided confidence interval; both ends NaN when it is not defined.
struct Interval {
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();

  [[nodiscard]] bool defined() const { return !std::isnan(low) && !std::isnan(high); }
  [[nodiscard]] bool contains(double value) const { return low <= value && value <= high; }
};

/// The standard normal quantile z for a two-sided interval at `confidence` (1.959964 at 0.95).
[[nodiscard]] double twoSidedZ(double confidence);

/// Wilson score interval for one proportion, within [0, 1]. Good coverage even at 0 or all
/// successes and small samples, where the Wald interval p ± z·√(p(1−p)/n) collapses to a point.
[[nodiscard]] Interval wilsonInterval(Proportion p, double confidence = 0.95);

/// Interval for the difference rate(a) − rate(b): Newcombe's hybrid score interval (his method
/// 10), built from the two Wilson intervals; within [−1, 1] and defined with zero successes.
[[nodiscard]] Interval newcombeDifferenceInterval(Proportion a, Proportion b,
                                                  double confidence = 0.95);

/// Interval for the ratio rate(a) / rate(b) by the log (Katz) method:
/// exp(ln r ± z·√(1/x_a − 1/n_a + 1/x_b − 1/n_b)). Not defined when either has no success.
[[nodiscard]] Interval katzRatioInterval(Proportion a, Proportion b, double confidence = 0.95);

/// A test statistic and its two-sided p-value. `statistic` and `p_value` are NaN when the test
/// is not defined (e.g. nobody converted in any arm).
struct TestOutcome {
  double statistic = std::numeric_limits<double>::quiet_NaN();
  double degrees_of_freedom = std::numeric_limits<double>::quiet_NaN();  ///< chi-square and t
  double p_value = std::numeric_limits<double>::quiet_NaN();
};

/// Two-proportion z-test with the pooled standard error: z = (p_a − p_b) / √(p̄(1−p̄)(1/n_a +
/// 1/n_b)); two-sided p = 2·P(Z > |z|). Equal to Pearson's chi-square on the 2×2 table without
/// Yates's correction (z² = X²).
[[nodiscard]] TestOutcome twoProportionZTest(Proportion a, Proportion b);

/// Pearson's chi-square test of equal rates over k arms (a 2×k table: successes and failures
/// per arm), df = k − 1. Arms without trials are left out.
[[nodiscard]] TestOutcome chiSquareTest(std::span<const Proportion> arms);

/// The smallest expected cell count of the 2×k table under equal rates; Pearson's and the
/// z-test's normal approximations are doubtful below 5.
[[nodiscard]] double minimumExpectedCount(std::span<const Proportion> arms);

/// Fisher's exact test on the 2×2 table [[x_a, n_a − x_a], [x_b, n_b − x_b]], two-sided: the
/// total probability, under the hypergeometric law of the margins, of every table no more likely
/// than the observed one (relative tolerance 1e-7 for ties, as R's fisher.test; the same
/// p-value as scipy.stats.fisher_exact). Cost: linear in the smaller margin.
[[nodiscard]] double fisherExactTwoSided(Proportion a, Proportion b);

/// Recipients a comparison needs, in the control (baseline) arm and in the treatment arm.
struct SampleSize {
  std::int64_t control = 0;
  std::int64_t treatment = 0;
};

/// Sample sizes for a two-sided test at level `alpha` to detect rate `target` against
/// `baseline` with probability `power`, when the treatment arm has `ratio` times the control's
/// recipients (1: equal arms; 9: a 10 % holdout). Normal approximation without continuity
/// correction (Fleiss, Levin & Paik 2003, ch. 4), with r = ratio:
///   n_c = (z_{1−α/2}·√(p̄q̄(1 + 1/r)) + z_{power}·√(p₀q₀ + p₁q₁/r))² / (p₁ − p₀)²,
///   p̄ = (p₀ + r·p₁)/(1 + r),  n_t = r·n_c,
/// both rounded up. Empty when the rates are equal or outside (0, 1), or ratio <= 0.
[[nodiscard]] std::optional<SampleSize> requiredSampleSize(double baseline, double target,
                                                           double alpha = 0.05, double power = 0.80,
                                                           double ratio = 1.0);

/// The power of that test with `control` recipients in the control arm and ratio·control in the
/// treatment arm (the inverse of requiredSampleSize, ignoring the negligible rejection tail on
/// the wrong side). NaN when undefined.
[[nodiscard]] double comparisonPower(double baseline, double target, double control,
                                     double alpha = 0.05, double ratio = 1.0);

/// Which test gave a comparison's p-value.
enum class ProportionTest {
  kZTest,        ///< two-proportion pooled z (large expected counts)
  kFisherExact,  ///< Fisher's exact (an expected count below kFisherBelowExpected)
};

/// "z_test" or "fisher_exact", as in JSON results.
[[nodiscard]] const char* proportionTestName(ProportionTest test);

/// Fisher's exact test replaces the z-test when an expected count of the 2×2 table is below this
/// (Cochran's rule).
inline constexpr double kFisherBelowExpected = 5.0;

/// One arm's rate against a baseline's: what a report shows for "variant vs control".
struct ProportionContrast {
  double difference = 0.0;  ///< rate(treatment) − rate(control)
  Interval difference_interval;
  /// rate(treatment) / rate(control) − 1; NaN when the control rate is 0.
  double relative_lift = std::numeric_limits<double>::quiet_NaN();
  Interval relative_lift_interval;  ///< Katz interval of the ratio, minus 1
  ProportionTest test = ProportionTest::kZTest;
  double statistic = std::numeric_limits<double>::quiet_NaN();  ///< z (NaN for Fisher)
  double p_value = std::numeric_limits<double>::quiet_NaN();
  double minimum_expected_count = 0.0;  ///< of the 2×2 table; decides the test
};

/// Compares treatment with control: Newcombe interval of the difference, Katz interval of the
/// lift, and the z-test, or Fisher's exact test when an expected count is below 5. Both
/// proportions must be valid().
[[nodiscard]] ProportionContrast compareProportions(Proportion treatment, Proportion control,
                                                    double confidence = 0.95);

}  // namespace journeyd
