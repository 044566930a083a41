#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/store/database.h"
#include "daemon/store/sqlite_store.h"

using namespace journeyd;

TEST_CASE("expired journey log lines are pruned in bounded slices, newer ones stay") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("journeyd-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto store = openSqliteStore({(dir / "journeyd.db").string()});
    REQUIRE(store);
    auto check = Database::open({(dir / "journeyd.db").string()});
    REQUIRE(check);
    REQUIRE((*store)->write([](Tx& tx) -> Result<void> {
      for (int i = 0; i < 30; ++i)
        tx.journeyLog().append({7, "win-back", 1, i * kDayMs, "", "line " + std::to_string(i)});
      return ok();
    }));
    auto count = [&] {
      return (*check)->sql().execAndGet("SELECT count(*) FROM journey_log").getInt();
    };
    auto prune = [&](int limit) {
      int n = 0;
      REQUIRE((*store)->write([&](Tx& tx) -> Result<void> {
        n = tx.journeyLog().prune(20 * kDayMs, limit);
        return ok();
      }));
      return n;
    };
    // Older than day 20: 20 lines, taken 8 at a time.
    CHECK(prune(8) == 8);
    CHECK(count() == 22);
    while (prune(8) > 0) {
    }
    CHECK(count() == 10);
    CHECK((*check)->sql().execAndGet("SELECT min(at) FROM journey_log").getInt64() == 20 * kDayMs);
  }
  std::filesystem::remove_all(dir);
}
