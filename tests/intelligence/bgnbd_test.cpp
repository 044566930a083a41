#include "daemon/intelligence/bgnbd.h"

#include <doctest/doctest.h>

#include <cmath>

#include "tests/intelligence/cdnow_data.h"

using namespace journeyd;

namespace {
// Fader, Hardie & Lee (2005) as estimated to 7 digits by CLVTools (REFERENCE.md section 3).
const BgNbdParams kClvTools{0.2425945, 4.4136019, 0.7929199, 2.4258881};
const BgNbdParams kPaper{0.243, 4.414, 0.793, 2.426};
}  // namespace

TEST_CASE("the BG/NBD log-likelihood at the published parameters is -9582.43") {
  const auto customers = cdnow::calibrationSummaries();
  CHECK(bgNbdLogLikelihood(kPaper, customers) == doctest::Approx(-9582.43).epsilon(0.005 / 9582));
  CHECK(bgNbdLogLikelihood(kClvTools, customers) == doctest::Approx(-9582.429).epsilon(1e-6));
}

TEST_CASE("fitting BG/NBD on the CDNOW calibration data finds the published parameters") {
  const auto customers = cdnow::calibrationSummaries();
  const auto fit = fitBgNbd(customers);
  REQUIRE(fit);
  MESSAGE("BG/NBD fit r=" << fit->params.r << " alpha=" << fit->params.alpha
                          << " a=" << fit->params.a << " b=" << fit->params.b
                          << " LL=" << fit->log_likelihood << " evals=" << fit->evaluations);
  CHECK(fit->params.r == doctest::Approx(0.243).epsilon(0.0025));
  CHECK(fit->params.alpha == doctest::Approx(4.414).epsilon(0.0025));
  CHECK(fit->params.a == doctest::Approx(0.793).epsilon(0.0025));
  CHECK(fit->params.b == doctest::Approx(2.426).epsilon(0.0025));
  CHECK(fit->log_likelihood == doctest::Approx(-9582.429).epsilon(1e-7));
  CHECK(fit->log_likelihood >= bgNbdLogLikelihood(kClvTools, customers) - 1e-6);
}

TEST_CASE("the BG/NBD fit refuses empty or malformed input") {
  CHECK_FALSE(fitBgNbd({}));
  const std::vector<BtydSummary> bad{{.x = 1, .t_x = 5, .T = 3}};
  const auto refused = fitBgNbd(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("conditional expected purchases match Hardie's spreadsheet") {
  const BtydSummary customer{.x = 2, .t_x = 30.43, .T = 38.86};
  CHECK(bgNbdConditionalExpectedPurchases(kPaper, 39, customer) ==
        doctest::Approx(1.226).epsilon(0.001 / 1.226));
  CHECK(bgNbdConditionalExpectedPurchases(kClvTools, 39, customer) ==
        doctest::Approx(1.2259).epsilon(0.0001 / 1.2259));
  CHECK(bgNbdConditionalExpectedPurchases(kClvTools, 0, customer) == 0.0);
}

TEST_CASE("unconditional expected purchases match Hardie's spreadsheet") {
  struct Row {
    double t, want;
  };
  const Row rows[] = {{0.1429, 0.0078},  {1, 0.0532},  {3, 0.1506},
                      {31.8571, 1.0405}, {32, 1.0437}, {78, 1.8580}};
  for (const Row& row : rows) {
    CAPTURE(row.t);
    CHECK(std::fabs(bgNbdExpectedPurchases(kClvTools, row.t) - row.want) < 0.00051);
  }
}

TEST_CASE("P(X(t) = n) matches R BTYD (at the paper's rounded parameters)") {
  CHECK(bgNbdProbabilityOfPurchases(kPaper, 2, 10) == doctest::Approx(1.07869e-07).epsilon(1e-4));
  CHECK(bgNbdProbabilityOfPurchases(kPaper, 39, 0) == doctest::Approx(0.5737864).epsilon(1e-6));
  const double want[] = {0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                         0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260};
  for (int n = 11; n <= 20; ++n) {
    CAPTURE(n);
    CHECK(bgNbdProbabilityOfPurchases(kPaper, 30, n) ==
          doctest::Approx(want[n - 11]).epsilon(1e-6));
  }
  double total = 0;
  for (int n = 0; n < 2000; ++n) total += bgNbdProbabilityOfPurchases(kClvTools, 30, n);
  CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("P(alive) is 1 without repeat purchases and 0.7266 for (2, 30.43, 38.86)") {
  CHECK(bgNbdProbabilityAlive(kClvTools, {.x = 0, .t_x = 1, .T = 1}) == 1.0);
  CHECK(bgNbdProbabilityAlive(kClvTools, {.x = 2, .t_x = 30.43, .T = 38.86}) ==
        doctest::Approx(0.7266).epsilon(0.00005 / 0.7266));
  for (const auto& s : cdnow::calibrationSummaries()) {
    const double p = bgNbdProbabilityAlive(kClvTools, s);
    REQUIRE(p >= 0.0);
    REQUIRE(p <= 1.0);
  }
  // A frequent buyer long silent is almost surely gone, without overflow.
  const double gone = bgNbdProbabilityAlive(kClvTools, {.x = 400, .t_x = 1, .T = 500});
  CHECK(gone >= 0.0);
  CHECK(gone < 1e-12);
}

TEST_CASE("expected holdout purchases sum to 1653.4 over the cohort") {
  double total = 0;
  for (const auto& s : cdnow::calibrationSummaries()) {
    total += bgNbdConditionalExpectedPurchases(kClvTools, 39, s);
  }
  CHECK(total == doctest::Approx(1653.4).epsilon(0.05 / 1653.4));
}

TEST_CASE("lifetimes' five best customers for next week") {
  // lifetimes' own fit (REFERENCE.md section 3), IDs 509, 841, 1981, 157, 1516.
  const BgNbdParams lifetimes{0.242593, 4.413532, 0.792886, 2.425752};
  struct Row {
    BtydSummary s;
    double want;
  };
  const Row rows[] = {{{18, 35.14, 35.86}, 0.424877},
                      {{19, 34.00, 34.14}, 0.474738},
                      {{17, 28.43, 28.86}, 0.486526},
                      {{29, 37.71, 38.00}, 0.662396},
                      {{26, 30.86, 31.00}, 0.710623}};
  for (const Row& row : rows) {
    CAPTURE(row.want);
    CHECK(bgNbdConditionalExpectedPurchases(lifetimes, 1, row.s) ==
          doctest::Approx(row.want).epsilon(2e-3));
  }
}

TEST_CASE("expectations stay finite for heavy buyers and long horizons") {
  const BtydSummary heavy{.x = 300, .t_x = 700, .T = 730};
  const double e = bgNbdConditionalExpectedPurchases({0.8, 30.0, 0.5, 3.0}, 3650, heavy);
  CHECK(std::isfinite(e));
  CHECK(e > 0.0);
  CHECK(bgNbdConditionalExpectedPurchases({0.8, 30.0, 1.0, 3.0}, 30, heavy) > 0.0);  // a = 1
}
