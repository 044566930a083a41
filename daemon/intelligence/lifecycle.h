#pragma once
/// Lifecycle stage of a customer (new, active, at-risk, lapsed, churned) from the days since
/// sign-up, first and last order, and optionally the BG/NBD P(alive). Pure and thread-safe.
#include <optional>
#include <string_view>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

enum class LifecycleStage { kNew, kActive, kAtRisk, kLapsed, kChurned };

/// "new", "active", "at_risk", "lapsed", "churned" (the ids segment YAML uses).
[[nodiscard]] std::string_view lifecycleStageName(LifecycleStage stage);

/// Where the stages begin; replaceable from config. Silence = time since the last order.
struct LifecycleThresholds {
  /// A customer whose first order (or, with no order, whose sign-up) is at most this old is
  /// new. Default 30 days.
  DurationMs new_window_ms = 30 * kDayMs;
  /// Silence beyond this makes an active customer at-risk. Default 90 days.
  DurationMs at_risk_after_ms = 90 * kDayMs;
  /// Silence beyond this makes a customer lapsed. Default 180 days.
  DurationMs lapsed_after_ms = 180 * kDayMs;
  /// Silence beyond this makes a customer churned. Default 365 days.
  DurationMs churned_after_ms = 365 * kDayMs;
  /// Below this P(alive) a recent buyer is already at-risk (the model sees a gap unusually long
  /// for their own rhythm). Default 0.5; 0 disables the rule.
  double at_risk_below_p_alive = 0.5;
};

/// Known facts of one customer; any may be missing.
struct LifecycleFacts {
  std::optional<TimeMs> signed_up_at;
  std::optional<TimeMs> first_order_at;
  std::optional<TimeMs> last_order_at;
  std::optional<double> p_alive;  ///< BG/NBD P(alive), when a model is fitted
};

/// The stage at `as_of`, first matching rule wins:
///  with an order:  silence > churned_after → churned; > lapsed_after → lapsed;
///                  first order within new_window → new;
///                  silence > at_risk_after or p_alive < at_risk_below_p_alive → at_risk;
///                  otherwise active.
///  without order:  no sign-up known, or sign-up within new_window → new; otherwise the time
///                  since sign-up counts as silence: churned / lapsed as above, else at_risk
///                  (a customer who never bought is never active).
[[nodiscard]] LifecycleStage lifecycleStage(const LifecycleFacts& facts, TimeMs as_of,
                                            const LifecycleThresholds& thresholds = {});

/// Checks 0 < new_window and at_risk_after < lapsed_after < churned_after, p in [0, 1].
/// Reports every problem in one kInvalidArgument.
[[nodiscard]] Result<void> validateLifecycleThresholds(const LifecycleThresholds& thresholds);

}  // namespace journeyd
