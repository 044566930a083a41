#include "daemon/intelligence/gamma_gamma.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace journeyd {
namespace {

bool usable(const BtydSummary& s) {
  return s.x > 0.0 && s.monetary > 0.0 && std::isfinite(s.x) && std::isfinite(s.monetary);
}

}  // namespace

double gammaGammaLogLikelihood(const GammaGammaParams& params, double x, double mean_spend) {
  const double px = params.p * x;
  return std::lgamma(px + params.q) - std::lgamma(px) - std::lgamma(params.q) +
         params.q * std::log(params.gamma) + (px - 1.0) * std::log(mean_spend) + px * std::log(x) -
         (px + params.q) * std::log(params.gamma + x * mean_spend);
}

double gammaGammaLogLikelihood(const GammaGammaParams& params,
                               std::span<const BtydSummary> customers) {
  double total = 0.0;
  for (const BtydSummary& s : customers) {
    if (usable(s)) total += gammaGammaLogLikelihood(params, s.x, s.monetary);
  }
  return total;
}

Result<GammaGammaFit> fitGammaGamma(std::span<const BtydSummary> customers,
                                    const FitOptions& options) {
  /// A usable customer with the parameter-free logs precomputed.
  struct Row {
    double x, mean_spend, log_mean_spend;
  };
  std::vector<Row> rows;
  double sum_spend = 0.0;
  for (const BtydSummary& s : customers) {
    if (usable(s)) {
      rows.push_back({s.x, s.monetary, std::log(s.monetary)});
      sum_spend += s.monetary;
    }
  }
  if (rows.empty()) {
    return fail(Error::invalid("Gamma-Gamma fit needs customers with x > 0 and spend > 0"));
  }
  // Sorted by x, so the terms depending only on (x, p, q, γ) are computed once per run.
  std::sort(rows.begin(), rows.end(), [](const Row& l, const Row& r) { return l.x < r.x; });
  auto negative_log_likelihood = [&rows](std::span<const double> theta) {
    const double p = theta[0], q = theta[1], gamma = theta[2];
    const double per_customer = -std::lgamma(q) + q * std::log(gamma);
    double total = 0.0;
    std::size_t i = 0;
    while (i < rows.size()) {
      const double x = rows[i].x;
      const double px = p * x;
      const double x_term = per_customer + std::lgamma(px + q) - std::lgamma(px) + px * std::log(x);
      double run_total = 0.0;
      std::size_t run = 0;
      for (; i < rows.size() && rows[i].x == x; ++i, ++run) {
        run_total += (px - 1.0) * rows[i].log_mean_spend -
                     (px + q) * std::log(gamma + x * rows[i].mean_spend);
      }
      total += run_total + static_cast<double>(run) * x_term;
    }
    return -total;
  };
  // Start: p = 1, q = 2 and γ so that the population mean pγ/(q−1) equals the observed mean.
  const std::array<double, 3> start{1.0, 2.0, sum_spend / static_cast<double>(rows.size())};
  auto outcome = minimizePositive(negative_log_likelihood, start, options);
  if (!outcome) return fail(outcome.error());
  GammaGammaFit fit;
  fit.params = {outcome->parameters[0], outcome->parameters[1], outcome->parameters[2]};
  fit.log_likelihood = -outcome->value;
  fit.customers = static_cast<int>(rows.size());
  fit.evaluations = outcome->evaluations;
  return fit;
}

double gammaGammaExpectedSpend(const GammaGammaParams& params, double x, double mean_spend) {
  const double denominator = params.p * x + params.q - 1.0;
  if (denominator <= 0.0) return std::numeric_limits<double>::infinity();
  return params.p * (params.gamma + x * mean_spend) / denominator;
}

}  // namespace journeyd
