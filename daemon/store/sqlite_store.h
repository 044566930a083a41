#pragma once
/// The embedded store: one SQLite database in WAL mode, one writer thread committing jobs in
/// groups, read-only connections lent as snapshots. The default backend.
#include <memory>
#include <string>

#include "daemon/store/store.h"

namespace journeyd {

struct SqliteStoreOptions {
  std::string path;                    ///< the database file (its folder is created)
  std::string synchronous = "normal";  ///< off | normal | full (SQLite PRAGMA synchronous)
  int group_commit_max = 2000;         ///< most jobs in one transaction
};

/// Opens (creating and migrating) the database and starts the writer thread.
Result<std::unique_ptr<Store>> openSqliteStore(const SqliteStoreOptions& options);

/// Opens the database read-only for one command (`report`, `explain` while the daemon runs):
/// a Store whose snapshots read it and whose writes fail.
Result<std::unique_ptr<Store>> openSqliteStoreReadOnly(const std::string& path);

}  // namespace journeyd
