#pragma once
/// The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting Your Customers the
/// Easy Way"): while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α);
/// after each purchase they drop out with probability p ~ Beta(a, b). All times are in the time
/// unit of the summaries the model was fitted on (weeks for CDNOW, days in the product); α has
/// that unit, r, a, b are pure numbers. Everything here is pure and thread-safe.
#include <span>

#include "daemon/core/result.h"
#include "daemon/intelligence/btyd_summary.h"
#include "daemon/intelligence/mle.h"

namespace journeyd {

/// Fitted BG/NBD parameters (all > 0).
struct BgNbdParams {
  double r = 0.0;
  double alpha = 0.0;  ///< time-unit scale of the purchase-rate distribution
  double a = 0.0;
  double b = 0.0;
};

/// The result of a maximum-likelihood fit.
struct BgNbdFit {
  BgNbdParams params;
  double log_likelihood = 0.0;  ///< total over the fitted customers
  int evaluations = 0;          ///< log-likelihood evaluations the optimizer used
};

/// One customer's log-likelihood:
///   ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
///   + ln[ (α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x) ]   (log-sum-exp).
[[nodiscard]] double bgNbdLogLikelihood(const BgNbdParams& params, const BtydSummary& customer);

/// Sum of bgNbdLogLikelihood over customers.
[[nodiscard]] double bgNbdLogLikelihood(const BgNbdParams& params,
                                        std::span<const BtydSummary> customers);

/// Maximum-likelihood fit (NLopt Nelder-Mead in log-parameter space, identical summaries
/// grouped so the cost per evaluation is the number of distinct (x, t_x, T)). Fails on an
/// empty input, on negative or non-finite summaries, or when t_x > T.
[[nodiscard]] Result<BgNbdFit> fitBgNbd(std::span<const BtydSummary> customers,
                                        const FitOptions& options = {});

/// Unconditional expected purchases of a new customer in (0, t]:
///   E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))].
[[nodiscard]] double bgNbdExpectedPurchases(const BgNbdParams& params, double t);

/// Expected purchases in (T, T+t] of a customer with summary (x, t_x, T):
///   E[Y(t)|x,t_x,T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x)
///                      · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] / (1 + 1{x>0} · a/(b+x−1)
///                      · ((α+T)/(α+t_x))^(r+x)).
/// The formula is singular at a = 1 exactly (a removable 0/0); a is nudged off 1 there.
[[nodiscard]] double bgNbdConditionalExpectedPurchases(const BgNbdParams& params, double t,
                                                       const BtydSummary& customer);

/// Probability the customer is still alive at T:
///   P(alive) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)); 1 when x = 0.
/// Churn risk is 1 − P(alive).
[[nodiscard]] double bgNbdProbabilityAlive(const BgNbdParams& params, const BtydSummary& customer);

/// Probability that a new customer makes exactly n purchases in (0, t] (the paper's eq. 8).
[[nodiscard]] double bgNbdProbabilityOfPurchases(const BgNbdParams& params, double t, int n);

}  // namespace journeyd
