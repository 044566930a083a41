#include "daemon/results/means.h"

#include <algorithm>
#include <cmath>

#include "daemon/results/distributions.h"

namespace journeyd {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double MeanSummary::mean() const { return n > 0 ? sum / static_cast<double>(n) : kNaN; }

double MeanSummary::variance() const {
  if (n < 2) return kNaN;
  const double count = static_cast<double>(n);
  return std::max(0.0, (sum_of_squares - sum * (sum / count)) / (count - 1.0));
}

MeanContrast welchCompare(const MeanSummary& treatment, const MeanSummary& control,
                          double confidence) {
  MeanContrast out;
  if (treatment.n < 1 || control.n < 1) return out;
  const double mean_t = treatment.mean();
  const double mean_c = control.mean();
  out.difference = mean_t - mean_c;
  if (mean_c > 0.0) out.relative_lift = mean_t / mean_c - 1.0;
  if (treatment.n < 2 || control.n < 2 || !(confidence > 0.0 && confidence < 1.0)) return out;

  const double share_t = treatment.variance() / static_cast<double>(treatment.n);
  const double share_c = control.variance() / static_cast<double>(control.n);
  const double se2 = share_t + share_c;
  if (!(se2 > 0.0)) return out;
  const double se = std::sqrt(se2);
  out.degrees_of_freedom = se2 * se2 /
                           (share_t * share_t / static_cast<double>(treatment.n - 1) +
                            share_c * share_c / static_cast<double>(control.n - 1));
  out.statistic = out.difference / se;
  out.p_value =
      std::min(1.0, 2.0 * studentTUpperTail(std::fabs(out.statistic), out.degrees_of_freedom));
  const double t = studentTQuantile(1.0 - (1.0 - confidence) / 2.0, out.degrees_of_freedom);
  out.difference_interval = {out.difference - t * se, out.difference + t * se};
  return out;
}

}  // namespace journeyd
