#include "daemon/core/histogram.h"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace journeyd;

TEST_CASE("a histogram counts each value in the first bucket whose bound is at least the value") {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 3.0, 10.0, 11.0, 1e9}) h.observe(v);
  const HistogramSnapshot s = h.snapshot();
  REQUIRE(s.bounds == std::vector<double>{0.1, 1, 10});
  // Cumulative, with the +Inf bucket last equal to the count.
  CHECK(s.cumulative == std::vector<std::uint64_t>{2, 4, 6, 8});
  CHECK(s.count() == 8);
  CHECK(s.sum == doctest::Approx(0.05 + 0.1 + 0.5 + 1.0 + 3.0 + 10.0 + 11.0 + 1e9));
}

TEST_CASE("an empty histogram has every bucket at zero") {
  const HistogramSnapshot s = Histogram(latency_buckets::kCommit).snapshot();
  CHECK(s.cumulative.size() == latency_buckets::kCommit.size() + 1);
  CHECK(s.count() == 0);
  CHECK(s.sum == 0);
}

TEST_CASE("threads recording at once lose no observation") {
  Histogram h({1, 2});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.observe(t % 2 == 0 ? 0.5 : 1.5);
    });
  }
  for (auto& t : threads) t.join();
  const HistogramSnapshot s = h.snapshot();
  CHECK(s.cumulative == std::vector<std::uint64_t>{20000, 40000, 40000});
  CHECK(s.sum == doctest::Approx(20000 * 0.5 + 20000 * 1.5));
}
