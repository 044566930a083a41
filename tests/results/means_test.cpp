#include "daemon/results/means.h"

#include <doctest/doctest.h>

#include <cmath>
#include <span>
#include <vector>

using namespace journeyd;

namespace {

MeanSummary summarize(std::span<const double> values) {
  MeanSummary s;
  for (double v : values) {
    ++s.n;
    s.sum += v;
    s.sum_of_squares += v * v;
  }
  return s;
}

}  // namespace

TEST_CASE("Welch's test on Student's sleep data matches R's t.test example") {
  // R: t.test(extra ~ group, data = sleep) (Welch by default): t = -1.8608, df = 17.776,
  // p-value = 0.07939, 95 percent confidence interval -3.3654832 0.2054832, means 0.75 and 2.33.
  const double group1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
  const double group2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
  const MeanContrast welch = welchCompare(summarize(group1), summarize(group2));
  CHECK(summarize(group1).mean() == doctest::Approx(0.75));
  CHECK(welch.difference == doctest::Approx(0.75 - 2.33));
  CHECK(welch.statistic == doctest::Approx(-1.8608).epsilon(0.00005 / 1.8608));
  CHECK(welch.degrees_of_freedom == doctest::Approx(17.776).epsilon(0.0005 / 17.776));
  CHECK(welch.p_value == doctest::Approx(0.07939).epsilon(0.000005 / 0.07939));
  CHECK(welch.difference_interval.low == doctest::Approx(-3.3654832).epsilon(1e-7));
  CHECK(welch.difference_interval.high == doctest::Approx(0.2054832).epsilon(1e-6));
}

TEST_CASE("the variance from sums is the sample variance and never negative") {
  const double values[] = {10.0, 12.0, 14.0};
  CHECK(summarize(values).variance() == doctest::Approx(4.0));
  // Identical values: the subtraction may round below zero; it is clamped.
  const std::vector<double> same(1000, 19.99);
  CHECK(summarize(same).variance() >= 0.0);
  CHECK(std::isnan(MeanSummary{1, 5.0, 25.0}.variance()));
  CHECK(std::isnan(MeanSummary{}.mean()));
}

TEST_CASE("revenue per recipient with mostly zeros: a lift the interval can see") {
  // 10,000 recipients per arm; 5% of treatment bought for 40, 4% of control for 40.
  const MeanSummary treatment{10000, 500 * 40.0, 500 * 1600.0};
  const MeanSummary control{10000, 400 * 40.0, 400 * 1600.0};
  const MeanContrast welch = welchCompare(treatment, control);
  CHECK(welch.difference == doctest::Approx(0.4));
  CHECK(welch.relative_lift == doctest::Approx(0.25));
  CHECK(welch.difference_interval.contains(0.4));
  CHECK(welch.difference_interval.low > 0.0);
  CHECK(welch.p_value < 0.01);
  CHECK(welch.degrees_of_freedom > 19000);  // near n1 + n2 − 2 when the spreads are alike
}

TEST_CASE("Welch's interval is undefined without spread or with a single recipient") {
  const MeanContrast flat = welchCompare({100, 500.0, 2500.0}, {100, 500.0, 2500.0});
  CHECK(flat.difference == 0.0);
  CHECK_FALSE(flat.difference_interval.defined());
  CHECK(std::isnan(flat.p_value));
  const MeanContrast one = welchCompare({1, 5.0, 25.0}, {10, 30.0, 120.0});
  CHECK(one.difference == doctest::Approx(2.0));
  CHECK_FALSE(one.difference_interval.defined());
  CHECK(std::isnan(welchCompare({0, 0, 0}, {10, 30.0, 120.0}).difference));
  CHECK(std::isnan(welchCompare({10, 30.0, 120.0}, {10, 0.0, 0.0}).relative_lift));
}
