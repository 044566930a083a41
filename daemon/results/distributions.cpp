#include "daemon/results/distributions.h"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace journeyd {
namespace {

namespace bmp = boost::math::policies;

// Errors become values (NaN or ±infinity) instead of exceptions; callers validate their inputs
// and the result statistics turn a NaN into "not defined".
using NoThrow =
    bmp::policy<bmp::domain_error<bmp::ignore_error>, bmp::pole_error<bmp::ignore_error>,
                bmp::overflow_error<bmp::ignore_error>, bmp::underflow_error<bmp::ignore_error>,
                bmp::evaluation_error<bmp::ignore_error>, bmp::rounding_error<bmp::ignore_error>,
                bmp::indeterminate_result_error<bmp::ignore_error>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool isProbability(double p) { return p > 0.0 && p < 1.0; }

}  // namespace

double normalUpperTail(double z) {
  if (std::isnan(z)) return kNaN;
  if (std::isinf(z)) return z > 0 ? 0.0 : 1.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::normal_distribution<double, NoThrow>(), z));
}

double normalQuantile(double p) {
  if (!isProbability(p)) return kNaN;
  return boost::math::quantile(boost::math::normal_distribution<double, NoThrow>(), p);
}

double studentTUpperTail(double t, double df) {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::students_t_distribution<double, NoThrow>(df), t));
}

double studentTQuantile(double p, double df) {
  if (!isProbability(p) || !(df > 0.0)) return kNaN;
  return boost::math::quantile(boost::math::students_t_distribution<double, NoThrow>(df), p);
}

double chiSquaredUpperTail(double x, double df) {
  if (std::isnan(x) || !(df > 0.0)) return kNaN;
  if (x <= 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::chi_squared_distribution<double, NoThrow>(df), x));
}

}  // namespace journeyd
