#include "daemon/results/comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace journeyd {
namespace {

using nlohmann::json;

// Relative slack allowed when checking Σx² >= (Σx)²/n, for sums that were rounded (SQL REAL).
constexpr double kSumOfSquaresSlack = 1e-9;

std::string formatted(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string percent(double share) { return formatted("%.2f%%", 100.0 * share); }
std::string count(std::int64_t value) { return std::to_string(value); }

void checkCounts(std::vector<std::string>& problems, const std::string& where, const char* n_name,
                 std::int64_t n, const char* part_name, std::int64_t part) {
  if (n < 0) problems.push_back(where + ": " + n_name + " is negative (" + count(n) + ")");
  if (part < 0) {
    problems.push_back(where + ": " + part_name + " is negative (" + count(part) + ")");
  } else if (n >= 0 && part > n) {
    problems.push_back(where + ": " + part_name + " (" + count(part) + ") exceeds " + n_name +
                       " (" + count(n) + ")");
  }
}

void checkRevenue(std::vector<std::string>& problems, const std::string& where, std::int64_t n,
                  double sum, double sumsq) {
  if (!std::isfinite(sum) || !std::isfinite(sumsq)) {
    problems.push_back(where + ": revenue_sum and revenue_sumsq must be finite numbers");
  } else if (n == 0 && (sum != 0.0 || sumsq != 0.0)) {
    problems.push_back(where + ": revenue without recipients");
  } else if (n > 0 && sumsq < (sum * (sum / static_cast<double>(n))) * (1.0 - kSumOfSquaresSlack)) {
    problems.push_back(where + ": revenue_sumsq (" + formatted("%g", sumsq) +
                       ") is below revenue_sum²/n (" +
                       formatted("%g", sum * sum / static_cast<double>(n)) +
                       "): no set of amounts gives these sums");
  }
}

void checkOptions(std::vector<std::string>& problems, const ComparisonOptions& options) {
  const auto in_unit = [](double p) { return p > 0.0 && p < 1.0; };
  if (!in_unit(options.confidence)) problems.push_back("options.confidence must be in (0, 1)");
  if (!in_unit(options.power)) problems.push_back("options.power must be in (0, 1)");
  if (!(options.minimum_detectable_lift > -1.0) || options.minimum_detectable_lift == 0.0 ||
      !std::isfinite(options.minimum_detectable_lift)) {
    problems.push_back("options.minimum_detectable_lift must be non-zero and above -1");
  }
  if (options.minimum_conversions < 0) {
    problems.push_back("options.minimum_conversions must not be negative");
  }
}

Error invalidInput(const std::vector<std::string>& problems) {
  std::string message;
  for (const std::string& problem : problems) {
    if (!message.empty()) message += "; ";
    message += problem;
  }
  return Error::invalid(std::move(message));
}

/// Holm's step-down adjustment: with m p-values sorted ascending, the i-th (1-based) becomes
/// max over j <= i of min(1, (m − j + 1)·p_(j)). NaN values are left out and stay NaN.
std::vector<double> holmAdjusted(const std::vector<double>& p_values) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    if (!std::isnan(p_values[i])) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(p_values.size(), std::numeric_limits<double>::quiet_NaN());
  const double m = static_cast<double>(order.size());
  double running = 0.0;
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    running =
        std::max(running, std::min(1.0, (m - static_cast<double>(rank)) * p_values[order[rank]]));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

/// What a comparison needs to detect `options.minimum_detectable_lift` over `baseline_rate` at
/// the arms' current ratio.
std::optional<SampleSize> requiredSample(double baseline_rate, std::int64_t control_n,
                                         std::int64_t treatment_n,
                                         const ComparisonOptions& options) {
  if (control_n <= 0 || treatment_n <= 0) return std::nullopt;
  return requiredSampleSize(baseline_rate, baseline_rate * (1.0 + options.minimum_detectable_lift),
                            1.0 - options.confidence, options.power,
                            static_cast<double>(treatment_n) / static_cast<double>(control_n));
}

bool belowRequired(const SampleSize& required, std::int64_t control_n, std::int64_t treatment_n) {
  return control_n < required.control || treatment_n < required.treatment;
}

std::string sampleSizeMessage(const std::string& treatment, const std::string& control,
                              const char* unit, std::int64_t treatment_n, std::int64_t control_n,
                              const SampleSize& required, double baseline_rate,
                              const ComparisonOptions& options) {
  return treatment + " vs " + control + ": detecting a " +
         formatted("%+.0f%%", 100.0 * options.minimum_detectable_lift) + " lift on a " +
         percent(baseline_rate) + " conversion rate with " +
         formatted("%.0f%%", 100.0 * options.power) + " power at " +
         formatted("%.0f%%", 100.0 * options.confidence) + " confidence needs " +
         count(required.treatment) + " and " + count(required.control) + " " + unit +
         " (at their current ratio); they have " + count(treatment_n) + " and " + count(control_n);
}

json number(double value) { return std::isfinite(value) ? json(value) : json(); }

json interval(const Interval& range) {
  if (!range.defined()) return json();
  return json::array({number(range.low), number(range.high)});
}

json proportionJson(const ProportionContrast& contrast) {
  return {{"difference", number(contrast.difference)},
          {"difference_ci", interval(contrast.difference_interval)},
          {"relative_lift", number(contrast.relative_lift)},
          {"relative_lift_ci", interval(contrast.relative_lift_interval)},
          {"test", std::isnan(contrast.p_value) ? json() : json(proportionTestName(contrast.test))},
          {"statistic", number(contrast.statistic)},
          {"p_value", number(contrast.p_value)}};
}

json meanJson(const MeanContrast& contrast) {
  return {{"difference", number(contrast.difference)},
          {"difference_ci", interval(contrast.difference_interval)},
          {"relative_lift", number(contrast.relative_lift)},
          {"test", "welch_t"},
          {"statistic", number(contrast.statistic)},
          {"df", number(contrast.degrees_of_freedom)},
          {"p_value", number(contrast.p_value)}};
}

json warningsJson(const std::vector<ResultWarning>& warnings) {
  json out = json::array();
  for (const ResultWarning& warning : warnings) {
    json item = {{"code", resultWarningName(warning.code)}, {"message", warning.message}};
    if (!warning.arm.empty()) item["arm"] = warning.arm;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

const char* resultWarningName(ResultWarningCode code) {
  switch (code) {
    case ResultWarningCode::kNoControl:
      return "no_control";
    case ResultWarningCode::kEmptyArm:
      return "empty_arm";
    case ResultWarningCode::kBelowSampleSize:
      return "below_sample_size";
    case ResultWarningCode::kFewConversions:
      return "few_conversions";
    case ResultWarningCode::kNoBaselineConversions:
      return "no_baseline_conversions";
    case ResultWarningCode::kSmallExpectedCounts:
      return "small_expected_counts";
  }
  return "unknown";
}

Result<ExperimentResult> compareArms(std::span<const ArmSummary> arms,
                                     const ComparisonOptions& options) {
  std::vector<std::string> problems;
  checkOptions(problems, options);
  if (arms.empty()) problems.push_back("no arms to compare");
  std::set<std::string> names;
  int controls = 0;
  for (std::size_t i = 0; i < arms.size(); ++i) {
    const ArmSummary& arm = arms[i];
    const std::string where = "arms[" + std::to_string(i) + "]" +
                              (arm.name.empty() ? std::string() : " (" + arm.name + ")");
    if (arm.name.empty())
      problems.push_back(where + ": the arm has no name");
    else if (!names.insert(arm.name).second)
      problems.push_back(where + ": the name is repeated");
    checkCounts(problems, where, "n", arm.n, "conversions", arm.conversions);
    checkRevenue(problems, where, arm.n, arm.revenue_sum, arm.revenue_sumsq);
    if (arm.is_control) ++controls;
  }
  if (controls > 1) {
    problems.push_back(std::to_string(controls) +
                       " arms are marked as control; at most one may be");
  }
  if (!problems.empty()) return fail(invalidInput(problems));

  ExperimentResult result;
  result.confidence = options.confidence;
  const auto control_it =
      std::find_if(arms.begin(), arms.end(), [](const ArmSummary& arm) { return arm.is_control; });
  const ArmSummary& baseline = control_it != arms.end() ? *control_it : arms.front();
  result.baseline = baseline.name;
  if (control_it == arms.end()) {
    result.warnings.push_back(
        {ResultWarningCode::kNoControl, baseline.name,
         "no arm is marked as control; the first arm, '" + baseline.name + "', is the baseline"});
  }
  const Proportion baseline_conversion{baseline.conversions, baseline.n};
  const MeanSummary baseline_revenue{baseline.n, baseline.revenue_sum, baseline.revenue_sumsq};
  const bool has_revenue = std::any_of(arms.begin(), arms.end(), [](const ArmSummary& arm) {
    return arm.revenue_sum != 0.0 || arm.revenue_sumsq != 0.0;
  });
  const double baseline_rate = baseline_conversion.rate();
  if (baseline.n > 0 && baseline.conversions == 0) {
    result.warnings.push_back(
        {ResultWarningCode::kNoBaselineConversions, baseline.name,
         "the baseline '" + baseline.name +
             "' has no conversions: no relative lift, and the sample size needed is unknown"});
  }

  std::vector<Proportion> with_recipients;
  for (const ArmSummary& arm : arms) {
    ArmResult out;
    out.name = arm.name;
    out.is_baseline = &arm == &baseline;
    out.n = arm.n;
    out.conversions = arm.conversions;
    const Proportion conversion{arm.conversions, arm.n};
    out.conversion_rate = conversion.rate();
    out.conversion_rate_interval = wilsonInterval(conversion, options.confidence);
    out.revenue_per_recipient = MeanSummary{arm.n, arm.revenue_sum, arm.revenue_sumsq}.mean();
    if (arm.n == 0) {
      result.warnings.push_back(
          {ResultWarningCode::kEmptyArm, arm.name, "'" + arm.name + "' has no recipients yet"});
      result.arms.push_back(std::move(out));
      continue;
    }
    with_recipients.push_back(conversion);
    if (!out.is_baseline && baseline.n > 0) {
      out.conversion_vs_baseline =
          compareProportions(conversion, baseline_conversion, options.confidence);
      if (has_revenue) {
        out.revenue_vs_baseline =
            welchCompare(MeanSummary{arm.n, arm.revenue_sum, arm.revenue_sumsq}, baseline_revenue,
                         options.confidence);
      }
    }
    if (!out.is_baseline) out.required = requiredSample(baseline_rate, baseline.n, arm.n, options);
    if (out.required && belowRequired(*out.required, baseline.n, arm.n)) {
      result.warnings.push_back(
          {ResultWarningCode::kBelowSampleSize, arm.name,
           sampleSizeMessage("'" + arm.name + "'", "'" + baseline.name + "'", "recipients", arm.n,
                             baseline.n, *out.required, baseline_rate, options)});
    }
    if (arm.conversions < options.minimum_conversions) {
      result.warnings.push_back(
          {ResultWarningCode::kFewConversions, arm.name,
           "'" + arm.name + "' has " + count(arm.conversions) + " conversions, fewer than " +
               count(options.minimum_conversions) + ": its rate and lift are rough"});
    }
    result.arms.push_back(std::move(out));
  }

  std::vector<double> p_values;
  for (const ArmResult& arm : result.arms) {
    p_values.push_back(arm.conversion_vs_baseline ? arm.conversion_vs_baseline->p_value
                                                  : std::numeric_limits<double>::quiet_NaN());
  }
  const std::vector<double> adjusted = holmAdjusted(p_values);
  for (std::size_t i = 0; i < result.arms.size(); ++i) result.arms[i].p_value_holm = adjusted[i];

  if (with_recipients.size() >= 3) {
    result.overall = chiSquareTest(with_recipients);
    const double smallest = minimumExpectedCount(with_recipients);
    if (smallest < kFisherBelowExpected) {
      result.warnings.push_back({ResultWarningCode::kSmallExpectedCounts, "",
                                 "the chi-square test over all arms has an expected count of " +
                                     formatted("%.2f", smallest) +
                                     " (below 5): its p-value is approximate"});
    }
  }
  return result;
}

Result<HoldoutLift> holdoutLift(const HoldoutGroup& marketed, const HoldoutGroup& holdout,
                                const ComparisonOptions& options) {
  std::vector<std::string> problems;
  checkOptions(problems, options);
  const std::pair<const char*, const HoldoutGroup*> groups[] = {{"marketed", &marketed},
                                                                {"holdout", &holdout}};
  for (const auto& [name, group] : groups) {
    checkCounts(problems, name, "customers", group->customers, "converted", group->converted);
    checkCounts(problems, name, "customers", group->customers, "repurchased", group->repurchased);
    checkRevenue(problems, name, group->customers, group->revenue_sum, group->revenue_sumsq);
  }
  if (!problems.empty()) return fail(invalidInput(problems));

  HoldoutLift lift;
  lift.confidence = options.confidence;
  const auto figures = [&](const HoldoutGroup& group) {
    HoldoutGroupFigures out;
    out.customers = group.customers;
    const Proportion converted{group.converted, group.customers};
    const Proportion repurchased{group.repurchased, group.customers};
    out.conversion_rate = converted.rate();
    out.conversion_rate_interval = wilsonInterval(converted, options.confidence);
    out.repurchase_rate = repurchased.rate();
    out.repurchase_rate_interval = wilsonInterval(repurchased, options.confidence);
    out.revenue_per_customer =
        MeanSummary{group.customers, group.revenue_sum, group.revenue_sumsq}.mean();
    return out;
  };
  lift.marketed = figures(marketed);
  lift.holdout = figures(holdout);
  for (const auto& [name, group] : groups) {
    if (group->customers == 0) {
      lift.warnings.push_back({ResultWarningCode::kEmptyArm, name,
                               std::string("the ") + name + " group has no customers"});
    }
  }
  lift.conversion = compareProportions({marketed.converted, marketed.customers},
                                       {holdout.converted, holdout.customers}, options.confidence);
  lift.repurchase =
      compareProportions({marketed.repurchased, marketed.customers},
                         {holdout.repurchased, holdout.customers}, options.confidence);
  lift.revenue_per_customer = welchCompare(
      {marketed.customers, marketed.revenue_sum, marketed.revenue_sumsq},
      {holdout.customers, holdout.revenue_sum, holdout.revenue_sumsq}, options.confidence);
  if (holdout.customers > 0 && marketed.customers > 0) {
    const double holdout_rate = lift.holdout.conversion_rate;
    lift.required = requiredSample(holdout_rate, holdout.customers, marketed.customers, options);
    if (holdout.converted == 0) {
      lift.warnings.push_back({ResultWarningCode::kNoBaselineConversions, "holdout",
                               "the holdout group has no conversions: no relative lift, and the "
                               "sample size needed is unknown"});
    }
    if (lift.required && belowRequired(*lift.required, holdout.customers, marketed.customers)) {
      lift.warnings.push_back(
          {ResultWarningCode::kBelowSampleSize, "holdout",
           sampleSizeMessage("marketed", "holdout", "customers", marketed.customers,
                             holdout.customers, *lift.required, holdout_rate, options)});
    }
    for (const auto& [name, group] : groups) {
      if (group->converted < options.minimum_conversions) {
        lift.warnings.push_back({ResultWarningCode::kFewConversions, name,
                                 std::string("the ") + name + " group has " +
                                     count(group->converted) + " conversions, fewer than " +
                                     count(options.minimum_conversions) +
                                     ": its rate and lift are rough"});
      }
    }
  }
  return lift;
}

json toJson(const ExperimentResult& result) {
  json arms = json::array();
  for (const ArmResult& arm : result.arms) {
    json item = {{"name", arm.name},
                 {"baseline", arm.is_baseline},
                 {"n", arm.n},
                 {"conversions", arm.conversions},
                 {"conversion_rate", number(arm.conversion_rate)},
                 {"conversion_rate_ci", interval(arm.conversion_rate_interval)},
                 {"revenue_per_recipient", number(arm.revenue_per_recipient)}};
    if (arm.conversion_vs_baseline) {
      json conversion = proportionJson(*arm.conversion_vs_baseline);
      conversion["p_value_holm"] = number(arm.p_value_holm);
      item["conversion"] = std::move(conversion);
    }
    if (arm.revenue_vs_baseline) item["revenue"] = meanJson(*arm.revenue_vs_baseline);
    if (!arm.is_baseline) {
      item["required"] =
          arm.required ? json{{"baseline", arm.required->control}, {"arm", arm.required->treatment}}
                       : json();
    }
    arms.push_back(std::move(item));
  }
  json out = {{"confidence", result.confidence},
              {"baseline", result.baseline},
              {"arms", std::move(arms)},
              {"warnings", warningsJson(result.warnings)}};
  if (result.overall) {
    out["overall"] = {{"test", "chi_square"},
                      {"statistic", number(result.overall->statistic)},
                      {"df", number(result.overall->degrees_of_freedom)},
                      {"p_value", number(result.overall->p_value)}};
  }
  return out;
}

json toJson(const HoldoutLift& lift) {
  const auto group = [](const HoldoutGroupFigures& figures) {
    return json{{"customers", figures.customers},
                {"conversion_rate", number(figures.conversion_rate)},
                {"conversion_rate_ci", interval(figures.conversion_rate_interval)},
                {"repurchase_rate", number(figures.repurchase_rate)},
                {"repurchase_rate_ci", interval(figures.repurchase_rate_interval)},
                {"revenue_per_customer", number(figures.revenue_per_customer)}};
  };
  return {{"confidence", lift.confidence},
          {"marketed", group(lift.marketed)},
          {"holdout", group(lift.holdout)},
          {"conversion", proportionJson(lift.conversion)},
          {"repurchase", proportionJson(lift.repurchase)},
          {"revenue_per_customer", meanJson(lift.revenue_per_customer)},
          {"required", lift.required ? json{{"holdout", lift.required->control},
                                            {"marketed", lift.required->treatment}}
                                     : json()},
          {"warnings", warningsJson(lift.warnings)}};
}

}  // namespace journeyd
