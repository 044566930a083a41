#pragma once
/// Customer intelligence kept current per customer: the fitted models of the whole base
/// (StoredModels, refitted by `journeyd model fit`) applied to one customer's order facts.
/// Pure and thread-safe; the store reads the facts and keeps the models.
///
/// The values, as journey conditions and segments see them under `customer.`:
///
/// - `rfm.r`, `rfm.f`, `rfm.m` (1 = worst fifth of the customer base … 5 = best fifth) and
///   `rfm.segment` ("champions", "loyal", "at_risk", "lost", … see rfm.h): how recently, how
///   often and how much the customer bought compared with everyone else at the last model fit.
///   R ranks the last order date, F the number of days with an order, M the total spent.
///   Absent until a fit has stored RFM cut points, and for customers who never ordered.
/// - `p_alive` (0..1): the BG/NBD probability that the customer is still a buyer rather than
///   gone for good, judged from their own rhythm: a weekly buyer silent for two months scores
///   low, a yearly buyer silent for two months does not. A customer with a single order day
///   counts as alive (1): the model has not yet seen them come back or fail to.
/// - `churn_risk` (0..1) = 1 − p_alive.
/// - `expected_orders_90d`: how many days with an order the customer is expected to have in
///   the next 90 days (BG/NBD conditional expectation; 0.4 means "40% chance of one order",
///   roughly). Orders on the same day count once.
/// - `clv_12m` (currency): predicted spend in the next 365 days, discounted 1% a month —
///   expected order days (BG/NBD) × expected spend per order day (Gamma-Gamma, which pulls the
///   customer's own average towards the base average the fewer orders they have). Needs both
///   models.
/// - `ltv` (currency): the simple seed rule, average annual spend × 3 expected years (ltv.h),
///   with at least one year observed. Needs no model; 0 for a customer who never ordered.
/// - `lifecycle`: "new", "active", "at_risk", "lapsed" or "churned" (lifecycle.h; uses p_alive
///   when the BG/NBD model exists).
///
/// p_alive, churn_risk, expected_orders_90d and clv_12m are absent when the BG/NBD model (and
/// for clv_12m the Gamma-Gamma model) has not been fitted, and for customers without an order.
/// Probabilities and counts are rounded to 4 decimals, money to 2, so a value only "changes"
/// when it changes visibly.
///
/// Approximation: the facts carry no per-order amounts, so the mean spend per repeat purchase
/// day the Gamma-Gamma model wants (m̄, first purchase excluded) is taken as the mean spend per
/// purchase day over all of them, total_spent / purchase_days. The fit itself (model_fit.cpp)
/// uses the exact repeat-day mean.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "daemon/core/result.h"
#include "daemon/core/time.h"
#include "daemon/intelligence/bgnbd.h"
#include "daemon/intelligence/gamma_gamma.h"
#include "daemon/intelligence/lifecycle.h"
#include "daemon/intelligence/ltv.h"
#include "daemon/intelligence/rfm.h"

namespace journeyd {

/// The models fitted on the whole customer base, as stored (table model_params) and applied to
/// each customer. BG/NBD parameters are in the time unit `time_unit_days` (1 = days, the
/// product's unit).
struct StoredModels {
  std::optional<BgNbdParams> bgnbd;
  std::optional<double> bgnbd_log_likelihood;  ///< informational, in the stored time unit
  std::optional<GammaGammaParams> gamma_gamma;
  std::optional<double> gamma_gamma_log_likelihood;  ///< informational
  std::optional<RfmBoundaries> rfm;
  double time_unit_days = 1.0;  ///< time unit of the BG/NBD parameters, in days
  std::int64_t customers = 0;   ///< customers with an order the models were fitted on
  TimeMs fitted_at = 0;         ///< when the fit ran
  TimeMs as_of = 0;             ///< orders up to this instant were used

  /// {"time_unit_days", "customers", "fitted_at", "as_of" (ISO), "bgnbd": {"r", "alpha", "a",
  /// "b", "log_likelihood"?}, "gamma_gamma": {"p", "q", "gamma", "log_likelihood"?}, "rfm":
  /// {"recency": [4 epoch ms], "frequency": [4], "monetary": [4], "customers"}}; absent models
  /// are left out.
  [[nodiscard]] nlohmann::json toJson() const;
  /// The inverse of toJson(); kInvalidArgument naming the field on a malformed document or
  /// non-positive parameters.
  [[nodiscard]] static Result<StoredModels> fromJson(const nlohmann::json& json);
};

/// What the store knows of one customer's orders (the `customers` row plus the number of
/// distinct order days).
struct CustomerOrderFacts {
  std::int64_t orders_count = 0;
  std::int64_t purchase_days = 0;  ///< distinct (UTC) days with an order; 0 = never ordered
  double total_spent = 0.0;        ///< currency
  std::optional<TimeMs> first_order_at;
  std::optional<TimeMs> last_order_at;
  std::optional<TimeMs> signed_up_at;
};

/// Business choices behind the values (defaults: the product's).
struct CustomerValueOptions {
  RfmSegmentMap segments = defaultRfmSegmentMap();
  LifecycleThresholds lifecycle;
  SeedLtvOptions seed_ltv;
  double expected_orders_days = 90.0;  ///< horizon of expected_orders_90d
  double clv_horizon_days = 365.0;     ///< horizon of clv_12m
  double clv_step_days = 30.0;         ///< discounting step
  double clv_discount_per_step = 0.01;
  DurationMs day_offset_ms = 0;  ///< customer day boundary (0 = UTC days, as the fit uses)

  /// A shared default instance (avoids rebuilding the segment map per call).
  static const CustomerValueOptions& defaults();
};

/// The BTYD summary (x, t_x, T in the models' time unit, m̄ = total / purchase days) of the
/// facts at `now`. All zeros for a customer without an order or without first/last order time.
[[nodiscard]] BtydSummary summarizeFacts(const CustomerOrderFacts& facts, TimeMs now,
                                         double time_unit_days = 1.0, DurationMs day_offset_ms = 0);

/// The customer's value figures at `now` (see the file comment for each field):
/// {"rfm": {"r", "f", "m", "segment"}?, "p_alive"?, "churn_risk"?, "expected_orders_90d"?,
///  "clv_12m"?, "ltv", "lifecycle"}.
[[nodiscard]] nlohmann::json customerValues(
    const CustomerOrderFacts& facts, const StoredModels& models, TimeMs now,
    const CustomerValueOptions& options = CustomerValueOptions::defaults());

}  // namespace journeyd
