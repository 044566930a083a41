#include "daemon/results/comparison.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace journeyd;

namespace {

bool hasWarning(const std::vector<ResultWarning>& warnings, ResultWarningCode code,
                const std::string& arm) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const ResultWarning& w) { return w.code == code && w.arm == arm; });
}

const ArmResult& arm(const ExperimentResult& result, const std::string& name) {
  const auto it = std::find_if(result.arms.begin(), result.arms.end(),
                               [&](const ArmResult& a) { return a.name == name; });
  REQUIRE(it != result.arms.end());
  return *it;
}

}  // namespace

TEST_CASE("each variant is compared with the control arm, wherever it is listed") {
  const ArmSummary arms[] = {{"a", 5000, 300, 12000.0, 12000.0 * 40, false},
                             {"control", 5000, 250, 10000.0, 10000.0 * 40, true}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  CHECK(result->baseline == "control");
  CHECK_FALSE(hasWarning(result->warnings, ResultWarningCode::kNoControl, "a"));
  const ArmResult& a = arm(*result, "a");
  const ArmResult& control = arm(*result, "control");
  CHECK(control.is_baseline);
  CHECK_FALSE(control.conversion_vs_baseline);
  CHECK_FALSE(control.revenue_vs_baseline);
  CHECK(a.conversion_rate == doctest::Approx(0.06));
  CHECK(a.conversion_rate_interval.contains(0.06));
  REQUIRE(a.conversion_vs_baseline);
  CHECK(a.conversion_vs_baseline->difference == doctest::Approx(0.01));
  CHECK(a.conversion_vs_baseline->relative_lift == doctest::Approx(0.2));
  CHECK(a.conversion_vs_baseline->test == ProportionTest::kZTest);
  CHECK(a.conversion_vs_baseline->p_value ==
        doctest::Approx(twoProportionZTest({300, 5000}, {250, 5000}).p_value));
  CHECK(a.p_value_holm == doctest::Approx(a.conversion_vs_baseline->p_value));
  CHECK(a.revenue_per_recipient == doctest::Approx(2.4));
  REQUIRE(a.revenue_vs_baseline);
  CHECK(a.revenue_vs_baseline->difference == doctest::Approx(0.4));
  CHECK(a.revenue_vs_baseline->difference_interval.contains(0.4));
  CHECK_FALSE(result->overall);
}

TEST_CASE("without a control arm the first arm is the baseline, with a warning") {
  const ArmSummary arms[] = {{"email", 4000, 200}, {"sms", 4000, 260}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  CHECK(result->baseline == "email");
  CHECK(hasWarning(result->warnings, ResultWarningCode::kNoControl, "email"));
  CHECK(arm(*result, "sms").conversion_vs_baseline);
}

TEST_CASE("small arms are flagged against the sample the minimum lift needs") {
  // Baseline 5%: detecting +10% (5.5%) at 80% power needs 31,234 per arm in an even split.
  const ArmSummary arms[] = {{"control", 2000, 100, 0, 0, true}, {"b", 2000, 110}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  const ArmResult& b = arm(*result, "b");
  REQUIRE(b.required);
  CHECK(b.required->control == requiredSampleSize(0.05, 0.055)->control);
  CHECK(b.required->treatment == b.required->control);
  CHECK_FALSE(arm(*result, "control").required);
  CHECK(hasWarning(result->warnings, ResultWarningCode::kBelowSampleSize, "b"));

  ComparisonOptions coarse;
  coarse.minimum_detectable_lift = 0.5;  // +50% needs far fewer
  const auto relaxed = compareArms(arms, coarse);
  REQUIRE(relaxed);
  CHECK(arm(*relaxed, "b").required->control < 2000);
  CHECK_FALSE(hasWarning(relaxed->warnings, ResultWarningCode::kBelowSampleSize, "b"));
}

TEST_CASE("the sample needed follows the arms' ratio, as for a journey's 10% control group") {
  const ArmSummary arms[] = {{"control_group", 20000, 1000, 0, 0, true}, {"journey", 180000, 9900}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  const ArmResult& journey = arm(*result, "journey");
  REQUIRE(journey.required);
  const auto expected = requiredSampleSize(0.05, 0.055, 0.05, 0.80, 9.0);
  CHECK(journey.required->control == expected->control);
  CHECK(journey.required->treatment == expected->treatment);
  // An even split would need 31,234 in the control group; at 1:9 it needs fewer, and 20,000
  // is enough.
  CHECK(journey.required->control < 20000);
  CHECK_FALSE(hasWarning(result->warnings, ResultWarningCode::kBelowSampleSize, "journey"));
}

TEST_CASE("arms with few conversions are flagged and small counts use Fisher's exact test") {
  // 9 conversions in 600: an expected 4.5 per arm.
  const ArmSummary arms[] = {{"control", 300, 1, 0, 0, true}, {"b", 300, 8}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  CHECK(hasWarning(result->warnings, ResultWarningCode::kFewConversions, "control"));
  CHECK(hasWarning(result->warnings, ResultWarningCode::kFewConversions, "b"));
  const ArmResult& b = arm(*result, "b");
  REQUIRE(b.conversion_vs_baseline);
  CHECK(b.conversion_vs_baseline->test == ProportionTest::kFisherExact);
  CHECK(b.conversion_vs_baseline->p_value ==
        doctest::Approx(fisherExactTwoSided({8, 300}, {1, 300})));
}

TEST_CASE("three or more arms get a chi-square across all and Holm-adjusted p-values") {
  const ArmSummary arms[] = {
      {"control", 10000, 500, 0, 0, true}, {"a", 10000, 560}, {"b", 10000, 610}, {"c", 10000, 505}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  REQUIRE(result->overall);
  CHECK(result->overall->degrees_of_freedom == 3);
  const Proportion all[] = {{500, 10000}, {560, 10000}, {610, 10000}, {505, 10000}};
  CHECK(result->overall->p_value == doctest::Approx(chiSquareTest(all).p_value));
  // Holm: the smallest of three p-values is multiplied by 3, the next by 2, the last by 1,
  // each at least the one before.
  const double pa = arm(*result, "a").conversion_vs_baseline->p_value;
  const double pb = arm(*result, "b").conversion_vs_baseline->p_value;
  const double pc = arm(*result, "c").conversion_vs_baseline->p_value;
  REQUIRE(pb < pa);
  REQUIRE(pa < pc);
  CHECK(arm(*result, "b").p_value_holm == doctest::Approx(std::min(1.0, 3 * pb)));
  CHECK(arm(*result, "a").p_value_holm == doctest::Approx(std::max(3 * pb, std::min(1.0, 2 * pa))));
  CHECK(arm(*result, "c").p_value_holm ==
        doctest::Approx(std::max(arm(*result, "a").p_value_holm, std::min(1.0, pc))));
  CHECK(std::isnan(arm(*result, "control").p_value_holm));
  // No revenue recorded anywhere: no revenue comparison.
  CHECK_FALSE(arm(*result, "a").revenue_vs_baseline);
}

TEST_CASE("an arm nobody entered yet is reported but not compared") {
  const ArmSummary arms[] = {{"control", 1000, 50, 0, 0, true}, {"a", 1000, 60}, {"b", 0, 0}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  const ArmResult& b = arm(*result, "b");
  CHECK(std::isnan(b.conversion_rate));
  CHECK_FALSE(b.conversion_rate_interval.defined());
  CHECK_FALSE(b.conversion_vs_baseline);
  CHECK(hasWarning(result->warnings, ResultWarningCode::kEmptyArm, "b"));
  CHECK_FALSE(result->overall);  // only two arms have recipients
}

TEST_CASE("a control without conversions warns that lift and sample size are unknown") {
  const ArmSummary arms[] = {{"control", 1000, 0, 0, 0, true}, {"a", 1000, 12}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  CHECK_FALSE(arm(*result, "a").required);
  CHECK(hasWarning(result->warnings, ResultWarningCode::kNoBaselineConversions, "control"));
  CHECK(std::isnan(arm(*result, "a").conversion_vs_baseline->relative_lift));
}

TEST_CASE("bad arm summaries are refused with every problem named") {
  const ArmSummary arms[] = {{"control", 100, 120, 0, 0, true},
                             {"", 10, 1},
                             {"b", -5, 0},
                             {"b", 10, 1, 50.0, 10.0},
                             {"c", 10, 1, 0, 0, true}};
  const auto result = compareArms(arms);
  REQUIRE_FALSE(result);
  const Error& error = result.error();
  CHECK(error.code == ErrorCode::kInvalidArgument);
  CHECK(error.message.find("arms[0] (control): conversions (120) exceeds n (100)") !=
        std::string::npos);
  CHECK(error.message.find("arms[1]: the arm has no name") != std::string::npos);
  CHECK(error.message.find("arms[2] (b): n is negative (-5)") != std::string::npos);
  CHECK(error.message.find("arms[3] (b): the name is repeated") != std::string::npos);
  CHECK(error.message.find("arms[3] (b): revenue_sumsq (10) is below revenue_sum²/n (250)") !=
        std::string::npos);
  CHECK(error.message.find("2 arms are marked as control") != std::string::npos);

  CHECK_FALSE(compareArms(std::span<const ArmSummary>{}));
  ComparisonOptions bad;
  bad.confidence = 1.0;
  bad.minimum_detectable_lift = 0.0;
  const ArmSummary fine[] = {{"control", 10, 1}};
  const auto refused = compareArms(fine, bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("options.confidence") != std::string::npos);
  CHECK(refused.error().message.find("options.minimum_detectable_lift") != std::string::npos);
}

TEST_CASE("the experiment's JSON carries every figure, with null for what is undefined") {
  const ArmSummary arms[] = {{"control", 5000, 250, 10000.0, 400000.0, true},
                             {"a", 5000, 300, 12000.0, 480000.0},
                             {"b", 0, 0}};
  const auto result = compareArms(arms);
  REQUIRE(result);
  const nlohmann::json json = toJson(*result);
  CHECK(json["baseline"] == "control");
  CHECK(json["confidence"] == 0.95);
  REQUIRE(json["arms"].size() == 3);
  const auto& a = json["arms"][1];
  CHECK(a["name"] == "a");
  CHECK(a["conversion_rate"].get<double>() == doctest::Approx(0.06));
  CHECK(a["conversion_rate_ci"].size() == 2);
  CHECK(a["conversion"]["test"] == "z_test");
  CHECK(a["conversion"]["difference_ci"][0].get<double>() ==
        doctest::Approx(result->arms[1].conversion_vs_baseline->difference_interval.low));
  CHECK(a["conversion"]["p_value_holm"].is_number());
  CHECK(a["revenue"]["test"] == "welch_t");
  CHECK(a["revenue"]["df"].is_number());
  CHECK(a["required"]["baseline"] == result->arms[1].required->control);
  CHECK(a["required"]["arm"] == result->arms[1].required->treatment);
  CHECK_FALSE(json["arms"][0].contains("conversion"));
  const auto& b = json["arms"][2];
  CHECK(b["conversion_rate"].is_null());
  CHECK(b["conversion_rate_ci"].is_null());
  CHECK(json["warnings"].is_array());
  const auto empty = std::find_if(json["warnings"].begin(), json["warnings"].end(),
                                  [](const auto& w) { return w["code"] == "empty_arm"; });
  REQUIRE(empty != json["warnings"].end());
  CHECK((*empty)["arm"] == "b");
  CHECK_FALSE(json.contains("overall"));
}

TEST_CASE("the global holdout's lift covers conversion, repurchase and revenue") {
  const HoldoutGroup marketed{90000, 9900, 3600, 9900 * 60.0, 9900 * 60.0 * 60.0 * 1.5};
  const HoldoutGroup holdout{10000, 1000, 330, 1000 * 55.0, 1000 * 55.0 * 55.0 * 1.5};
  const auto lift = holdoutLift(marketed, holdout);
  REQUIRE(lift);
  CHECK(lift->marketed.conversion_rate == doctest::Approx(0.11));
  CHECK(lift->holdout.conversion_rate == doctest::Approx(0.10));
  CHECK(lift->conversion.relative_lift == doctest::Approx(0.1));
  CHECK(lift->conversion.difference_interval.contains(0.01));
  CHECK(lift->conversion.p_value < 0.01);
  CHECK(lift->repurchase.difference == doctest::Approx(0.04 - 0.033));
  CHECK(lift->revenue_per_customer.difference == doctest::Approx(6.6 - 5.5));
  CHECK(lift->revenue_per_customer.difference_interval.contains(1.1));
  CHECK(lift->revenue_per_customer.relative_lift == doctest::Approx(0.2));
  REQUIRE(lift->required);
  const auto needed = requiredSampleSize(0.10, 0.11, 0.05, 0.80, 9.0);
  CHECK(lift->required->control == needed->control);
  CHECK(lift->required->treatment == needed->treatment);
  // 10,000 holdout customers against 90,000: enough to see +10% on 10% at this ratio.
  CHECK(needed->control < 10000);
  CHECK_FALSE(hasWarning(lift->warnings, ResultWarningCode::kBelowSampleSize, "holdout"));
  const auto small = holdoutLift({9000, 990, 360, 0, 0}, {1000, 100, 33, 0, 0});
  REQUIRE(small);
  CHECK(hasWarning(small->warnings, ResultWarningCode::kBelowSampleSize, "holdout"));

  const nlohmann::json json = toJson(*lift);
  CHECK(json["marketed"]["customers"] == 90000);
  CHECK(json["conversion"]["test"] == "z_test");
  CHECK(json["repurchase"]["relative_lift"].is_number());
  CHECK(json["revenue_per_customer"]["test"] == "welch_t");
  CHECK(json["required"]["holdout"] == needed->control);
}

TEST_CASE("an empty holdout is reported, not refused; bad holdout counts are refused") {
  const auto empty = holdoutLift({1000, 100, 20, 0, 0}, {0, 0, 0, 0, 0});
  REQUIRE(empty);
  CHECK(hasWarning(empty->warnings, ResultWarningCode::kEmptyArm, "holdout"));
  CHECK(std::isnan(empty->conversion.p_value));
  CHECK(toJson(*empty)["conversion"]["p_value"].is_null());
  CHECK(toJson(*empty)["conversion"]["test"].is_null());

  const auto bad = holdoutLift({100, 10, 120, 0, 0}, {100, -1, 0, 0, 0});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("marketed: repurchased (120) exceeds customers (100)") !=
        std::string::npos);
  CHECK(bad.error().message.find("holdout: converted is negative (-1)") != std::string::npos);
}
