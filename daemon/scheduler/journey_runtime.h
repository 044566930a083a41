#pragma once
/// The daemon's runtime around the planner.
///
/// Planner threads: each owns a share of the customers (a Partition) and loops: read a
/// snapshot, take what is due for its customers (inbox items, wake-ups, segment re-checks,
/// date-attribute entries; broadcasts on the first thread), group it by customer, plan every
/// customer (rendering included) off the writer, and commit the batch's plans in one store job.
/// The single writer only commits. A plan applies only if the customer's plan revision is
/// unchanged; a refused plan's work stays in place and is planned again.
///
/// Synchronous paths plan one customer at once on the caller's thread (an API entry, the moves
/// of a reload), with the same planner and the same revision check, retried on a conflict.
///
/// Thread-safety: every public method may be called from any thread.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/planner/apply_plan.h"
#include "daemon/planner/planner.h"
#include "daemon/scheduler/runtime_metrics.h"
#include "daemon/store/store.h"

namespace journeyd {

struct RuntimeOptions {
  /// Planner threads, each planning its share of the customers; 0: one per core.
  int planners = 0;
  /// Work items of each kind (inbox items, wake-ups, re-checks, scheduled entries) taken per batch.
  int batch = 500;
  /// Longest sleep when nothing is due (the clock may be virtual and move without a notify()).
  DurationMs max_sleep_ms = 1000;
  /// Customers a broadcast streams into the inbox per batch, and the inbox size above which it
  /// waits for the planners to catch up (a broadcast to millions never materializes at once).
  int broadcast_batch = 5000;
  std::int64_t broadcast_high_water = 50000;
  /// Journey log lines older than this are pruned, a bounded slice at a time.
  DurationMs journey_log_retention_ms = 180 * kDayMs;
  /// Called after a batch committed (e.g. to wake the dispatcher).
  std::function<void()> on_commit;
};

class JourneyRuntime {
 public:
  JourneyRuntime(Store& store, const Clock& clock, RuntimeOptions options);
  ~JourneyRuntime();
  JourneyRuntime(const JourneyRuntime&) = delete;
  JourneyRuntime& operator=(const JourneyRuntime&) = delete;

  /// What plans are made with (catalog, models, policy, links); swapped atomically on reload.
  void setContext(std::shared_ptr<const PlannerContext> context);
  [[nodiscard]] std::shared_ptr<const PlannerContext> context() const;

  /// Inside an ingest job: queues the journey work the applied message causes, in the same
  /// transaction (nothing when no journey or segment can react to it).
  void queueWork(Tx& tx, const AppliedMessage& applied, const InboundMessage& message) const;

  /// Starts the planner threads; stop() finishes the batches in progress and joins. notify():
  /// work may be due earlier than the threads think (new data, a resume, a clock move).
  void start();
  void stop();
  void notify();

  /// Enrolls a customer through the API trigger; the new enrollment's row id. NotFound (no
  /// such journey or customer) or Conflict (not an API journey, paused, the entry rules said no).
  Result<std::int64_t> enroll(const std::string& journey_id, CustomerId customer,
                              const nlohmann::json& data);

  /// After (re)loading the catalog: records each journey version's source, moves customers in
  /// flight as each journey's on_change says (logging per journey and step), and plans the
  /// date-attribute entries of every customer and the next run of every broadcast.
  Result<void> publish(const std::map<std::string, std::string>& sources);

  /// Runs everything due on the calling thread until nothing is left (simulate, tests); how
  /// much work was handled. Not while the threads run.
  Result<std::uint64_t> runUntilIdle();

  /// The earliest moment some work comes due (wake-up, re-check, scheduled entry), if any.
  [[nodiscard]] Result<std::optional<TimeMs>> nextDue();

  [[nodiscard]] RuntimeMetrics& metrics() { return metrics_; }

  /// Loops each planner thread has gone round (it goes round at least every max_sleep_ms, with
  /// or without work): the watchdog pets systemd only while every one of them moves.
  [[nodiscard]] std::vector<std::uint64_t> heartbeats() const;

 private:
  struct Batch;
  void loop(Partition part);
  /// Takes, plans and commits one batch of `part`; how much work it handled and whether more is
  /// due right now. Sets `next` to the next due moment when it found nothing to do.
  Result<std::pair<std::uint64_t, bool>> runBatch(Partition part, std::optional<TimeMs>* next);
  /// Plans `work` on a fresh snapshot and commits it, retrying when another plan got there first.
  Result<std::pair<PlannedCustomer, AppliedPlan>> runNow(const CustomerWork& work);
  Result<void> migrateInFlight();
  Result<void> planSchedules();
  void count(const PlanCounters& c, const std::vector<SkippedMessage>& taken_back);

  Store& store_;
  const Clock& clock_;
  const RuntimeOptions options_;
  mutable std::mutex context_mutex_;
  std::shared_ptr<const PlannerContext> context_;
  RuntimeMetrics metrics_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t notifications_ = 0;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> beats_;  ///< one per planner thread, set by start()
  int beat_count_ = 0;
};

}  // namespace journeyd
