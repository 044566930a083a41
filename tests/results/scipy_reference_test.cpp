// Our statistics against scipy.stats (Debian's python3-scipy, installed by
// scripts/install-deps.sh): the same tables and samples go to tests/results/scipy_reference.py,
// and every number must agree to 1e-6 relative. A missing scipy fails the test: it is a
// declared dependency, not an optional one.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "daemon/results/distributions.h"
#include "daemon/results/means.h"
#include "daemon/results/proportions.h"

using namespace journeyd;
using nlohmann::json;

namespace {

constexpr double kTolerance = 1e-6;

/// The relative deviation, with values below 1e-300 taken as equal (both underflowed).
double deviation(double ours, double reference) {
  if (ours == reference) return 0.0;
  const double scale = std::max(std::fabs(ours), std::fabs(reference));
  if (scale < 1e-300) return 0.0;
  return std::fabs(ours - reference) / scale;
}

/// The largest deviation seen per kind, printed at the end so the margin is visible.
struct Agreement {
  double worst = 0.0;
  int compared = 0;

  void check(double ours, double reference) {
    const double d = deviation(ours, reference);
    CHECK_MESSAGE(d <= kTolerance, "ours " << ours << " scipy " << reference);
    worst = std::max(worst, d);
    ++compared;
  }
};

/// Runs scipy_reference.py on `cases` and returns its answers; fails the test when it cannot.
json scipyAnswers(const json& cases) {
  const std::filesystem::path input = std::filesystem::temp_directory_path() /
                                      ("jd-scipy-cases-" + std::to_string(::getpid()) + ".json");
  std::ofstream(input) << cases.dump();
  const std::string command = std::string("/usr/bin/python3 ") + JOURNEYD_SOURCE_DIR +
                              "/tests/results/scipy_reference.py " + input.string();
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE_MESSAGE(pipe != nullptr, "cannot run " << command);
  char chunk[4096];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) out.append(chunk, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(input);
  const bool succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  REQUIRE_MESSAGE(succeeded,
                  "scipy_reference.py failed (is python3-scipy installed? scripts/install-deps.sh "
                  "installs it); command: "
                      << command);
  return json::parse(out);
}

/// Per-recipient revenue of one arm: a share converts, spending a log-normal amount.
std::vector<double> revenueSample(std::mt19937_64& random, int n, double conversion,
                                  double log_mean) {
  const auto uniform = [&] { return (static_cast<double>(random() >> 11) + 0.5) * 0x1.0p-53; };
  std::vector<double> values;
  for (int i = 0; i < n; ++i) {
    if (uniform() >= conversion) {
      values.push_back(0.0);
      continue;
    }
    const double normal =
        std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * std::numbers::pi * uniform());
    values.push_back(std::round(100.0 * std::exp(log_mean + 0.8 * normal)) / 100.0);
  }
  return values;
}

MeanSummary summarize(const std::vector<double>& values) {
  MeanSummary s;
  for (double v : values) {
    ++s.n;
    s.sum += v;
    s.sum_of_squares += v * v;
  }
  return s;
}

Proportion row(const json& table, int column) {
  const std::int64_t successes = table[0][column].get<std::int64_t>();
  return {successes, successes + table[1][column].get<std::int64_t>()};
}

}  // namespace

