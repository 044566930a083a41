#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "daemon/store/database.h"
#include "daemon/store/migrations.h"
#include "daemon/store/writer.h"

using namespace journeyd;

namespace {
std::string tempDbPath(const char* name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("journeyd-store-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return path.string();
}
}  // namespace

TEST_CASE("opening a new database applies every migration, and reopening applies none") {
  auto path = tempDbPath("migrate.db");
  {
    auto db = Database::open({path});
    REQUIRE(db);
    CHECK((*db)->schemaVersion() == Database::latestSchemaVersion());
    CHECK((*db)->sql().tableExists("customers"));
    CHECK((*db)->sql().tableExists("identities"));
    CHECK((*db)->sql().tableExists("events"));
    (*db)->sql().exec("INSERT INTO customers (created_at, updated_at) VALUES (1, 1)");
  }
  auto again = Database::open({path});
  REQUIRE(again);
  CHECK((*again)->sql().execAndGet("SELECT count(*) FROM customers").getInt() == 1);
  CHECK((*again)->sql().execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("a database from a newer journeyd is refused, not damaged") {
  auto path = tempDbPath("newer.db");
  {
    auto db = Database::open({path});
    REQUIRE(db);
    (*db)->sql().exec("PRAGMA user_version = 999");
  }
  auto db = Database::open({path});
  REQUIRE_FALSE(db);
  CHECK(db.error().message.find("newer") != std::string::npos);
}

TEST_CASE("the writer groups queued jobs into one transaction and isolates a failing job") {
  auto db = Database::open({tempDbPath("writer.db")});
  REQUIRE(db);
  StoreWriter writer(std::move(*db), 1000);
  // Hold the writer busy so the next jobs queue up and commit together.
  std::promise<void> release, started;
  auto gate = release.get_future().share();
  auto first = writer.submit([gate, &started](Database&) -> Result<void> {
    started.set_value();
    gate.wait();
    return ok();
  });
  started.get_future().wait();
  std::vector<std::future<Result<void>>> jobs;
  for (int i = 0; i < 10; ++i) {
    jobs.push_back(writer.submit(
        [i](Database& d) -> Result<void> {
          auto& q = d.prepare("INSERT INTO customers (created_at, updated_at) VALUES (?, ?)");
          q.bind(1, i);
          q.bind(2, i);
          q.exec();
          if (i == 4) return fail(Error::invalid("job 4 refuses"));
          return ok();
        },
        /*urgent=*/true));
  }
  release.set_value();
  CHECK(first.get().has_value());
  for (int i = 0; i < 10; ++i) {
    auto r = jobs[i].get();
    CHECK(r.has_value() == (i != 4));
  }
  CHECK(writer.transactions() == 2);  // the gate's group, then the ten urgent jobs together
  auto count = writer.run([](Database& d) -> Result<void> {
    CHECK(d.sql().execAndGet("SELECT count(*) FROM customers").getInt() == 9);
    CHECK(d.sql().execAndGet("SELECT count(*) FROM customers WHERE created_at = 4").getInt() == 0);
    return ok();
  });
  CHECK(count.has_value());
  writer.stop();
  auto after = writer.run([](Database&) -> Result<void> { return ok(); });
  REQUIRE_FALSE(after.has_value());
  CHECK(after.error().retryable());
}
