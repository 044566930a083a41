#include "daemon/intelligence/lifecycle.h"

#include <string>

namespace journeyd {

std::string_view lifecycleStageName(LifecycleStage stage) {
  switch (stage) {
    case LifecycleStage::kNew:
      return "new";
    case LifecycleStage::kActive:
      return "active";
    case LifecycleStage::kAtRisk:
      return "at_risk";
    case LifecycleStage::kLapsed:
      return "lapsed";
    case LifecycleStage::kChurned:
      return "churned";
  }
  return "unknown";
}

LifecycleStage lifecycleStage(const LifecycleFacts& facts, TimeMs as_of,
                              const LifecycleThresholds& thresholds) {
  if (!facts.last_order_at) {
    if (!facts.signed_up_at || as_of - *facts.signed_up_at <= thresholds.new_window_ms) {
      return LifecycleStage::kNew;
    }
    const DurationMs since_signup = as_of - *facts.signed_up_at;
    if (since_signup > thresholds.churned_after_ms) return LifecycleStage::kChurned;
    if (since_signup > thresholds.lapsed_after_ms) return LifecycleStage::kLapsed;
    return LifecycleStage::kAtRisk;
  }
  const DurationMs silence = as_of - *facts.last_order_at;
  if (silence > thresholds.churned_after_ms) return LifecycleStage::kChurned;
  if (silence > thresholds.lapsed_after_ms) return LifecycleStage::kLapsed;
  const TimeMs first = facts.first_order_at.value_or(*facts.last_order_at);
  if (as_of - first <= thresholds.new_window_ms) return LifecycleStage::kNew;
  if (silence > thresholds.at_risk_after_ms) return LifecycleStage::kAtRisk;
  if (facts.p_alive && *facts.p_alive < thresholds.at_risk_below_p_alive) {
    return LifecycleStage::kAtRisk;
  }
  return LifecycleStage::kActive;
}

Result<void> validateLifecycleThresholds(const LifecycleThresholds& thresholds) {
  std::string problems;
  if (thresholds.new_window_ms <= 0) problems += "new_window must be > 0\n";
  if (thresholds.at_risk_after_ms <= 0) problems += "at_risk_after must be > 0\n";
  if (thresholds.lapsed_after_ms <= thresholds.at_risk_after_ms) {
    problems += "lapsed_after must be longer than at_risk_after\n";
  }
  if (thresholds.churned_after_ms <= thresholds.lapsed_after_ms) {
    problems += "churned_after must be longer than lapsed_after\n";
  }
  if (!(thresholds.at_risk_below_p_alive >= 0.0 && thresholds.at_risk_below_p_alive <= 1.0)) {
    problems += "at_risk_below_p_alive must be within [0, 1]\n";
  }
  if (!problems.empty()) {
    problems.pop_back();
    return fail(Error::invalid(problems, "lifecycle"));
  }
  return ok();
}

}  // namespace journeyd