TEST_CASE("our tests, intervals and distributions agree with scipy.stats to 1e-6") {
  json cases;
  // 2×2 tables [[x_a, n_a − x_a], [x_b, n_b − x_b]]: ties, empty cells, lopsided and large.
  cases["fisher"] = json::array({
      {{3, 1}, {1, 3}},
      {{8, 2}, {1, 5}},
      {{0, 5}, {5, 0}},
      {{1, 99}, {10, 90}},
      {{7, 993}, {2, 998}},
      {{12, 3988}, {3, 3997}},
      {{50, 50}, {50, 50}},
      {{2, 7}, {8, 2}},
      {{20, 480}, {5, 495}},
      {{3, 99997}, {11, 99989}},
      {{0, 1000}, {4, 996}},
      {{25, 75}, {10, 90}},
  });
  // 2×k tables: first row conversions, second row non-conversions, one column per arm.
  cases["chi2"] = json::array({
      {{120, 90}, {880, 910}},
      {{762, 327, 468}, {484, 239, 477}},
      {{500, 560, 610, 505}, {9500, 9440, 9390, 9495}},
      {{31, 44, 29, 52, 40}, {969, 956, 971, 948, 960}},
      {{2104, 2230}, {97896, 97770}},
  });
  cases["wilson"] = json::array({{0, 20}, {1, 29}, {15, 148}, {81, 263}, {20, 20}, {4321, 100000}});
  cases["katz"] = json::array(
      {{27, 122, 44, 487}, {189, 11034, 104, 11037}, {1, 10, 3, 9}, {560, 10000, 500, 10000}});
  cases["norm_ppf"] = json::array({0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 1e-10});
  cases["norm_sf"] = json::array({0.0, 1.0, 1.959963984540054, 3.5, 8.0, -2.0});
  cases["t_ppf"] = json::array({{0.975, 1}, {0.975, 9}, {0.975, 17.776}, {0.995, 3.5}, {0.9, 250}});
  cases["t_sf"] = json::array({{1.8608, 17.776}, {2.5, 3.2}, {0.3, 40}, {6.0, 1000}, {-1.0, 5}});
  cases["chi2_sf"] =
      json::array({{3.841458820694124, 1}, {30.07, 2}, {0.5, 4}, {12.0, 3}, {80.0, 9}});
  std::mt19937_64 random(20240501);
  const std::vector<std::vector<double>> samples[] = {
      {revenueSample(random, 400, 0.10, 3.5), revenueSample(random, 380, 0.07, 3.4)},
      {revenueSample(random, 2000, 0.05, 4.0), revenueSample(random, 250, 0.06, 4.0)},
      {revenueSample(random, 60, 0.5, 2.0), revenueSample(random, 45, 0.3, 2.5)},
  };
  cases["welch"] = json::array();
  for (const auto& pair : samples) cases["welch"].push_back({pair[0], pair[1]});

  const json scipy = scipyAnswers(cases);

  Agreement fisher, chi2, ztest, wilson, katz, distributions, welch;
  for (std::size_t i = 0; i < cases["fisher"].size(); ++i) {
    CAPTURE(cases["fisher"][i].dump());
    const json& t = cases["fisher"][i];
    const Proportion a{t[0][0].get<std::int64_t>(),
                       t[0][0].get<std::int64_t>() + t[0][1].get<std::int64_t>()};
    const Proportion b{t[1][0].get<std::int64_t>(),
                       t[1][0].get<std::int64_t>() + t[1][1].get<std::int64_t>()};
    fisher.check(fisherExactTwoSided(a, b), scipy["fisher"][i].get<double>());
  }
  for (std::size_t i = 0; i < cases["chi2"].size(); ++i) {
    CAPTURE(cases["chi2"][i].dump());
    const json& table = cases["chi2"][i];
    std::vector<Proportion> arms;
    for (std::size_t column = 0; column < table[0].size(); ++column) {
      arms.push_back(row(table, static_cast<int>(column)));
    }
    const TestOutcome ours = chiSquareTest(arms);
    chi2.check(ours.statistic, scipy["chi2"][i]["statistic"].get<double>());
    chi2.check(ours.p_value, scipy["chi2"][i]["p"].get<double>());
    CHECK(ours.degrees_of_freedom == scipy["chi2"][i]["df"].get<int>());
    if (arms.size() == 2) {  // the pooled z-test is the uncorrected 2×2 chi-square
      const TestOutcome z = twoProportionZTest(arms[0], arms[1]);
      ztest.check(z.statistic * z.statistic, scipy["chi2"][i]["statistic"].get<double>());
      ztest.check(z.p_value, scipy["chi2"][i]["p"].get<double>());
    }
  }
  for (std::size_t i = 0; i < cases["wilson"].size(); ++i) {
    CAPTURE(cases["wilson"][i].dump());
    const Interval ours = wilsonInterval(
        {cases["wilson"][i][0].get<std::int64_t>(), cases["wilson"][i][1].get<std::int64_t>()});
    wilson.check(ours.low, scipy["wilson"][i][0].get<double>());
    wilson.check(ours.high, scipy["wilson"][i][1].get<double>());
  }
  for (std::size_t i = 0; i < cases["katz"].size(); ++i) {
    CAPTURE(cases["katz"][i].dump());
    const json& k = cases["katz"][i];
    const Interval ours = katzRatioInterval({k[0].get<std::int64_t>(), k[1].get<std::int64_t>()},
                                            {k[2].get<std::int64_t>(), k[3].get<std::int64_t>()});
    katz.check(ours.low, scipy["katz"][i][0].get<double>());
    katz.check(ours.high, scipy["katz"][i][1].get<double>());
  }
  for (std::size_t i = 0; i < cases["norm_ppf"].size(); ++i) {
    distributions.check(normalQuantile(cases["norm_ppf"][i].get<double>()),
                        scipy["norm_ppf"][i].get<double>());
  }
  for (std::size_t i = 0; i < cases["norm_sf"].size(); ++i) {
    distributions.check(normalUpperTail(cases["norm_sf"][i].get<double>()),
                        scipy["norm_sf"][i].get<double>());
  }
  for (std::size_t i = 0; i < cases["t_ppf"].size(); ++i) {
    const json& c = cases["t_ppf"][i];
    distributions.check(studentTQuantile(c[0].get<double>(), c[1].get<double>()),
                        scipy["t_ppf"][i].get<double>());
  }
  for (std::size_t i = 0; i < cases["t_sf"].size(); ++i) {
    const json& c = cases["t_sf"][i];
    distributions.check(studentTUpperTail(c[0].get<double>(), c[1].get<double>()),
                        scipy["t_sf"][i].get<double>());
  }
  for (std::size_t i = 0; i < cases["chi2_sf"].size(); ++i) {
    const json& c = cases["chi2_sf"][i];
    distributions.check(chiSquaredUpperTail(c[0].get<double>(), c[1].get<double>()),
                        scipy["chi2_sf"][i].get<double>());
  }
  for (std::size_t i = 0; i < std::size(samples); ++i) {
    CAPTURE(i);
    const MeanContrast ours = welchCompare(summarize(samples[i][0]), summarize(samples[i][1]));
    const json& reference = scipy["welch"][i];
    welch.check(ours.statistic, reference["t"].get<double>());
    welch.check(ours.p_value, reference["p"].get<double>());
    welch.check(ours.degrees_of_freedom, reference["df"].get<double>());
    welch.check(ours.difference_interval.low, reference["low"].get<double>());
    welch.check(ours.difference_interval.high, reference["high"].get<double>());
  }

  // Every kind was compared (an empty answer list would otherwise pass silently).
  CHECK(fisher.compared == 12);
  CHECK(chi2.compared == 10);
  CHECK(ztest.compared == 4);
  CHECK(wilson.compared == 12);
  CHECK(katz.compared == 8);
  CHECK(distributions.compared == 28);
  CHECK(welch.compared == 15);
  MESSAGE("largest relative deviation from scipy: fisher "
          << fisher.worst << ", chi2 " << chi2.worst << ", z " << ztest.worst << ", wilson "
          << wilson.worst << ", katz " << katz.worst << ", distributions " << distributions.worst
          << ", welch " << welch.worst);
}
