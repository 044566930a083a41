#pragma once
/// Read-only connections for request handlers, so reads never wait on the writer (WAL lets
/// readers see the last committed state while a write is in progress).
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/store/database.h"

namespace journeyd {

class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  /// A connection on loan; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
    ~Lease() {
      if (db_) pool_.giveBack(std::move(db_));
    }
    Lease(Lease&&) = default;
    Database& operator*() { return *db_; }
    Database* operator->() { return db_.get(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Database> db_;
  };

  Result<Lease> acquire();

 private:
  void giveBack(std::unique_ptr<Database> db);

  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace journeyd
