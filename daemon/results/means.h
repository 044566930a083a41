#pragma once
/// Statistics of a per-recipient amount (revenue per recipient): its mean, and Welch's
/// unequal-variance t interval and test for the difference of two arms' means, computed from
/// count, sum and sum of squares so a report can take them from SQL aggregates without loading a
/// row. Formulas and references: docs/statistics.md. Pure, thread-safe.
#include <cstdint>
#include <limits>

#include "daemon/results/proportions.h"

namespace journeyd {

/// n values by their sum and sum of squares (every recipient counts, with 0 when they spent
/// nothing).
struct MeanSummary {
  std::int64_t n = 0;
  double sum = 0.0;
  double sum_of_squares = 0.0;

  /// sum / n; NaN when n = 0.
  [[nodiscard]] double mean() const;
  /// The sample variance (sum_of_squares − sum²/n) / (n − 1), never negative; NaN when n < 2.
  /// The subtraction loses about log10(1 + mean²/variance) digits of the 16: harmless for
  /// revenue, where the spread is of the order of the mean.
  [[nodiscard]] double variance() const;
};

/// Treatment's mean against control's.
struct MeanContrast {
  double difference = std::numeric_limits<double>::quiet_NaN();  ///< mean(t) − mean(c)
  Interval difference_interval;                                  ///< Welch t interval
  /// mean(t) / mean(c) − 1 (a point estimate; the interval is on the difference); NaN when the
  /// control mean is not positive.
  double relative_lift = std::numeric_limits<double>::quiet_NaN();
  double statistic = std::numeric_limits<double>::quiet_NaN();           ///< Welch's t
  double degrees_of_freedom = std::numeric_limits<double>::quiet_NaN();  ///< Welch–Satterthwaite
  double p_value = std::numeric_limits<double>::quiet_NaN();             ///< two-sided
};

/// Welch's t for mean(t) − mean(c):
///   se = √(s_t²/n_t + s_c²/n_c),  t = (m_t − m_c) / se,
///   df = se⁴ / ((s_t²/n_t)²/(n_t − 1) + (s_c²/n_c)²/(n_c − 1)),
///   interval (m_t − m_c) ± t_{df, 1−α/2}·se,  p = 2·P(T_df > |t|).
/// The difference is defined from one value per arm; the interval and test need n >= 2 in each
/// arm and a spread that is not zero in both.
[[nodiscard]] MeanContrast welchCompare(const MeanSummary& treatment, const MeanSummary& control,
                                        double confidence = 0.95);

}  // namespace journeyd
