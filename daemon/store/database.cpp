#include "daemon/store/database.h"

#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <filesystem>

#include "daemon/store/migrations.h"

namespace journeyd {

namespace {
int openFlags(const DatabaseOptions& o) {
  // Each connection is used by one thread at a time (the writer's, or a pooled reader's), so
  // SQLite's own per-call mutexes (serialized mode) are pure cost: multi-thread mode instead.
  return SQLite::OPEN_NOMUTEX |
         (o.read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE));
}
}  // namespace

Database::Database(const DatabaseOptions& options) : db_(options.path, openFlags(options)) {}

Error sqlError(const SQLite::Exception& e, const char* operation) {
  const int primary = e.getErrorCode() & 0xff;
  const std::string what = std::string(operation) + ": " + e.what();
  if (primary == SQLITE_FULL) return {ErrorCode::kStorage, "disk full: " + what, {}};
  if (primary == SQLITE_IOERR) return {ErrorCode::kStorage, "I/O error: " + what, {}};
  return Error::internal(what);
}

Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& options) {
  return guardSql("open database", [&]() -> Result<std::unique_ptr<Database>> {
    if (options.path != ":memory:" && !options.read_only) {
      auto dir = std::filesystem::path(options.path).parent_path();
      std::error_code ec;
      if (!dir.empty()) std::filesystem::create_directories(dir, ec);
      if (ec) return fail(Error::internal("cannot create " + dir.string() + ": " + ec.message()));
    }
    std::unique_ptr<Database> db(new Database(options));
    auto& sql = db->db_;
    sql.exec("PRAGMA busy_timeout = 5000");
    if (!options.read_only) {
      if (options.path != ":memory:") sql.exec("PRAGMA journal_mode = WAL");
      sql.exec("PRAGMA synchronous = " + options.synchronous);
      sql.exec("PRAGMA foreign_keys = OFF");
      // Checkpoints run on their own connection and thread (StoreWriter), not inside a commit.
      if (options.background_checkpoints) sql.exec("PRAGMA wal_autocheckpoint = 0");
      if (auto r = db->migrate(); !r) return fail(r.error());
    }
    // The writer keeps a large page cache (64 MiB); each pooled reader a small one (8 MiB), so a
    // report that scans a big table does not grow the daemon by the table's size per connection.
    sql.exec(options.read_only ? "PRAGMA cache_size = -8192" : "PRAGMA cache_size = -65536");
    sql.exec("PRAGMA temp_store = MEMORY");
    return db;
  });
}

SQLite::Statement& Database::prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
  } else {
    it->second->reset();
    it->second->clearBindings();
  }
  return *it->second;
}

void Database::resetStatements() {
  for (auto& [_, statement] : statements_) statement->reset();
}

int Database::latestSchemaVersion() { return schemaMigrations().back().version; }

int Database::schemaVersion() { return db_.execAndGet("PRAGMA user_version").getInt(); }

Result<void> Database::migrate() {
  int current = schemaVersion();
  if (current > latestSchemaVersion()) {
    return fail(Error::internal("database schema version " + std::to_string(current) +
                                " is newer than this journeyd (" +
                                std::to_string(latestSchemaVersion()) + "); upgrade journeyd"));
  }
  for (const auto& m : schemaMigrations()) {
    if (m.version <= current) continue;
    SQLite::Transaction tx(db_);
    db_.exec(m.sql);
    db_.exec("PRAGMA user_version = " + std::to_string(m.version));
    tx.commit();
  }
  return ok();
}

}  // namespace journeyd
