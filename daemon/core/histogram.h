#pragma once
/// A histogram with fixed bucket bounds, for latencies exported to Prometheus. Recording is a
/// few relaxed atomic additions (no lock, no allocation), so hot paths may record every event;
/// any thread may record or take a snapshot at any time.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace journeyd {

/// A histogram's state at one moment, cumulative as Prometheus wants it.
struct HistogramSnapshot {
  std::vector<double> bounds;             ///< upper bounds, ascending (+Inf implied)
  std::vector<std::uint64_t> cumulative;  ///< observations <= each bound, then the total (+Inf)
  double sum = 0;                         ///< sum of the observed values
  [[nodiscard]] std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
};

class Histogram {
 public:
  /// `bounds`: ascending upper bounds of the buckets; a last bucket (+Inf) is added.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  /// Counts `value` in the first bucket whose bound is >= value.
  void observe(double value);
  [[nodiscard]] HistogramSnapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative; bounds_.size() + 1
  std::atomic<double> sum_{0};
};

/// Bucket bounds in seconds for the latencies the daemon measures.
namespace latency_buckets {
/// A message from when it was due to when a channel accepted it (ms for a webhook, hours when
/// it waited out a rate limit or retries).
inline const std::vector<double> kDelivery = {0.05, 0.1, 0.25, 0.5, 1,   2.5,  5,
                                              10,   30,  60,   300, 900, 3600, 21600};
/// One call into a connector (an HTTP request, an SMTP session).
inline const std::vector<double> kConnector = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10,  30};
/// One group commit of the store's writer.
inline const std::vector<double> kCommit = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1,    2.5};
}  // namespace latency_buckets

}  // namespace journeyd
