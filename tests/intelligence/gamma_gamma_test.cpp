#include "daemon/intelligence/gamma_gamma.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tests/intelligence/cdnow_data.h"

using namespace journeyd;

namespace {
const GammaGammaParams kPaper{6.25, 3.74, 15.44};
}  // namespace

TEST_CASE("the Gamma-Gamma log-likelihood at the published parameters is -4055.92") {
  const auto customers = cdnow::calibrationSummaries();
  CHECK(gammaGammaLogLikelihood(kPaper, customers) == doctest::Approx(-4055.9177).epsilon(2e-6));
}

TEST_CASE("fitting Gamma-Gamma on the 946 repeat customers finds the published parameters") {
  const auto fit = fitGammaGamma(cdnow::calibrationSummaries());
  REQUIRE(fit);
  MESSAGE("Gamma-Gamma fit p=" << fit->params.p << " q=" << fit->params.q
                               << " gamma=" << fit->params.gamma << " LL=" << fit->log_likelihood
                               << " evals=" << fit->evaluations);
  CHECK(fit->customers == 946);
  CHECK(fit->params.p == doctest::Approx(6.25).epsilon(0.005 / 6.25));
  CHECK(fit->params.q == doctest::Approx(3.74).epsilon(0.005 / 3.74));
  CHECK(fit->params.gamma == doctest::Approx(15.44).epsilon(0.01 / 15.44));
  CHECK(fit->log_likelihood == doctest::Approx(-4055.9177).epsilon(1e-6));
}

TEST_CASE("expected spend per purchase matches Hardie's spreadsheet and lifetimes") {
  struct Row {
    int id;
    double x, mean_spend, hardie, lifetimes;
  };
  // Hardie's sheet (rounded parameters; x = 0 gives pγ/(q−1) = 35.22) and lifetimes'
  // Quickstart figures, which come from an unrounded fit like ours.
  const Row rows[] = {{1, 2, 22.35, 24.65, 24.658619}, {2, 1, 11.77, 18.91, 18.911489},
                      {3, 0, 0, 35.22, 35.170981},     {6, 7, 73.74, 71.46, 71.462843},
                      {7, 1, 11.77, 18.91, 18.911489}, {9, 2, 25.55, 27.28, 27.282408}};
  const auto fit = fitGammaGamma(cdnow::calibrationSummaries());
  REQUIRE(fit);
  for (const Row& row : rows) {
    CAPTURE(row.id);
    CHECK(std::fabs(gammaGammaExpectedSpend(kPaper, row.x, row.mean_spend) - row.hardie) < 0.015);
    CHECK(std::fabs(gammaGammaExpectedSpend(fit->params, row.x, row.mean_spend) - row.lifetimes) <
          0.005);
  }
  CHECK(gammaGammaExpectedSpend({1.0, 0.5, 10.0}, 0, 0) == std::numeric_limits<double>::infinity());
}

TEST_CASE("mean expected spend over all 2,357 customers is 35.25") {
  const auto customers = cdnow::calibrationSummaries();
  const auto fit = fitGammaGamma(customers);
  REQUIRE(fit);
  double total = 0;
  for (const auto& s : customers) total += gammaGammaExpectedSpend(fit->params, s.x, s.monetary);
  CHECK(total / customers.size() == doctest::Approx(35.2529588256).epsilon(0.005 / 35.25));
}

TEST_CASE("the Gamma-Gamma fit refuses data without repeat spend") {
  const std::vector<BtydSummary> none{{.x = 0, .t_x = 0, .T = 3}};
  CHECK_FALSE(fitGammaGamma(none));
}
