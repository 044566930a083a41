#include "daemon/results/distributions.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace journeyd;

TEST_CASE("the normal, t and chi-square tails agree with the printed tables") {
  // Critical values as printed in t and chi-square tables (3 decimals), and full-precision
  // values (Φ⁻¹(0.975), t_{0.975,10}, χ²_{0.95,1}) as scipy.stats gives them.
  CHECK(normalQuantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-15));
  CHECK(normalQuantile(0.5) == doctest::Approx(0.0));
  CHECK(normalUpperTail(1.959963984540054) == doctest::Approx(0.025).epsilon(1e-13));
  CHECK(studentTQuantile(0.975, 10) == doctest::Approx(2.228).epsilon(0.0005 / 2.228));
  CHECK(studentTQuantile(0.975, 1) == doctest::Approx(12.706).epsilon(0.0005 / 12.706));
  CHECK(studentTUpperTail(2.2281388519649385, 10) == doctest::Approx(0.025).epsilon(1e-12));
  CHECK(chiSquaredUpperTail(3.841458820694124, 1) == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(chiSquaredUpperTail(5.991, 2) == doctest::Approx(0.05).epsilon(1e-4));
}

TEST_CASE("tails far out keep their precision instead of rounding to zero") {
  // 1 − Φ(10) would be 0 in double; the complement is computed directly.
  CHECK(normalUpperTail(10.0) == doctest::Approx(7.61985302416047e-24).epsilon(1e-12));
  CHECK(chiSquaredUpperTail(200.0, 1) > 0.0);
}

TEST_CASE("arguments outside the domain give NaN, not an exception") {
  CHECK(std::isnan(normalQuantile(0.0)));
  CHECK(std::isnan(normalQuantile(1.5)));
  CHECK(std::isnan(studentTQuantile(0.9, 0.0)));
  CHECK(std::isnan(studentTUpperTail(1.0, -1.0)));
  CHECK(std::isnan(chiSquaredUpperTail(1.0, 0.0)));
  CHECK(std::isnan(normalUpperTail(std::numeric_limits<double>::quiet_NaN())));
  CHECK(normalUpperTail(std::numeric_limits<double>::infinity()) == 0.0);
  CHECK(studentTUpperTail(-std::numeric_limits<double>::infinity(), 3) == 1.0);
  CHECK(chiSquaredUpperTail(0.0, 3) == 1.0);
}
