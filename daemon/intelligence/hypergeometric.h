#pragma once
/// The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, as the BG/NBD expectations
/// need it. Computed by its power series with a running scale factor, so values far beyond the
/// range of double (large repeat counts, z near 1) stay usable in log form.
namespace journeyd {

/// 2F1 as value * exp(log_scale); `value` keeps the sign.
struct ScaledValue {
  double value = 0.0;
  double log_scale = 0.0;
};

/// Series Σ_n (a)_n (b)_n / ((c)_n n!) z^n, summed until a term no longer changes the sum
/// (relative 1e-17) or `max_terms` terms. Requires 0 <= z < 1 and c not a non-positive
/// integer. Cost grows like 40 / -ln(z) terms: about 4,000 at z = 0.99.
[[nodiscard]] ScaledValue hyp2f1Scaled(double a, double b, double c, double z,
                                       int max_terms = 2'000'000);

}  // namespace journeyd
