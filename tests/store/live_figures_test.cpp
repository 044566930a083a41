// The store's side of the operators' gauges: what the outbox, the wake-ups and the enrollments
// in flight add up to at a moment, and that every figure is read through an index.
#include <doctest/doctest.h>

#include <filesystem>

#include "daemon/store/database.h"
#include "daemon/store/sqlite_repos.h"
#include "daemon/store/writer.h"

using namespace journeyd;

namespace {

std::unique_ptr<Database> freshDb(const char* name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("journeyd-live-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  auto db = Database::open({path.string()});
  REQUIRE(db);
  return std::move(*db);
}

void message(Database& db, int id, const char* channel, const char* status,
             std::optional<TimeMs> due) {
  auto& q = db.prepare(
      "INSERT INTO messages (id, idempotency_key, customer_id, channel, template, status, "
      "next_attempt_at, created_at) "
      "VALUES (?, ?, 1, ?, 't', ?, ?, 0)");
  q.bind(1, id);
  q.bind(2, "k" + std::to_string(id));
  q.bind(3, channel);
  q.bind(4, status);
  if (due) {
    q.bind(5, *due);
  } else {
    q.bind(5);
  }
  q.exec();
  q.reset();
}

void enrollment(Database& db, const char* journey, int customer, std::optional<TimeMs> wake,
                bool finished) {
  auto& q = db.prepare(
      "INSERT INTO enrollments (journey_id, version, customer_id, status, wake_at, listening, "
      "entered_at, finished_at, "
      "state) VALUES (?, 'v1', ?, ?, ?, 1, 0, ?, '{}')");
  q.bind(1, journey);
  q.bind(2, customer);
  q.bind(3, finished ? "completed" : "waiting");
  if (wake) {
    q.bind(4, *wake);
  } else {
    q.bind(4);
  }
  if (finished) {
    q.bind(5, 5);
  } else {
    q.bind(5);
  }
  q.exec();
  q.reset();
}

std::string queryPlan(Database& db, const std::string& sql) {
  SQLite::Statement q(db.sql(), "EXPLAIN QUERY PLAN " + sql);
  std::string plan;
  while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
  return plan;
}

}  // namespace

TEST_CASE(
    "live figures: due rows by channel, the oldest due, overdue wake-ups and enrollments in "
    "flight") {
  auto db = freshDb("figures.db");
  const TimeMs now = 1000;
  message(*db, 1, "email", "pending", 400);  // due, oldest
  message(*db, 2, "email", "pending", 900);  // due
  message(*db, 3, "sms", "pending", 1000);   // due exactly now
  message(*db, 4, "sms", "pending", 1001);   // not yet due
  message(*db, 5, "email", "sent", 100);     // sent: not backlog
  message(*db, 6, "webhook", "skipped", std::nullopt);
  enrollment(*db, "welcome", 1, 500, false);   // overdue
  enrollment(*db, "welcome", 2, 2000, false);  // waits for later
  enrollment(*db, "welcome", 3, std::nullopt, true);
  enrollment(*db, "paused", 4, 10, false);  // overdue, but its journey is paused
  enrollment(*db, "winback", 5, std::nullopt, false);
  db->sql().exec(
      "INSERT INTO journey_state (journey_id, paused, changed_at) VALUES ('paused', 1, 0)");
  db->sql().exec(
      "INSERT INTO scheduled_entries (journey_id, customer_id, due_at) VALUES ('birthday', 7, "
      "999), "
      "('birthday', 8, 5000), ('paused', 9, 1)");
  db->sql().exec(
      "INSERT INTO customers (id, created_at, updated_at, segments_recheck_at) VALUES (1, 0, 0, "
      "1000), "
      "(2, 0, 0, 1001), (3, 0, 0, NULL)");

  const LiveFigures f = SqliteReports(*db).liveFigures(now);
  REQUIRE(f.backlog.size() == 2);
  CHECK(f.backlog[0].channel == "email");
  CHECK(f.backlog[0].due == 2);
  CHECK(f.backlog[1].channel == "sms");
  CHECK(f.backlog[1].due == 1);
  CHECK(f.oldest_due_at == 400);
  // welcome/1, birthday/7 and customer 1's re-check; nothing of the paused journey.
  CHECK(f.overdue_wakeups == 3);
  using Active = std::vector<std::pair<std::string, std::int64_t>>;
  CHECK(f.active_by_journey == Active{{"paused", 1}, {"welcome", 2}, {"winback", 1}});
}

TEST_CASE("live figures on an empty store are zero, with no oldest due row") {
  auto db = freshDb("empty.db");
  const LiveFigures f = SqliteReports(*db).liveFigures(1000);
  CHECK(f.backlog.empty());
  CHECK_FALSE(f.oldest_due_at);
  CHECK(f.overdue_wakeups == 0);
  CHECK(f.active_by_journey.empty());
}

TEST_CASE(
    "live figures read through indexes: the due rows, the overdue wake-ups, the enrollments in "
    "flight") {
  auto db = freshDb("plan.db");
  const std::string due =
      queryPlan(*db,
                "SELECT channel, count(*), min(next_attempt_at) FROM messages "
                "WHERE status = 'pending' AND next_attempt_at <= 5 GROUP BY channel");
  CHECK(due.find("messages_pending") != std::string::npos);
  const std::string wakes = queryPlan(*db, "SELECT count(*) FROM enrollments WHERE wake_at <= 5");
  CHECK(wakes.find("enrollments_by_wake") != std::string::npos);
  const std::string active =
      queryPlan(*db,
                "SELECT journey_id, count(*) FROM enrollments INDEXED BY enrollments_one_active "
                "WHERE finished_at IS NULL GROUP BY journey_id");
  // The partial index holds exactly the enrollments in flight (each costs one row lookup).
  CHECK(active.find("USING INDEX enrollments_one_active") != std::string::npos);
}

TEST_CASE("the writer times every group commit") {
  StoreWriter writer(freshDb("commits.db"), 10);
  for (int i = 0; i < 3; ++i) REQUIRE(writer.run([](Database&) -> Result<void> { return ok(); }));
  const HistogramSnapshot s = writer.commitSeconds();
  CHECK(s.count() == 3);
  CHECK(s.sum >= 0);
}
