#pragma once
/// GET /metrics: every family the daemon exports, named, described and labelled in one place
/// (the README's Metrics table lists the same), and the cache of the gauges read from the store.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/api/metrics.h"
#include "daemon/core/clock.h"
#include "daemon/store/records.h"

namespace journeyd {

class Store;
class JourneyRuntime;
class Dispatcher;

/// The store's gauges (outbox backlog, overdue wake-ups, enrollments in flight), read at most
/// once per `max_age` of real time: a scrape every second costs one read every few seconds.
/// Thread-safe; a scrape that finds the figures stale reads them, others meanwhile wait.
class LiveFiguresCache {
 public:
  LiveFiguresCache(Store& store, const Clock& clock, std::chrono::milliseconds max_age);
  /// The figures and the Clock time they were read at; nullopt when the store cannot be read.
  [[nodiscard]] std::optional<std::pair<LiveFigures, TimeMs>> get();

 private:
  Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds max_age_;
  std::mutex mutex_;
  std::optional<std::pair<LiveFigures, TimeMs>> figures_;
  std::chrono::steady_clock::time_point read_at_;
};

/// What one page is written from; null parts are left out.
struct MetricsSources {
  const IngestMetrics* ingest = nullptr;
  const Store* store = nullptr;
  JourneyRuntime* runtime = nullptr;
  const Dispatcher* dispatcher = nullptr;
  LiveFiguresCache* live = nullptr;
  bool ready = false;
};

/// The whole page in the Prometheus text format 0.0.4.
[[nodiscard]] std::string metricsPage(const MetricsSources& sources);

}  // namespace journeyd
