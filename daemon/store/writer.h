#pragma once
/// The single writer: owns the read-write connection and runs write jobs on its own thread,
/// grouping every job queued meanwhile into one transaction (group commit). A job's future is
/// fulfilled only after its transaction has committed, so a caller that waits on it may
/// acknowledge durably. Each job runs inside a savepoint: a failing job is rolled back alone and
/// the rest of the group still commits. Urgent jobs (someone is waiting to answer a request)
/// go before queued background work and commit in a group of their own.
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/histogram.h"
#include "daemon/core/result.h"
#include "daemon/store/database.h"

namespace journeyd {

class StoreWriter {
 public:
  using Job = std::function<Result<void>(Database&)>;

  /// Takes the connection; `max_group` caps the jobs in one transaction.
  StoreWriter(std::unique_ptr<Database> db, int max_group);
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  /// Queues a job; the future holds its result after the commit. After stop(), fails at once.
  std::future<Result<void>> submit(Job job, bool urgent = false);
  /// submit() and wait.
  Result<void> run(Job job, bool urgent = false) { return submit(std::move(job), urgent).get(); }

  /// Finishes every queued job, commits, and joins the thread. Idempotent.
  void stop();

  /// Jobs committed and transactions made since start (for metrics).
  [[nodiscard]] std::uint64_t jobsCommitted() const { return jobs_committed_.load(); }
  [[nodiscard]] std::uint64_t transactions() const { return transactions_.load(); }
  /// How long each group commit took, BEGIN to COMMIT (committed or not), in seconds.
  [[nodiscard]] HistogramSnapshot commitSeconds() const { return commit_seconds_.snapshot(); }

  /// Empty while writes succeed; after the disk filled up or failed ("disk full: …", "I/O
  /// error: …"), why, until a write succeeds again. While it is set, the writer probes with a
  /// one-row write every second when no other job comes, so it clears once space returns.
  [[nodiscard]] std::string problem() const;

 private:
  struct Pending {
    Job job;
    std::promise<Result<void>> done;
  };
  void loop();
  void runGroup(std::deque<Pending>& group);
  void noteOutcome(const Result<void>& commit, const std::vector<Result<void>>& results);
  [[nodiscard]] bool hasProblem() const;

  std::unique_ptr<Database> db_;
  const int max_group_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;   // background work, first come first served
  std::deque<Pending> urgent_;  // jobs someone waits on to answer, before the background ones
  bool stopping_ = false;
  std::atomic<std::uint64_t> jobs_committed_{0};
  std::atomic<std::uint64_t> transactions_{0};
  mutable std::mutex problem_mutex_;
  std::string problem_;
  Histogram commit_seconds_{latency_buckets::kCommit};
  std::thread thread_;
};

}  // namespace journeyd
