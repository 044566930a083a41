// Enrollments on SQLite: the engine's Enrollment as JSON (`state`) plus the columns the
// scheduler and reports query (wake_at indexed).
#include "daemon/store/sqlite_repos.h"
#include "daemon/store/sqlite_util.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

std::vector<StoredEnrollment> readEnrollments(SQLite::Statement& q) {
  std::vector<StoredEnrollment> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                   Enrollment::fromJson(json::parse(q.getColumn(2).getString()))});
  }
  q.reset();
  return out;
}

void bindPartition(SQLite::Statement& q, int first, Partition part) {
  q.bind(first, part.count);
  q.bind(first + 1, part.count);
  q.bind(first + 2, part.index);
}

/// Binds the columns shared by INSERT and UPDATE from index `first` on (10 values).
void bindColumns(SQLite::Statement& q, int first, const Enrollment& e,
                 const std::string& state_json) {
  q.bind(first, e.version);
  q.bind(first + 1, enrollmentStatusName(e.status));
  q.bind(first + 2, e.step_id);
  bindOptionalTime(q, first + 3, e.wake_at);
  q.bind(first + 4, e.listening() ? 1 : 0);
  bindOptionalTime(q, first + 5, e.finished_at);
  bindOptionalTime(q, first + 6, e.converted_at);
  if (e.finished()) {
    q.bind(first + 7, exitReasonName(e.exit_reason));
  } else {
    q.bind(first + 7);
  }
  if (e.variants.empty()) {
    q.bind(first + 8, "{}");
  } else {
    q.bind(first + 8, json(e.variants).dump());
  }
  if (state_json.empty()) {
    q.bind(first + 9, e.toJson().dump());
  } else {
    q.bind(first + 9, state_json);
  }
}

}  // namespace

std::vector<StoredEnrollment> SqliteEnrollments::listening(CustomerId id) const {
  auto& q = db_.prepare(
      "SELECT id, customer_id, state FROM enrollments INDEXED BY enrollments_by_customer "
      "WHERE customer_id = ? AND listening = 1 ORDER BY id");
  q.bind(1, id);
  return readEnrollments(q);
}

bool SqliteEnrollments::anyListening(CustomerId id) const {
  auto& q = db_.prepare(
      "SELECT 1 FROM enrollments INDEXED BY enrollments_by_customer WHERE customer_id = ? AND "
      "listening = 1 LIMIT 1");
  q.bind(1, id);
  const bool any = q.executeStep();
  q.reset();
  return any;
}

std::vector<PastEnrollment> SqliteEnrollments::history(CustomerId id,
                                                       const std::string& journey_id) const {
  auto& q = db_.prepare(
      "SELECT key, entered_at, finished_at IS NULL FROM enrollments WHERE customer_id = ? AND "
      "journey_id = ?");
  q.bind(1, id);
  q.bind(2, journey_id);
  std::vector<PastEnrollment> past;
  while (q.executeStep()) {
    past.push_back(
        {q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt() != 0});
  }
  q.reset();
  return past;
}

std::vector<StoredEnrollment> SqliteEnrollments::due(TimeMs now, Partition part, int limit) const {
  auto& q = db_.prepare(
      "SELECT id, customer_id, state FROM enrollments WHERE wake_at <= ? AND (? <= 1 OR "
      "customer_id % ? = ?) "
      "AND journey_id NOT IN (SELECT journey_id FROM journey_state WHERE paused = 1) ORDER BY "
      "wake_at LIMIT ?");
  q.bind(1, now);
  bindPartition(q, 2, part);
  q.bind(5, limit);
  return readEnrollments(q);
}

std::optional<TimeMs> SqliteEnrollments::nextWake(Partition part) const {
  auto& q = db_.prepare(
      "SELECT wake_at FROM enrollments WHERE wake_at IS NOT NULL AND (? <= 1 OR customer_id % ? = "
      "?) "
      "AND journey_id NOT IN (SELECT journey_id FROM journey_state WHERE paused = 1) ORDER BY "
      "wake_at LIMIT 1");
  bindPartition(q, 1, part);
  std::optional<TimeMs> next;
  if (q.executeStep()) next = q.getColumn(0).getInt64();
  q.reset();
  return next;
}

std::vector<StoredEnrollment> SqliteEnrollments::onOtherVersion(const std::string& journey_id,
                                                                const std::string& version) const {
  auto& q = db_.prepare(
      "SELECT id, customer_id, state FROM enrollments WHERE journey_id = ? AND finished_at IS NULL "
      "AND version != ?");
  q.bind(1, journey_id);
  q.bind(2, version);
  return readEnrollments(q);
}

std::vector<StoredEnrollment> SqliteEnrollments::ofCustomer(CustomerId id) const {
  auto& q = db_.prepare(
      "SELECT id, customer_id, state FROM enrollments WHERE customer_id = ? ORDER BY id");
  q.bind(1, id);
  return readEnrollments(q);
}

std::vector<std::string> SqliteEnrollments::journeyIds() const {
  auto& q = db_.prepare("SELECT DISTINCT journey_id FROM enrollments ORDER BY journey_id");
  std::vector<std::string> ids;
  while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
  q.reset();
  return ids;
}

std::int64_t SqliteEnrollments::insert(CustomerId id, const Enrollment& e,
                                       const std::string& state_json) {
  auto& ins = db_.prepare(
      "INSERT INTO enrollments (journey_id, customer_id, key, entered_at, version, status, "
      "step_id, wake_at, "
      "listening, finished_at, converted_at, exit_reason, variant, state) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, e.journey_id);
  ins.bind(2, id);
  ins.bind(3, e.key);
  ins.bind(4, e.entered_at);
  bindColumns(ins, 5, e, state_json);
  ins.exec();
  return db_.sql().getLastInsertRowid();
}

void SqliteEnrollments::update(std::int64_t enrollment_id, const Enrollment& e,
                               const std::string& state_json) {
  auto& up = db_.prepare(
      "UPDATE enrollments SET version = ?, status = ?, step_id = ?, wake_at = ?, listening = ?, "
      "finished_at = ?, "
      "converted_at = ?, exit_reason = ?, variant = ?, state = ? WHERE id = ?");
  bindColumns(up, 1, e, state_json);
  up.bind(11, enrollment_id);
  up.exec();
}

void SqliteEnrollments::remove(std::int64_t enrollment_id) {
  auto& del = db_.prepare("DELETE FROM enrollments WHERE id = ?");
  del.bind(1, enrollment_id);
  del.exec();
}

}  // namespace journeyd
