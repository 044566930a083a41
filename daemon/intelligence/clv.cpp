#include "daemon/intelligence/clv.h"

#include <algorithm>
#include <cmath>

namespace journeyd {

double customerLifetimeValue(const BgNbdParams& bgnbd, const GammaGammaParams& gamma_gamma,
                             const BtydSummary& customer, const ClvOptions& options) {
  if (!(options.horizon_days > 0.0) || !(options.step_days > 0.0) ||
      !(options.time_unit_days > 0.0)) {
    return 0.0;
  }
  const double spend = gammaGammaExpectedSpend(gamma_gamma, customer.x, customer.monetary);
  const int steps = static_cast<int>(std::ceil(options.horizon_days / options.step_days - 1e-9));
  double value = 0.0;
  double previous = 0.0;
  double discount = 1.0;
  for (int k = 1; k <= steps; ++k) {
    const double t_days = std::min(k * options.step_days, options.horizon_days);
    const double expected =
        bgNbdConditionalExpectedPurchases(bgnbd, t_days / options.time_unit_days, customer);
    discount *= 1.0 + options.discount_rate_per_step;
    value += spend * (expected - previous) / discount;
    previous = expected;
  }
  return value;
}

CustomerValue evaluateCustomerValue(const PurchaseTally& tally, TimeMs as_of,
                                    const ValueModels& models) {
  CustomerValue value;
  if (tally.days == 0) return value;
  value.summary = summarize(tally, as_of, models.summary);
  value.p_alive = bgNbdProbabilityAlive(models.bgnbd, value.summary);
  value.churn_risk = 1.0 - value.p_alive;
  value.expected_purchases = bgNbdConditionalExpectedPurchases(
      models.bgnbd, models.clv.horizon_days / models.clv.time_unit_days, value.summary);
  value.expected_spend =
      gammaGammaExpectedSpend(models.gamma_gamma, value.summary.x, value.summary.monetary);
  value.clv = customerLifetimeValue(models.bgnbd, models.gamma_gamma, value.summary, models.clv);
  value.seed_ltv = seedLtv(tally.totalAmount(), tally.first_order_at, as_of, models.seed_ltv);
  return value;
}

}  // namespace journeyd
