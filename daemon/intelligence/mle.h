#pragma once
/// Maximum-likelihood plumbing shared by the model fits: minimizes a negative log-likelihood
/// over strictly positive parameters with NLopt, searching in log-parameter space. NLopt's
/// exceptions are caught here and turned into Result errors.
#include <functional>
#include <span>
#include <vector>

#include "daemon/core/result.h"

namespace journeyd {

/// Tuning of a maximum-likelihood fit; the defaults reproduce the published CDNOW figures.
struct FitOptions {
  /// Relative tolerance on each log-parameter; the search stops when a step moves less.
  double x_tolerance_rel = 1e-10;
  /// Relative tolerance on the log-likelihood.
  double f_tolerance_rel = 1e-14;
  /// Cap on log-likelihood evaluations per optimizer run (the fit runs the optimizer twice,
  /// the second time restarted from the first optimum, as Nelder-Mead may stall).
  int max_evaluations = 20000;
};

/// Where a minimization ended.
struct MinimizeOutcome {
  std::vector<double> parameters;  ///< the minimizing parameters (natural scale, all > 0)
  double value = 0.0;              ///< objective at the minimum
  int evaluations = 0;             ///< objective evaluations used
};

/// Minimizes `objective` over parameters > 0, starting at `start` (all > 0), with NLopt's
/// Nelder-Mead simplex in log space. The objective may return +inf or NaN for infeasible
/// points; they are treated as very large. Fails when the start is invalid, when no finite
/// value was ever seen, or when NLopt reports an error.
[[nodiscard]] Result<MinimizeOutcome> minimizePositive(
    const std::function<double(std::span<const double>)>& objective, std::span<const double> start,
    const FitOptions& options);

}  // namespace journeyd
