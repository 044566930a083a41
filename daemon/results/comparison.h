#pragma once
/// Experiment results a report can show as they are: per arm of a split (or a journey and its
/// control group) the conversion rate with its interval, and against the control arm the
/// difference and relative lift with intervals, a two-sided test chosen for the counts, revenue
/// per recipient with Welch's interval of the difference, and warnings when the arms are too
/// small to trust. Also the global holdout's lift on conversion, repurchase and revenue.
///
/// Input is per-arm aggregates (counts, sum and sum of squares of revenue), so a report computes
/// it from one GROUP BY without loading rows. Pure, no I/O, thread-safe; the formulas and their
/// references are in docs/statistics.md.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/core/result.h"
#include "daemon/results/means.h"
#include "daemon/results/proportions.h"

namespace journeyd {

/// One arm of an experiment: a split's variant, a journey's control group, or everyone else.
struct ArmSummary {
  std::string name;
  std::int64_t n = 0;            ///< recipients (entrants) in the arm
  std::int64_t conversions = 0;  ///< of them, how many converted (reached the goal)
  double revenue_sum = 0.0;      ///< Σ revenue over the arm's recipients (currency)
  double revenue_sumsq = 0.0;    ///< Σ revenue² over the arm's recipients
  bool is_control = false;       ///< at most one arm; without one, the first arm is the baseline
};

/// How results are computed and when they warn.
struct ComparisonOptions {
  /// Level of every interval, in (0, 1); the tests are two-sided at α = 1 − confidence.
  double confidence = 0.95;
  /// Power the experiment should have to detect `minimum_detectable_lift`, in (0, 1).
  double power = 0.80;
  /// The smallest relative lift of the conversion rate worth detecting (0.10 = +10 % over the
  /// control's rate). Arms smaller than the sample this needs are flagged. Non-zero, > −1.
  double minimum_detectable_lift = 0.10;
  /// Arms with fewer conversions than this are flagged: intervals and lifts built on a handful
  /// of conversions swing widely. >= 0.
  std::int64_t minimum_conversions = 10;
};

/// Why a result should be read with care.
enum class ResultWarningCode {
  kNoControl,              ///< no arm is marked control: the first arm is the baseline
  kEmptyArm,               ///< an arm has no recipients: it is not compared
  kBelowSampleSize,        ///< an arm is smaller than needed to detect the minimum lift
  kFewConversions,         ///< an arm has fewer than `minimum_conversions` conversions
  kNoBaselineConversions,  ///< the control converted nobody: no relative lift, no sample size
  kSmallExpectedCounts,    ///< the chi-square over all arms has an expected count below 5
};

/// "no_control", "empty_arm", "below_sample_size", "few_conversions",
/// "no_baseline_conversions", "small_expected_counts", as in JSON results.
[[nodiscard]] const char* resultWarningName(ResultWarningCode code);

struct ResultWarning {
  ResultWarningCode code = ResultWarningCode::kNoControl;
  std::string arm;      ///< the arm concerned; empty when the warning is about the whole test
  std::string message;  ///< a sentence for a marketer, with the figures
};

/// One arm's figures and, unless it is the baseline, its comparison with the baseline.
struct ArmResult {
  std::string name;
  bool is_baseline = false;
  std::int64_t n = 0;
  std::int64_t conversions = 0;
  double conversion_rate = 0.0;        ///< NaN when n = 0
  Interval conversion_rate_interval;   ///< Wilson
  double revenue_per_recipient = 0.0;  ///< NaN when n = 0
  /// Against the baseline; absent for the baseline itself and when either arm is empty.
  std::optional<ProportionContrast> conversion_vs_baseline;
  /// The comparison's p-value adjusted by Holm's step-down method over all the arms compared
  /// with the baseline (= p_value with a single comparison); NaN when absent.
  double p_value_holm = std::numeric_limits<double>::quiet_NaN();
  /// Against the baseline; absent like conversion_vs_baseline, and when no arm has revenue.
  std::optional<MeanContrast> revenue_vs_baseline;
  /// Recipients the comparison with the baseline needs (control = the baseline's, treatment =
  /// this arm's) to detect the options' minimum lift over the baseline's observed rate at the
  /// options' power, keeping the arms' current ratio. Absent for the baseline, for empty arms,
  /// when the baseline rate is 0, or when the target rate would reach 1.
  std::optional<SampleSize> required;
};

/// The whole experiment.
struct ExperimentResult {
  double confidence = 0.95;
  std::string baseline;  ///< the control arm's name (or the first arm's)
  /// Pearson's chi-square of equal rates across all arms with recipients, when there are 3 or
  /// more (with two it is the pairwise test).
  std::optional<TestOutcome> overall;
  std::vector<ArmResult> arms;  ///< in input order
  std::vector<ResultWarning> warnings;
};

/// Compares every arm with the control (the arm with is_control, else the first). Fails with
/// kInvalidArgument, listing every problem, on: no arms, an unnamed or repeated name, negative
/// counts, more conversions than recipients, non-finite revenue, a sum of squares below what
/// the sum implies, two control arms, or options out of range.
[[nodiscard]] Result<ExperimentResult> compareArms(std::span<const ArmSummary> arms,
                                                   const ComparisonOptions& options = {});

/// One side of the global holdout: customers in (or out of) the holdout over a period, from
/// SQL aggregates.
struct HoldoutGroup {
  std::int64_t customers = 0;
  std::int64_t converted = 0;    ///< customers who ordered in the period
  std::int64_t repurchased = 0;  ///< customers who ordered again (the caller's definition;
                                 ///< the denominator is `customers`)
  double revenue_sum = 0.0;      ///< Σ revenue per customer in the period
  double revenue_sumsq = 0.0;    ///< Σ revenue² per customer
};

/// One group's figures.
struct HoldoutGroupFigures {
  std::int64_t customers = 0;
  double conversion_rate = 0.0;
  Interval conversion_rate_interval;
  double repurchase_rate = 0.0;
  Interval repurchase_rate_interval;
  double revenue_per_customer = 0.0;
};

/// What all marketing together achieved over the holdout (marketed − holdout).
struct HoldoutLift {
  double confidence = 0.95;
  HoldoutGroupFigures marketed;
  HoldoutGroupFigures holdout;
  ProportionContrast conversion;
  ProportionContrast repurchase;
  MeanContrast revenue_per_customer;
  /// Customers needed to detect the minimum lift of conversion at the current split
  /// (control = holdout, treatment = marketed); absent as ArmResult::required.
  std::optional<SampleSize> required;
  std::vector<ResultWarning> warnings;  ///< arm = "marketed" or "holdout"
};

/// The holdout's lift. An empty group gives undefined contrasts and an empty_arm warning; fails
/// with kInvalidArgument (every problem listed) on negative counts, converted or repurchased
/// above customers, or non-finite or inconsistent revenue sums.
[[nodiscard]] Result<HoldoutLift> holdoutLift(const HoldoutGroup& marketed,
                                              const HoldoutGroup& holdout,
                                              const ComparisonOptions& options = {});

/// JSON for reports and the API: undefined numbers are null, intervals are [low, high] or null.
[[nodiscard]] nlohmann::json toJson(const ExperimentResult& result);
[[nodiscard]] nlohmann::json toJson(const HoldoutLift& lift);

}  // namespace journeyd
