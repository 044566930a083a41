#include "daemon/store/reader_pool.h"

namespace journeyd {

Result<ReaderPool::Lease> ReaderPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(db));
    }
  }
  auto db = Database::open({path_, "normal", /*read_only=*/true});
  if (!db) return fail(db.error());
  return Lease(*this, std::move(*db));
}

void ReaderPool::giveBack(std::unique_ptr<Database> db) {
  db->resetStatements();
  std::lock_guard lock(mutex_);
  if (idle_.size() < 16) idle_.push_back(std::move(db));
}

}  // namespace journeyd
