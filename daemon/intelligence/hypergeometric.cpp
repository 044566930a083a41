#include "daemon/intelligence/hypergeometric.h"

#include <cmath>

namespace journeyd {

ScaledValue hyp2f1Scaled(double a, double b, double c, double z, int max_terms) {
  constexpr double kRescaleAbove = 1e250;
  const double kLogRescale = std::log(kRescaleAbove);
  ScaledValue result{1.0, 0.0};
  if (z == 0.0) return result;
  double term = 1.0;
  double sum = 1.0;
  for (int n = 0; n < max_terms; ++n) {
    const double ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
    term *= ratio;
    sum += term;
    if (term == 0.0) break;
    if (std::fabs(ratio) < 1.0 && std::fabs(term) <= 1e-17 * std::fabs(sum)) break;
    if (std::fabs(sum) > kRescaleAbove || std::fabs(term) > kRescaleAbove) {
      sum /= kRescaleAbove;
      term /= kRescaleAbove;
      result.log_scale += kLogRescale;
    }
  }
  result.value = sum;
  return result;
}

}  // namespace journeyd
