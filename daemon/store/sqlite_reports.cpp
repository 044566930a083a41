// Read models on SQLite for reports and the admin API. Aggregates are computed by SQL (GROUP BY
// over indexed columns), never by reading every row into memory.
#include <map>

#include "daemon/store/sqlite_repos.h"
#include "daemon/store/sqlite_util.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

/// The kind of a skip reason, without the particulars (times, other messages, addresses), so
/// the report counts like with like: "capped: at most 3 email per 1w", "quiet hours", …
std::string reasonClass(const std::string& reason) {
  if (reason.rfind("invalid address", 0) == 0) return "invalid address";
  std::string out = reason.substr(0, reason.find(", "));
  if (auto deferred = out.find(": deferred to"); deferred != std::string::npos)
    out.resize(deferred);
  return out;
}

}  // namespace

json SqliteReports::enrollmentCounts(const std::string& journey_id) const {
  json counts = json::object();
  auto& q =
      db_.prepare("SELECT status, count(*) FROM enrollments WHERE journey_id = ? GROUP BY status");
  q.bind(1, journey_id);
  while (q.executeStep()) counts[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  q.reset();
  return counts;
}

json SqliteReports::journey(const std::string& journey_id) const {
  json report = {{"journey", journey_id}};
  json statuses = enrollmentCounts(journey_id);
  std::int64_t entered = 0;
  for (const auto& [_, n] : statuses.items()) entered += n.get<std::int64_t>();
  report["entered"] = entered;
  report["by_status"] = statuses;

  json exits = json::object();
  auto& x = db_.prepare(
      "SELECT exit_reason, count(*) FROM enrollments WHERE journey_id = ? AND exit_reason IS NOT "
      "NULL "
      "GROUP BY exit_reason");
  x.bind(1, journey_id);
  while (x.executeStep()) exits[x.getColumn(0).getString()] = x.getColumn(1).getInt64();
  x.reset();
  report["exits"] = exits;

  auto& c = db_.prepare(
      "SELECT count(*) FROM enrollments WHERE journey_id = ? AND converted_at IS NOT NULL");
  c.bind(1, journey_id);
  const std::int64_t converted = c.executeStep() ? c.getColumn(0).getInt64() : 0;
  c.reset();
  report["converted"] = converted;
  report["conversion_rate"] =
      entered ? static_cast<double>(converted) / static_cast<double>(entered) : 0.0;

  json waiting = json::object();
  auto& w = db_.prepare(
      "SELECT step_id, count(*) FROM enrollments WHERE journey_id = ? AND finished_at IS NULL "
      "GROUP BY step_id");
  w.bind(1, journey_id);
  while (w.executeStep()) waiting[w.getColumn(0).getString()] = w.getColumn(1).getInt64();
  w.reset();
  report["in_flight_by_step"] = waiting;

  json steps = json::object();
  auto& m = db_.prepare(
      "SELECT step_id, status, coalesce(reason, ''), count(*) FROM messages WHERE journey_id = ? "
      "GROUP BY step_id, status, reason ORDER BY step_id");
  m.bind(1, journey_id);
  while (m.executeStep()) {
    auto& step = steps[textColumn(m, 0)];
    if (step.is_null()) step = json::object();
    const std::string status = m.getColumn(1).getString();
    const std::int64_t n = m.getColumn(3).getInt64();
    step[status] = step.value(status, 0) + n;
    const std::string reason = reasonClass(m.getColumn(2).getString());
    if (!reason.empty() && status != "sent" && status != "pending") {
      json& reasons = step["reasons"];
      reasons[reason] = (reasons.is_object() ? reasons.value(reason, 0) : 0) + n;
    }
  }
  m.reset();
  report["messages_by_step"] = steps;

  // A/B results: per split (and the journey's control group), entrants and conversions per
  // variant, grouped by SQL over the distinct assignments.
  json splits = json::object();
  auto& v = db_.prepare(
      "SELECT variant, count(*), count(converted_at) FROM enrollments WHERE journey_id = ? "
      "AND variant IS NOT NULL AND variant != '{}' GROUP BY variant");
  v.bind(1, journey_id);
  while (v.executeStep()) {
    const json chosen = json::parse(v.getColumn(0).getString(), nullptr, false);
    if (!chosen.is_object()) continue;
    const std::int64_t n = v.getColumn(1).getInt64(), conv = v.getColumn(2).getInt64();
    for (const auto& [split, variant] : chosen.items()) {
      if (!variant.is_string()) continue;
      json& cell = splits[split][variant.get<std::string>()];
      if (cell.is_null()) cell = {{"entered", 0}, {"converted", 0}};
      cell["entered"] = cell["entered"].get<std::int64_t>() + n;
      cell["converted"] = cell["converted"].get<std::int64_t>() + conv;
    }
  }
  v.reset();
  for (auto& [split, variants] : splits.items()) {
    for (auto& [name, cell] : variants.items()) {
      cell["conversion_rate"] = static_cast<double>(cell["converted"].get<std::int64_t>()) /
                                static_cast<double>(cell["entered"].get<std::int64_t>());
    }
    if (!variants.contains("control")) continue;
    const double base = variants["control"]["conversion_rate"].get<double>();
    for (auto& [name, cell] : variants.items()) {
      if (name == "control") continue;
      const double rate = cell["conversion_rate"].get<double>();
      cell["lift"] = base > 0 ? json((rate - base) / base) : json();
    }
  }
  report["variants"] = splits;
  return report;
}

json SqliteReports::customerJourneys(CustomerId id, int recent_messages) const {
  json enrollments = json::array();
  auto& e = db_.prepare(
      "SELECT id, journey_id, version, key, status, step_id, wake_at, entered_at, finished_at, "
      "exit_reason, "
      "converted_at, variant FROM enrollments WHERE customer_id = ? ORDER BY id DESC LIMIT 100");
  e.bind(1, id);
  while (e.executeStep()) {
    enrollments.push_back(
        {{"id", e.getColumn(0).getInt64()},
         {"journey", e.getColumn(1).getString()},
         {"version", e.getColumn(2).getString()},
         {"key", e.getColumn(3).getString()},
         {"status", e.getColumn(4).getString()},
         {"step", textColumn(e, 5)},
         {"wake_at", isoColumn(e, 6)},
         {"entered_at", isoColumn(e, 7)},
         {"finished_at", isoColumn(e, 8)},
         {"exit_reason", e.isColumnNull(9) ? json() : json(e.getColumn(9).getString())},
         {"converted_at", isoColumn(e, 10)},
         {"variants", jsonColumn(e, 11)}});
  }
  e.reset();
  json messages = json::array();
  auto& m = db_.prepare(
      "SELECT id, idempotency_key, journey_id, step_id, channel, template, recipient, status, "
      "attempts, "
      "created_at, sent_at, reason, next_attempt_at, enrollment_key FROM messages WHERE "
      "customer_id = ? "
      "ORDER BY id DESC LIMIT ?");
  m.bind(1, id);
  m.bind(2, recent_messages);
  while (m.executeStep()) {
    json row = {{"id", m.getColumn(0).getInt64()},
                {"idempotency_key", m.getColumn(1).getString()},
                {"journey", textColumn(m, 2)},
                {"step", textColumn(m, 3)},
                {"channel", m.getColumn(4).getString()},
                {"template", m.getColumn(5).getString()},
                {"to", m.isColumnNull(6) ? json() : json(m.getColumn(6).getString())},
                {"status", m.getColumn(7).getString()},
                {"attempts", m.getColumn(8).getInt64()},
                {"created_at", isoColumn(m, 9)},
                {"sent_at", isoColumn(m, 10)},
                {"reason", m.isColumnNull(11) ? json() : json(m.getColumn(11).getString())}};
    if (!m.isColumnNull(12)) row["send_at"] = isoColumn(m, 12);
    if (!m.isColumnNull(13)) row["key"] = m.getColumn(13).getString();
    messages.push_back(std::move(row));
  }
  m.reset();
  json segments = json::object();
  auto& s = db_.prepare(
      "SELECT segment, entered_at FROM segment_membership WHERE customer_id = ? ORDER BY segment");
  s.bind(1, id);
  while (s.executeStep())
    segments[s.getColumn(0).getString()] = formatIsoTime(s.getColumn(1).getInt64());
  s.reset();
  return json{{"enrollments", enrollments}, {"messages", messages}, {"segments", segments}};
}

std::vector<JourneyLogLine> SqliteReports::messageOutcomes(CustomerId id,
                                                           const std::string& journey_id,
                                                           int limit) const {
  // What the outbox did with each message after the decision (sent, failed, still waiting);
  // skipped messages are told by the journey log itself.
  auto& m = db_.prepare(
      "SELECT journey_id, step_id, channel, template, status, sent_at, next_attempt_at, reason, "
      "attempts, "
      "(SELECT max(at) FROM message_attempts a WHERE a.message_id = messages.id), created_at, "
      "enrollment_id "
      "FROM messages WHERE customer_id = ? AND status IN ('sent', 'failed', 'dead', 'pending') "
      "ORDER BY id LIMIT ?");
  m.bind(1, id);
  m.bind(2, limit);
  std::vector<JourneyLogLine> out;
  while (m.executeStep()) {
    const std::string journey = textColumn(m, 0);
    if (!journey_id.empty() && journey != journey_id) continue;
    const std::string what =
        "message " + m.getColumn(2).getString() + " " + m.getColumn(3).getString();
    const std::string status = m.getColumn(4).getString();
    const int attempts = m.getColumn(8).getInt();
    const std::string tries =
        attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : "";
    JourneyLogLine line;
    line.customer_id = id;
    line.journey_id = journey;
    line.enrollment_id = m.isColumnNull(11) ? 0 : m.getColumn(11).getInt64();
    line.step_id = textColumn(m, 1);
    line.at = m.getColumn(10).getInt64();
    if (status == "sent") {
      line.at = m.getColumn(5).getInt64();
      line.text = what + " sent" + tries;
    } else if (status == "pending") {
      line.at = timeColumn(m, 6).value_or(line.at);
      line.text = what + " waiting in the outbox until " + formatIsoTime(line.at) +
                  (attempts ? " (" + std::to_string(attempts) + " attempts so far)" : "");
    } else {
      line.at = timeColumn(m, 9).value_or(line.at);
      line.text = what + " " + status + tries + ": " + textColumn(m, 7);
    }
    out.push_back(std::move(line));
  }
  m.reset();
  return out;
}

}  // namespace journeyd

