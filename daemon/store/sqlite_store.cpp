#include "daemon/store/sqlite_store.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/store/reader_pool.h"
#include "daemon/store/sqlite_repos.h"
#include "daemon/store/writer.h"

namespace journeyd {

namespace {

/// A snapshot: the repositories over a pooled read-only connection, which goes back to the pool
/// (ending its read transaction) with the lease.
class SqliteSnapshot final : public Snapshot {
 public:
  explicit SqliteSnapshot(ReaderPool::Lease lease) : lease_(std::move(lease)), repos_(*lease_) {}
  const CustomerRepo& customers() const override { return repos_.customers(); }
  const EnrollmentRepo& enrollments() const override { return repos_.enrollments(); }
  const OutboxRepo& outbox() const override { return repos_.outbox(); }
  const SuppressionRepo& suppressions() const override { return repos_.suppressions(); }
  const JourneyLogRepo& journeyLog() const override { return repos_.journeyLog(); }
  const ScheduleRepo& schedules() const override { return repos_.schedules(); }
  const JourneyStateRepo& journeyState() const override { return repos_.journeyState(); }
  const ModelRepo& models() const override { return repos_.models(); }
  const SegmentRepo& segments() const override { return repos_.segments(); }
  const InboxRepo& inbox() const override { return repos_.inbox(); }
  const ReportRepo& reports() const override { return repos_.reports(); }

  /// Starts the read transaction, so every read of the snapshot sees one committed state.
  void begin() { lease_->execCached("BEGIN"); }
  void end() {
    lease_->resetStatements();
    try {
      lease_->execCached("COMMIT");
    } catch (...) {
    }
  }

 private:
  ReaderPool::Lease lease_;
  SqliteTx repos_;
};

/// Copies the WAL back into the database file on its own connection and thread, so commits on
/// the writer never pay for a checkpoint (the writer's automatic checkpoints are off). PASSIVE:
/// it never blocks the writer or readers; what readers still use waits for the next round.
class Checkpointer {
 public:
  explicit Checkpointer(std::unique_ptr<Database> db)
      : db_(std::move(db)), thread_([this] { loop(); }) {}
  ~Checkpointer() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_; })) {
      lock.unlock();
      try {
        db_->sql().exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch (...) {
        // A busy or failing checkpoint is tried again next round; the WAL only grows meanwhile.
      }
      lock.lock();
    }
  }

  std::unique_ptr<Database> db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Database> writer_db, std::unique_ptr<Database> checkpoint_db,
              int group_commit_max, std::string path, bool writable)
      : writable_(writable), path_(path), readers_(std::move(path)) {
    if (writer_db) writer_ = std::make_unique<StoreWriter>(std::move(writer_db), group_commit_max);
    if (checkpoint_db) checkpointer_ = std::make_unique<Checkpointer>(std::move(checkpoint_db));
  }
  ~SqliteStore() override { stop(); }

  std::future<Result<void>> submit(Job job, Priority priority) override {
    if (!writer_) {
      std::promise<Result<void>> p;
      p.set_value(fail(Error::unavailable("the store is open read-only")));
      return p.get_future();
    }
    return writer_->submit(
        [job = std::move(job)](Database& db) {
          SqliteTx tx(db);
          return job(tx);
        },
        priority == Priority::kUrgent);
  }

  Result<SnapshotLease> read() override {
    auto lease = readers_.acquire();
    if (!lease) return fail(lease.error());
    auto snapshot = std::make_unique<SqliteSnapshot>(std::move(*lease));
    auto begun = guardStore("begin read", [&]() -> Result<void> {
      snapshot->begin();
      return ok();
    });
    if (!begun) return fail(begun.error());
    return SnapshotLease(std::move(snapshot), [](std::unique_ptr<Snapshot> s) {
      static_cast<SqliteSnapshot&>(*s).end();
    });
  }

  void stop() override {
    if (writer_) writer_->stop();
    if (checkpointer_) checkpointer_->stop();
  }
  std::uint64_t transactions() const override { return writer_ ? writer_->transactions() : 0; }
  std::uint64_t jobsCommitted() const override { return writer_ ? writer_->jobsCommitted() : 0; }
  HistogramSnapshot commitSeconds() const override {
    return writer_ ? writer_->commitSeconds() : Histogram(latency_buckets::kCommit).snapshot();
  }
  std::string describe() const override { return "sqlite:" + path_; }
  std::string writeProblem() const override { return writer_ ? writer_->problem() : std::string(); }

 private:
  bool writable_;
  std::string path_;
  ReaderPool readers_;
  std::unique_ptr<StoreWriter> writer_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace

Result<std::unique_ptr<Store>> openSqliteStore(const SqliteStoreOptions& options) {
  auto db =
      Database::open({options.path, options.synchronous, false, /*background_checkpoints=*/true});
  if (!db) return fail(db.error());
  auto checkpoints = Database::open({options.path, options.synchronous, false, true});
  if (!checkpoints) return fail(checkpoints.error());
  return std::unique_ptr<Store>(new SqliteStore(std::move(*db), std::move(*checkpoints),
                                                options.group_commit_max, options.path, true));
}

Result<std::unique_ptr<Store>> openSqliteStoreReadOnly(const std::string& path) {
  // Opening once up front says now (not at the first read) when the file is missing or unreadable.
  auto db = Database::open({path, "normal", /*read_only=*/true});
  if (!db) return fail(db.error());
  return std::unique_ptr<Store>(new SqliteStore(nullptr, nullptr, 1, path, false));
}

}  // namespace journeyd
