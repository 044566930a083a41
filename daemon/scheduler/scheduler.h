#pragma once
/// The durable scheduler: one thread that wakes enrollments whose wake-up is due, in batches,
/// each batch one writer job (so the step transitions and the messages they queue commit
/// together). Due times come from the indexed `wake_at` column; between batches the thread
/// sleeps until the next due time, a notify(), or a bounded poll interval (the clock may be
/// virtual and move without telling anyone).
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "daemon/core/clock.h"

namespace journeyd {

class StoreWriter;
class JourneyRunner;

struct SchedulerOptions {
  int batch = 2000;                  ///< enrollments advanced per transaction
  DurationMs max_sleep_ms = 1000;    ///< longest sleep between checks
  std::function<void(int advanced)> on_batch;  ///< after each committed batch (e.g. wake the dispatcher)
  DurationMs journey_log_retention_ms = 180 * kDayMs;  ///< journey log lines older than this are pruned
};

class Scheduler {
 public:
  Scheduler(StoreWriter& writer, JourneyRunner& runner, const Clock& clock, SchedulerOptions options);
  ~Scheduler();

  void start();
  /// Something may be due earlier than the scheduler thinks (new enrollment, resume, clock move).
  void notify();
  /// Finishes the batch in progress and joins.
  void stop();

  [[nodiscard]] std::uint64_t wakeups() const { return wakeups_.load(); }

 private:
  void loop();

  StoreWriter& writer_;
  JourneyRunner& runner_;
  const Clock& clock_;
  SchedulerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool notified_ = false;
  std::atomic<std::uint64_t> wakeups_{0};
  std::thread thread_;
};

}  // namespace journeyd