namespace journeyd {

LiveFigures SqliteReports::liveFigures(TimeMs now) const {
  LiveFigures f;
  // Due rows: a range of the partial index messages_pending, then each row's channel.
  auto& due = db_.prepare(
      "SELECT channel, count(*), min(next_attempt_at) FROM messages "
      "WHERE status = 'pending' AND next_attempt_at <= ? GROUP BY channel ORDER BY channel");
  due.bind(1, now);
  while (due.executeStep()) {
    f.backlog.push_back({due.getColumn(0).getString(), due.getColumn(1).getInt64()});
    const TimeMs oldest = due.getColumn(2).getInt64();
    if (!f.oldest_due_at || oldest < *f.oldest_due_at) f.oldest_due_at = oldest;
  }
  due.reset();
  // Wake-ups past their moment: ranges of enrollments_by_wake, scheduled_entries_by_due and
  // customers_by_segments_recheck. Paused journeys wait on purpose and are left out.
  auto& overdue = db_.prepare(
      "SELECT (SELECT count(*) FROM enrollments WHERE wake_at <= ?1 "
      "        AND journey_id NOT IN (SELECT journey_id FROM journey_state WHERE paused = 1)) "
      "     + (SELECT count(*) FROM scheduled_entries WHERE due_at <= ?1 "
      "        AND journey_id NOT IN (SELECT journey_id FROM journey_state WHERE paused = 1)) "
      "     + (SELECT count(*) FROM customers WHERE segments_recheck_at <= ?1)");
  overdue.bind(1, now);
  if (overdue.executeStep()) f.overdue_wakeups = overdue.getColumn(0).getInt64();
  overdue.reset();
  // Enrollments in flight: the partial index enrollments_one_active holds exactly those.
  auto& active = db_.prepare(
      "SELECT journey_id, count(*) FROM enrollments INDEXED BY enrollments_one_active "
      "WHERE finished_at IS NULL GROUP BY journey_id ORDER BY journey_id");
  while (active.executeStep()) {
    f.active_by_journey.emplace_back(active.getColumn(0).getString(),
                                     active.getColumn(1).getInt64());
  }
  active.reset();
  return f;
}

}  // namespace journeyd
