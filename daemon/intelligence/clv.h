#pragma once
/// Predicted customer lifetime value from BG/NBD (how many purchases) and Gamma-Gamma (how
/// much each is worth), and the per-customer bundle of value figures the daemon keeps current.
#include "daemon/intelligence/bgnbd.h"
#include "daemon/intelligence/btyd_summary.h"
#include "daemon/intelligence/gamma_gamma.h"
#include "daemon/intelligence/ltv.h"

namespace journeyd {

/// How the CLV sum is cut into discounted steps.
struct ClvOptions {
  /// Prediction horizon in days. Default 365 (the product's "12-month CLV").
  double horizon_days = 365.0;
  /// Length of one discounting step in days. Default 30 (a "month"); the last step may be
  /// shorter (365 days = 12 steps of 30 days + one of 5).
  double step_days = 30.0;
  /// Discount rate per step: step k is divided by (1 + rate)^k. Default 0.01 (1% a month).
  double discount_rate_per_step = 0.01;
  /// The BG/NBD model's time unit in days: 1 when fitted on daily summaries (the product),
  /// 7 for weekly ones (CDNOW). Converts horizon and steps into model time.
  double time_unit_days = 1.0;
};

/// CLV = Σ_{k=1..K} E[M|x,m̄] · (E[Y(t_k)|x,t_x,T] − E[Y(t_{k−1})|x,t_x,T]) / (1+d)^k,
/// with t_k = min(k · step_days, horizon_days) / time_unit_days, K = ⌈horizon / step⌉, E[Y]
/// the BG/NBD conditional expectation and E[M] the Gamma-Gamma expected spend. In currency.
/// (lifetimes' customer_lifetime_value(time=12, discount_rate=0.01) is this formula with
/// horizon 360, step 30 and time_unit_days = 1 applied to whatever unit the model has.)
[[nodiscard]] double customerLifetimeValue(const BgNbdParams& bgnbd,
                                           const GammaGammaParams& gamma_gamma,
                                           const BtydSummary& customer,
                                           const ClvOptions& options = {});

/// The fitted models and options behind a customer's value figures; shared and immutable.
struct ValueModels {
  BgNbdParams bgnbd;
  GammaGammaParams gamma_gamma;
  SummaryOptions summary;  ///< must use the time unit the models were fitted in
  ClvOptions clv;          ///< clv.time_unit_days should equal summary.time_unit_days
  SeedLtvOptions seed_ltv;
};

/// A customer's value figures at one instant.
struct CustomerValue {
  BtydSummary summary;
  double p_alive = 1.0;             ///< BG/NBD P(alive)
  double churn_risk = 0.0;          ///< 1 − p_alive
  double expected_purchases = 0.0;  ///< E[Y(horizon)] over the CLV horizon
  double expected_spend = 0.0;      ///< Gamma-Gamma E[M] per purchase, currency
  double clv = 0.0;                 ///< customerLifetimeValue over the CLV horizon, currency
  double seed_ltv = 0.0;            ///< annual spend × expected lifetime years, currency
};

/// All value figures of one customer from their tally. A customer with no order has
/// p_alive 1, zero CLV and zero LTV (no BG/NBD clock has started for them).
[[nodiscard]] CustomerValue evaluateCustomerValue(const PurchaseTally& tally, TimeMs as_of,
                                                  const ValueModels& models);

}  // namespace journeyd
