#include "daemon/results/proportions.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "daemon/results/distributions.h"

namespace journeyd {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Two hypergeometric probabilities closer than this (relative) count as equal in Fisher's test,
// so tables as likely as the observed one are not lost to rounding (R's fisher.test uses 1e-7).
constexpr double kFisherTieTolerance = 1e-7;

bool validConfidence(double confidence) { return confidence > 0.0 && confidence < 1.0; }

}  // namespace

double Proportion::rate() const {
  return trials > 0 ? static_cast<double>(successes) / static_cast<double>(trials) : kNaN;
}

double twoSidedZ(double confidence) {
  if (!validConfidence(confidence)) return kNaN;
  return normalQuantile(1.0 - (1.0 - confidence) / 2.0);
}

Interval wilsonInterval(Proportion p, double confidence) {
  if (!p.valid() || !validConfidence(confidence)) return {};
  const double z = twoSidedZ(confidence);
  const double n = static_cast<double>(p.trials);
  const double rate = p.rate();
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / n;
  const double centre = (rate + z2 / (2.0 * n)) / denominator;
  const double half = z * std::sqrt(rate * (1.0 - rate) / n + z2 / (4.0 * n * n)) / denominator;
  // At 0 or n successes the bound is exactly 0 or 1; the formula leaves rounding dust.
  return {p.successes == 0 ? 0.0 : std::max(0.0, centre - half),
          p.successes == p.trials ? 1.0 : std::min(1.0, centre + half)};
}

Interval newcombeDifferenceInterval(Proportion a, Proportion b, double confidence) {
  const Interval wa = wilsonInterval(a, confidence);
  const Interval wb = wilsonInterval(b, confidence);
  if (!wa.defined() || !wb.defined()) return {};
  const double pa = a.rate();
  const double pb = b.rate();
  const double d = pa - pb;
  const double low = d - std::hypot(pa - wa.low, wb.high - pb);
  const double high = d + std::hypot(wa.high - pa, pb - wb.low);
  return {std::max(-1.0, low), std::min(1.0, high)};
}

Interval katzRatioInterval(Proportion a, Proportion b, double confidence) {
  if (!a.valid() || !b.valid() || !validConfidence(confidence)) return {};
  if (a.successes == 0 || b.successes == 0) return {};
  const double xa = static_cast<double>(a.successes);
  const double xb = static_cast<double>(b.successes);
  const double se = std::sqrt(1.0 / xa - 1.0 / static_cast<double>(a.trials) + 1.0 / xb -
                              1.0 / static_cast<double>(b.trials));
  const double log_ratio = std::log(a.rate() / b.rate());
  const double z = twoSidedZ(confidence);
  return {std::exp(log_ratio - z * se), std::exp(log_ratio + z * se)};
}

TestOutcome twoProportionZTest(Proportion a, Proportion b) {
  if (!a.valid() || !b.valid()) return {};
  const double na = static_cast<double>(a.trials);
  const double nb = static_cast<double>(b.trials);
  const double pooled = static_cast<double>(a.successes + b.successes) / (na + nb);
  const double se = std::sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb));
  if (!(se > 0.0)) return {};  // nobody or everybody converted: nothing to test
  const double z = (a.rate() - b.rate()) / se;
  return {z, kNaN, std::min(1.0, 2.0 * normalUpperTail(std::fabs(z)))};
}

TestOutcome chiSquareTest(std::span<const Proportion> arms) {
  double successes = 0;
  double trials = 0;
  int columns = 0;
  for (const Proportion& arm : arms) {
    if (arm.trials == 0) continue;
    if (!arm.valid()) return {};
    successes += static_cast<double>(arm.successes);
    trials += static_cast<double>(arm.trials);
    ++columns;
  }
  const double failures = trials - successes;
  if (columns < 2 || successes == 0 || failures == 0) return {};
  double statistic = 0;
  for (const Proportion& arm : arms) {
    if (arm.trials == 0) continue;
    const double n = static_cast<double>(arm.trials);
    const double expected_success = n * successes / trials;
    const double expected_failure = n * failures / trials;
    const double observed_success = static_cast<double>(arm.successes);
    const double observed_failure = n - observed_success;
    statistic += (observed_success - expected_success) * (observed_success - expected_success) /
                 expected_success;
    statistic += (observed_failure - expected_failure) * (observed_failure - expected_failure) /
                 expected_failure;
  }
  const double df = columns - 1;
  return {statistic, df, chiSquaredUpperTail(statistic, df)};
}

double minimumExpectedCount(std::span<const Proportion> arms) {
  double successes = 0;
  double trials = 0;
  double smallest_arm = std::numeric_limits<double>::infinity();
  for (const Proportion& arm : arms) {
    if (arm.trials == 0) continue;
    successes += static_cast<double>(arm.successes);
    trials += static_cast<double>(arm.trials);
    smallest_arm = std::min(smallest_arm, static_cast<double>(arm.trials));
  }
  if (trials == 0) return 0.0;
  return smallest_arm * std::min(successes, trials - successes) / trials;
}

