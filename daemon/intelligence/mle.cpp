#include "daemon/intelligence/mle.h"

#include <cmath>
#include <exception>
#include <limits>
#include <nlopt.hpp>
#include <string>

namespace journeyd {
namespace {

constexpr double kInfeasible = 1e300;

struct ObjectiveContext {
  const std::function<double(std::span<const double>)>* objective;
  std::vector<double> natural;
  int evaluations = 0;
};

double logSpaceObjective(const std::vector<double>& log_params, std::vector<double>& /*grad*/,
                         void* data) {
  auto* context = static_cast<ObjectiveContext*>(data);
  ++context->evaluations;
  for (std::size_t i = 0; i < log_params.size(); ++i) {
    context->natural[i] = std::exp(log_params[i]);
  }
  const double value = (*context->objective)(context->natural);
  return std::isfinite(value) ? value : kInfeasible;
}

}  // namespace

Result<MinimizeOutcome> minimizePositive(
    const std::function<double(std::span<const double>)>& objective, std::span<const double> start,
    const FitOptions& options) {
  std::vector<double> x;
  for (double value : start) {
    if (!(value > 0.0) || !std::isfinite(value)) {
      return fail(Error::invalid("optimizer start values must be finite and > 0"));
    }
    x.push_back(std::log(value));
  }
  ObjectiveContext context{&objective, std::vector<double>(x.size()), 0};
  double best = std::numeric_limits<double>::infinity();
  try {
    // Two runs: the restart rebuilds the simplex around the first optimum, which cures the
    // premature convergence Nelder-Mead is known for.
    for (int run = 0; run < 2; ++run) {
      nlopt::opt optimizer(nlopt::LN_NELDERMEAD, static_cast<unsigned>(x.size()));
      optimizer.set_min_objective(logSpaceObjective, &context);
      optimizer.set_xtol_rel(options.x_tolerance_rel);
      optimizer.set_ftol_rel(options.f_tolerance_rel);
      optimizer.set_maxeval(options.max_evaluations);
      optimizer.set_initial_step(run == 0 ? 0.5 : 0.05);
      try {
        optimizer.optimize(x, best);
      } catch (const nlopt::roundoff_limited&) {
        // The simplex cannot shrink further; x already holds the best point found.
        std::vector<double> unused_gradient;
        best = logSpaceObjective(x, unused_gradient, &context);
      }
    }
  } catch (const std::exception& e) {
    return fail(Error::internal(std::string("optimizer failed: ") + e.what()));
  }
  if (!(best < kInfeasible)) {
    return fail(Error::invalid("log-likelihood is not finite anywhere the optimizer looked"));
  }
  MinimizeOutcome outcome;
  for (double log_value : x) outcome.parameters.push_back(std::exp(log_value));
  outcome.value = best;
  outcome.evaluations = context.evaluations;
  return outcome;
}

}  // namespace journeyd
