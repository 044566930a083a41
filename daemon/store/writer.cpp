#include "daemon/store/writer.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace journeyd {

namespace {

/// Background jobs (planner batches) committed together at most.
constexpr int kBackgroundGroup = 2;

/// While the storage fails, how often an idle writer tries a one-row write to learn whether it
/// works again.
constexpr auto kProbeInterval = std::chrono::seconds(1);

/// The probe: one small row in `settings`, committed like any job, so it needs a free page.
Result<void> probeWrite(Database& db) {
  auto& q = db.prepare(
      "INSERT INTO settings(name, value) VALUES('write_probe', ?) "
      "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
  q.bind(1, static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count()));
  q.exec();
  q.reset();
  return ok();
}

}  // namespace

StoreWriter::StoreWriter(std::unique_ptr<Database> db, int max_group)
    : db_(std::move(db)), max_group_(max_group), thread_([this] { loop(); }) {}

StoreWriter::~StoreWriter() { stop(); }

std::future<Result<void>> StoreWriter::submit(Job job, bool urgent) {
  Pending p{std::move(job), {}};
  auto future = p.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      p.done.set_value(fail(Error::unavailable("the store is shutting down")));
      return future;
    }
    (urgent ? urgent_ : queue_).push_back(std::move(p));
  }
  wake_.notify_one();
  return future;
}

void StoreWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void StoreWriter::loop() {
  std::deque<Pending> group;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto has_work = [&] { return stopping_ || !queue_.empty() || !urgent_.empty(); };
      if (hasProblem()) {
        // The storage failed: when nothing else comes within a second, a probe finds out
        // whether it works again (space freed, the device back).
        if (!wake_.wait_for(lock, kProbeInterval, has_work)) {
          Pending probe{probeWrite, {}};
          group.push_back(std::move(probe));
        }
      } else {
        wake_.wait(lock, has_work);
      }
      if (group.empty() && queue_.empty() && urgent_.empty() && stopping_) return;
      // Urgent jobs first, committed by themselves so their callers answer without waiting for
      // the background work queued before them.
      // Background work commits in small groups, so an urgent job arriving meanwhile waits
      // for little.
      auto& from = urgent_.empty() ? queue_ : urgent_;
      const int limit = urgent_.empty() ? kBackgroundGroup : max_group_;
      while (!from.empty() && static_cast<int>(group.size()) < limit) {
        group.push_back(std::move(from.front()));
        from.pop_front();
      }
    }
    runGroup(group);
    group.clear();
  }
}

void StoreWriter::runGroup(std::deque<Pending>& group) {
  auto& sql = db_->sql();
  // A measurement, not a decision: real elapsed time whatever Clock the daemon runs on.
  const auto started = std::chrono::steady_clock::now();
  std::vector<Result<void>> results;
  results.reserve(group.size());
  Result<void> commit = guardSql("begin transaction", [&]() -> Result<void> {
    db_->execCached("BEGIN IMMEDIATE");
    return ok();
  });
  if (commit) {
    for (auto& p : group) {
      Result<void> r = guardSql("savepoint", [&]() -> Result<void> {
        db_->execCached("SAVEPOINT job");
        return ok();
      });
      if (r) {
        r = guardSql("write", [&] { return p.job(*db_); });
        auto end = guardSql("release savepoint", [&]() -> Result<void> {
          if (!r) db_->execCached("ROLLBACK TO job");
          db_->execCached("RELEASE job");
          return ok();
        });
        if (!end) r = end;
      }
      results.push_back(std::move(r));
    }
    commit = guardSql("commit", [&]() -> Result<void> {
      db_->execCached("COMMIT");
      return ok();
    });
    if (!commit) {
      try {
        sql.exec("ROLLBACK");
      } catch (...) {
      }
    }
  }
  commit_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (commit) {
    jobs_committed_ += group.size();
    ++transactions_;
  }
  noteOutcome(commit, results);
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done.set_value(commit ? std::move(results[i]) : commit);
  }
}

void StoreWriter::noteOutcome(const Result<void>& commit,
                              const std::vector<Result<void>>& results) {
  std::string problem;
  if (!commit && commit.error().storage()) problem = commit.error().message;
  for (const auto& r : results) {
    if (problem.empty() && !r && r.error().storage()) problem = r.error().message;
  }
  if (problem.empty() && !commit) return;  // failed for another reason: says nothing about the disk
  std::lock_guard lock(problem_mutex_);
  if (problem.empty() && !problem_.empty()) {
    spdlog::warn("msg=\"the store writes again\" was=\"{}\"", problem_);
  } else if (!problem.empty() && problem_.empty()) {
    spdlog::error(
        "msg=\"the store cannot write; ingestion answers 503, planning and sending pause\" "
        "error=\"{}\"",
        problem);
  }
  problem_ = std::move(problem);
}

bool StoreWriter::hasProblem() const {
  std::lock_guard lock(problem_mutex_);
  return !problem_.empty();
}

std::string StoreWriter::problem() const {
  std::lock_guard lock(problem_mutex_);
  return problem_;
}

}  // namespace journeyd
