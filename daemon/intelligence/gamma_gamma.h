#pragma once
/// The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model
/// of Monetary Value"; Colombo & Jiang 1999): each transaction value z ~ Gamma(p, ν) around a
/// customer's mean p/ν, with ν ~ Gamma(q, γ) across customers. γ is in currency units, p and q
/// are pure numbers. Fitted on customers with at least one repeat purchase (x > 0) and a
/// positive mean repeat spend m̄; it assumes spend and frequency are independent.
#include <span>

#include "daemon/core/result.h"
#include "daemon/intelligence/btyd_summary.h"
#include "daemon/intelligence/mle.h"

namespace journeyd {

/// Fitted Gamma-Gamma parameters (all > 0).
struct GammaGammaParams {
  double p = 0.0;
  double q = 0.0;
  double gamma = 0.0;  ///< currency units (lifetimes calls it v)
};

/// The result of a maximum-likelihood fit.
struct GammaGammaFit {
  GammaGammaParams params;
  double log_likelihood = 0.0;  ///< total over the customers used
  int customers = 0;            ///< customers used (x > 0 and m̄ > 0)
  int evaluations = 0;
};

/// One customer's log-likelihood of mean spend m̄ over x transactions:
///   ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(γ + x m̄).
/// Only defined for x > 0 and m̄ > 0.
[[nodiscard]] double gammaGammaLogLikelihood(const GammaGammaParams& params, double x,
                                             double mean_spend);

/// Sum over the customers with x > 0 and monetary > 0 (others are skipped).
[[nodiscard]] double gammaGammaLogLikelihood(const GammaGammaParams& params,
                                             std::span<const BtydSummary> customers);

/// Maximum-likelihood fit over the customers with x > 0 and monetary > 0 (NLopt Nelder-Mead in
/// log-parameter space). Fails when no such customer exists.
[[nodiscard]] Result<GammaGammaFit> fitGammaGamma(std::span<const BtydSummary> customers,
                                                  const FitOptions& options = {});

/// Expected spend per transaction of a customer, a weighted mean of the population mean and
/// their own mean:  E[M | x, m̄] = p (γ + x m̄) / (p x + q − 1).
/// For x = 0 this is the population mean p γ / (q − 1). Requires q > 1 (infinite mean otherwise;
/// returns +inf).
[[nodiscard]] double gammaGammaExpectedSpend(const GammaGammaParams& params, double x,
                                             double mean_spend);

}  // namespace journeyd
