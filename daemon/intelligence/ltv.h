#pragma once
/// The seed documents' lifetime value: LTV = average annual spend × expected lifetime years.
/// A simple, explainable figure for tiering; the model-based figure is in clv.h.
#include "daemon/core/time.h"

namespace journeyd {

/// Inputs of the seed LTV rule that are business choices rather than data.
struct SeedLtvOptions {
  /// How many years a customer is expected to keep buying. Default 3 years.
  double expected_lifetime_years = 3.0;
  /// The observed period is never taken as shorter than this, so a customer of two months is
  /// not extrapolated to six times their spend. Default 1 year.
  double min_observed_years = 1.0;
};

/// Average annual spend = total spent / max(years since the first order, min_observed_years),
/// a year being 365.25 days. 0 when nothing was spent or as_of precedes the first order.
[[nodiscard]] double annualSpend(double total_spent, TimeMs first_order_at, TimeMs as_of,
                                 const SeedLtvOptions& options = {});

/// annualSpend(...) × expected_lifetime_years, in the currency of the amounts.
[[nodiscard]] double seedLtv(double total_spent, TimeMs first_order_at, TimeMs as_of,
                             const SeedLtvOptions& options = {});

}  // namespace journeyd
