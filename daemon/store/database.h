#pragma once
/// One SQLite connection (WAL mode) with its prepared statements, and the numbered schema
/// migrations applied when it opens. Not thread-safe: each thread or strand owns its own.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "daemon/core/result.h"

namespace journeyd {

struct DatabaseOptions {
  std::string path;                    ///< file path, or ":memory:" for a private in-memory store
  std::string synchronous = "normal";  ///< off | normal | full (SQLite PRAGMA synchronous)
  bool read_only = false;              ///< readers open read-only and never migrate
  /// The WAL is checkpointed by a background thread instead of by the committing writer.
  bool background_checkpoints = false;
};

class Database {
 public:
  /// Opens (creating the file and its folder if needed) and migrates to the latest schema.
  static Result<std::unique_ptr<Database>> open(const DatabaseOptions& options);

  SQLite::Database& sql() { return db_; }

  /// A statement prepared once per connection and reset for reuse. `sql` must be a string
  /// literal (or otherwise outlive the connection): its address is the cache key, which keeps
  /// the lookup to one pointer hash on the hot path.
  SQLite::Statement& prepare(const char* sql);

  /// Runs a cached statement that returns no rows (BEGIN, COMMIT, SAVEPOINT ...).
  void execCached(const char* sql) { prepare(sql).exec(); }

  /// Resets every cached statement, ending the read transaction an unfinished one keeps open
  /// (a reader that kept one would go on seeing an old snapshot).
  void resetStatements();

  /// The schema version this build migrates to.
  static int latestSchemaVersion();
  int schemaVersion();

 private:
  explicit Database(const DatabaseOptions& options);
  Result<void> migrate();

  SQLite::Database db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

/// An SQLite exception as an Error naming `operation`: ErrorCode::kStorage when the storage
/// itself failed (SQLITE_FULL: "disk full: …"; SQLITE_IOERR: "I/O error: …"), else kInternal.
[[nodiscard]] Error sqlError(const SQLite::Exception& e, const char* operation);

/// Runs `fn` and turns an SQLite exception into a retryable Error naming `operation`; a full
/// disk or an I/O error is told apart (Error::storage()).
template <typename Fn>
auto guardSql(const char* operation, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    return fail(sqlError(e, operation));
  } catch (const std::exception& e) {
    return fail(Error::internal(std::string(operation) + ": " + e.what()));
  }
}

}  // namespace journeyd
