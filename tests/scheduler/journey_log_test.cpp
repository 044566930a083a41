#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "daemon/scheduler/journey_runner.h"

using namespace journeyd;

TEST_CASE("expired journey log lines are pruned in bounded slices, newer ones stay") {
  const auto dir = std::filesystem::temp_directory_path() / ("journeyd-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto db = Database::open({(dir / "journeyd.db").string()});
    REQUIRE(db);
    for (int i = 0; i < 30; ++i) {
      JourneyRunner::log(**db, 7, "win-back", 1, /*at=*/i * kDayMs, "", "line " + std::to_string(i));
    }
    auto count = [&] { return (*db)->sql().execAndGet("SELECT count(*) FROM journey_log").getInt(); };
    // Older than day 20: 20 lines, taken 8 at a time.
    auto n = JourneyRunner::pruneJourneyLog(**db, 20 * kDayMs, 8);
    REQUIRE(n);
    CHECK(*n == 8);
    CHECK(count() == 22);
    while (*JourneyRunner::pruneJourneyLog(**db, 20 * kDayMs, 8) > 0) {
    }
    CHECK(count() == 10);
    CHECK((*db)->sql().execAndGet("SELECT min(at) FROM journey_log").getInt64() == 20 * kDayMs);
  }
  std::filesystem::remove_all(dir);
}
