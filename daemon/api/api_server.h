#pragma once
/// The HTTP API: Segment-compatible ingestion, the admin API, health and metrics.
/// Handlers run on cpp-httplib's worker threads; writes go through the StoreWriter (acknowledged
/// after their group commit), reads through the ReaderPool.
#include <functional>
#include <memory>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/clock.h"
#include "daemon/core/result.h"

namespace journeyd {

class StoreWriter;
class ReaderPool;
class CustomerWriter;
class JourneyRunner;
class ManualClock;
class UnsubscribeSigner;
struct IngestMetrics;

struct ApiDeps {
  StoreWriter* writer = nullptr;
  ReaderPool* readers = nullptr;
  CustomerWriter* customers = nullptr;  ///< used only inside writer jobs
  IngestMetrics* metrics = nullptr;
  const Clock* clock = nullptr;
  std::function<bool()> ready;  ///< readiness beyond "store open" (journeys loaded, ...)
  JourneyRunner* runner = nullptr;        ///< journeys react to ingested data (optional)
  std::function<void()> on_change;        ///< after a commit that may have queued work
  ManualClock* virtual_clock = nullptr;   ///< set only with `serve --virtual-clock` (tests, demos)
  std::function<std::string()> extra_metrics;  ///< more Prometheus text from other parts
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace journeyd