double fisherExactTwoSided(Proportion a, Proportion b) {
  if (!a.valid() || !b.valid()) return kNaN;
  // The count of successes in arm a, given the margins, is hypergeometric on [low, high].
  const std::int64_t na = a.trials;
  const std::int64_t nb = b.trials;
  const std::int64_t m = a.successes + b.successes;
  const std::int64_t low = std::max<std::int64_t>(0, m - nb);
  const std::int64_t high = std::min(m, na);
  // Probabilities relative to the mode's, by the ratio of neighbours
  //   P(x+1) / P(x) = (na − x)(m − x) / ((x + 1)(nb − m + x + 1)),
  // which needs no factorials and loses no precision; the far tails underflow harmlessly to 0.
  const std::int64_t mode = std::clamp<std::int64_t>(
      static_cast<std::int64_t>((static_cast<double>(m) + 1) * (static_cast<double>(na) + 1) /
                                (static_cast<double>(na + nb) + 2)),
      low, high);
  std::vector<double> weight(static_cast<std::size_t>(high - low + 1), 0.0);
  weight[static_cast<std::size_t>(mode - low)] = 1.0;
  for (std::int64_t x = mode; x < high; ++x) {
    const double ratio = static_cast<double>(na - x) * static_cast<double>(m - x) /
                         (static_cast<double>(x + 1) * static_cast<double>(nb - m + x + 1));
    weight[static_cast<std::size_t>(x + 1 - low)] =
        weight[static_cast<std::size_t>(x - low)] * ratio;
  }
  for (std::int64_t x = mode; x > low; --x) {
    const double ratio = static_cast<double>(x) * static_cast<double>(nb - m + x) /
                         (static_cast<double>(na - x + 1) * static_cast<double>(m - x + 1));
    weight[static_cast<std::size_t>(x - 1 - low)] =
        weight[static_cast<std::size_t>(x - low)] * ratio;
  }
  const double observed = weight[static_cast<std::size_t>(a.successes - low)];
  const double threshold = observed * (1.0 + kFisherTieTolerance);
  double total = 0;
  double as_extreme = 0;
  for (double w : weight) {
    total += w;
    if (w <= threshold) as_extreme += w;
  }
  return std::min(1.0, as_extreme / total);
}

namespace {

/// The two spreads of the sample-size formula: of p_t − p_c under "no difference" (pooled rate)
/// and under the target difference, each for one control recipient.
struct Spreads {
  double null;
  double alternative;
};

Spreads spreads(double baseline, double target, double ratio) {
  const double pooled = (baseline + ratio * target) / (1.0 + ratio);
  return {std::sqrt(pooled * (1.0 - pooled) * (1.0 + 1.0 / ratio)),
          std::sqrt(baseline * (1.0 - baseline) + target * (1.0 - target) / ratio)};
}

bool inUnitInterval(double p) { return p > 0.0 && p < 1.0; }

}  // namespace

std::optional<SampleSize> requiredSampleSize(double baseline, double target, double alpha,
                                             double power, double ratio) {
  if (!inUnitInterval(baseline) || !inUnitInterval(target) || baseline == target ||
      !inUnitInterval(alpha) || !inUnitInterval(power) || !(ratio > 0.0) || !std::isfinite(ratio)) {
    return std::nullopt;
  }
  const Spreads spread = spreads(baseline, target, ratio);
  const double root =
      normalQuantile(1.0 - alpha / 2.0) * spread.null + normalQuantile(power) * spread.alternative;
  const double delta = target - baseline;
  const double control = root * root / (delta * delta);
  return SampleSize{static_cast<std::int64_t>(std::ceil(control)),
                    static_cast<std::int64_t>(std::ceil(ratio * control))};
}

double comparisonPower(double baseline, double target, double control, double alpha, double ratio) {
  if (!inUnitInterval(baseline) || !inUnitInterval(target) || !inUnitInterval(alpha) ||
      !(control > 0.0) || !(ratio > 0.0)) {
    return kNaN;
  }
  const Spreads spread = spreads(baseline, target, ratio);
  const double shift = std::fabs(target - baseline) * std::sqrt(control) -
                       normalQuantile(1.0 - alpha / 2.0) * spread.null;
  return 1.0 - normalUpperTail(shift / spread.alternative);
}

const char* proportionTestName(ProportionTest test) {
  switch (test) {
    case ProportionTest::kZTest:
      return "z_test";
    case ProportionTest::kFisherExact:
      return "fisher_exact";
  }
  return "unknown";
}

ProportionContrast compareProportions(Proportion treatment, Proportion control, double confidence) {
  ProportionContrast out;
  if (!treatment.valid() || !control.valid()) {
    out.difference = kNaN;
    return out;
  }
  const double rate_t = treatment.rate();
  const double rate_c = control.rate();
  out.difference = rate_t - rate_c;
  out.difference_interval = newcombeDifferenceInterval(treatment, control, confidence);
  if (rate_c > 0.0) out.relative_lift = rate_t / rate_c - 1.0;
  const Interval ratio = katzRatioInterval(treatment, control, confidence);
  if (ratio.defined()) out.relative_lift_interval = {ratio.low - 1.0, ratio.high - 1.0};

  const Proportion table[] = {treatment, control};
  out.minimum_expected_count = minimumExpectedCount(table);
  if (out.minimum_expected_count < kFisherBelowExpected) {
    out.test = ProportionTest::kFisherExact;
    out.p_value = fisherExactTwoSided(treatment, control);
  } else {
    out.test = ProportionTest::kZTest;
    const TestOutcome z = twoProportionZTest(treatment, control);
    out.statistic = z.statistic;
    out.p_value = z.p_value;
  }
  return out;
}

}  // namespace journeyd
