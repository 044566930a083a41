#pragma once
/// The reference distributions the result statistics need: standard normal, Student's t and
/// chi-square, as upper-tail probabilities and quantiles. Thin wrappers over Boost.Math
/// (header-only, from Debian's libboost-dev) with a policy that never throws: an argument out of
/// range gives NaN, an overflowing quantile ±infinity. Pure and thread-safe.
namespace journeyd {

/// P(Z > z) for Z ~ N(0, 1); accurate far into the tail (no 1 − Φ cancellation).
[[nodiscard]] double normalUpperTail(double z);

/// The z with P(Z <= z) = p, for 0 < p < 1 (Φ⁻¹). NaN outside (0, 1).
[[nodiscard]] double normalQuantile(double p);

/// P(T > t) for T ~ Student's t with `df` > 0 degrees of freedom (df need not be an integer:
/// Welch's df is not). NaN for df <= 0.
[[nodiscard]] double studentTUpperTail(double t, double df);

/// The t with P(T <= t) = p for Student's t with `df` > 0 degrees of freedom.
[[nodiscard]] double studentTQuantile(double p, double df);

/// P(X > x) for X ~ chi-square with `df` > 0 degrees of freedom; 1 for x <= 0.
[[nodiscard]] double chiSquaredUpperTail(double x, double df);

}  // namespace journeyd
