#include "daemon/store/writer.h"

#include <chrono>

namespace journeyd {

namespace {

/// Background jobs (planner batches) committed together at most.
constexpr int kBackgroundGroup = 2;

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
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !urgent_.empty(); });
      if (queue_.empty() && urgent_.empty() && stopping_) return;
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
  commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (commit) {
    jobs_committed_ += group.size();
    ++transactions_;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done.set_value(commit ? std::move(results[i]) : commit);
  }
}

}  // namespace journeyd
