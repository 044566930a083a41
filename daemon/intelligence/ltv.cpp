#include "daemon/intelligence/ltv.h"

#include <algorithm>

namespace journeyd {

double annualSpend(double total_spent, TimeMs first_order_at, TimeMs as_of,
                   const SeedLtvOptions& options) {
  if (!(total_spent > 0.0) || as_of < first_order_at) return 0.0;
  constexpr double kYearMs = 365.25 * static_cast<double>(kDayMs);
  const double observed_years = static_cast<double>(as_of - first_order_at) / kYearMs;
  const double years = std::max(observed_years, options.min_observed_years);
  return years > 0.0 ? total_spent / years : total_spent;
}

double seedLtv(double total_spent, TimeMs first_order_at, TimeMs as_of,
               const SeedLtvOptions& options) {
  return annualSpend(total_spent, first_order_at, as_of, options) * options.expected_lifetime_years;
}

}  // namespace journeyd
