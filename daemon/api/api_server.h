#pragma once
/// The HTTP API: Segment-compatible ingestion, the admin API, consent pages (unsubscribe links,
/// inbound SMS), health and metrics. Handlers run on cpp-httplib's worker threads: a route
/// parses the request, calls a command of the module that owns the rule, and maps the result.
/// Writes go through the store's group commit (acknowledged after it), reads through snapshots.
#include <functional>
#include <memory>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/clock.h"
#include "daemon/core/result.h"

namespace journeyd {

class Store;
class CustomerWriter;
class JourneyRuntime;
class ManualClock;
class UnsubscribeSigner;
class PrometheusText;
class Dispatcher;
struct IngestMetrics;

struct ApiDeps {
  Store* store = nullptr;
  const CustomerWriter* customers = nullptr;
  IngestMetrics* metrics = nullptr;
  const Clock* clock = nullptr;
  std::function<bool()> ready;        ///< readiness beyond "store open" (journeys loaded, ...)
  JourneyRuntime* runtime = nullptr;  ///< journeys react to ingested data (optional)
  const Dispatcher* dispatcher =
      nullptr;  ///< its per-channel counters and latencies in /metrics (optional)
  std::function<void()> on_change;       ///< after a commit that may have queued work
  ManualClock* virtual_clock = nullptr;  ///< set only with `serve --virtual-clock` (tests, demos)
  std::function<void(PrometheusText&)> extra_metrics;  ///< more metrics from other parts
  const UnsubscribeSigner* unsubscribe = nullptr;  ///< verifies the links of GET/POST /u/{token}
};

class ApiServer {
 public:
  ApiServer(ApiDeps deps, std::shared_ptr<const Config> config);
  ~ApiServer();

  /// Binds the listen address; returns the bound port (useful with port 0), or an error.
  Result<int> bind();
  /// Serves until stop(); blocks the calling thread.
  void serve();
  /// Stops accepting, lets requests in flight finish, and makes serve() return.
  void stop();
  /// Swaps the settings that can change on reload (API keys, metrics auth).
  void reload(std::shared_ptr<const Config> config);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace journeyd
