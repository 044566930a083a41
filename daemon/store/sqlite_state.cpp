// The smaller repositories on SQLite: suppressions, the journey log, schedules, journey state and
// settings, fitted models, segment membership, and the work inbox.
#include <cmath>
#include <cstdlib>

#include "daemon/store/sqlite_repos.h"
#include "daemon/store/sqlite_util.h"

namespace journeyd {

using json = nlohmann::json;

// ---- suppressions ----

std::optional<std::string> SqliteSuppressions::reason(ChannelKind channel,
                                                      const std::string& address) const {
  auto& q = db_.prepare("SELECT reason FROM suppressions WHERE channel = ? AND address = ?");
  q.bind(1, channelKindName(channel));
  q.bind(2, address);
  std::optional<std::string> why;
  if (q.executeStep()) why = q.getColumn(0).getString();
  q.reset();
  return why;
}

std::vector<SuppressionRecord> SqliteSuppressions::list(int limit) const {
  auto& q =
      db_.prepare("SELECT channel, address, reason, at FROM suppressions ORDER BY at DESC LIMIT ?");
  q.bind(1, limit);
  std::vector<SuppressionRecord> out;
  while (q.executeStep()) {
    out.push_back({parseChannelKind(q.getColumn(0).getString()).value_or(ChannelKind::kEmail),
                   q.getColumn(1).getString(), q.getColumn(2).getString(),
                   q.getColumn(3).getInt64()});
  }
  q.reset();
  return out;
}

void SqliteSuppressions::add(const SuppressionRecord& s, bool replace) {
  auto& q = replace ? db_.prepare(
                          "INSERT OR REPLACE INTO suppressions (channel, address, reason, at) "
                          "VALUES (?, ?, ?, ?)")
                    : db_.prepare(
                          "INSERT OR IGNORE INTO suppressions (channel, address, reason, at) "
                          "VALUES (?, ?, ?, ?)");
  q.bind(1, channelKindName(s.channel));
  q.bind(2, s.address);
  q.bind(3, s.reason);
  q.bind(4, s.at);
  q.exec();
}

bool SqliteSuppressions::remove(ChannelKind channel, const std::string& address) {
  auto& q = db_.prepare("DELETE FROM suppressions WHERE channel = ? AND address = ?");
  q.bind(1, channelKindName(channel));
  q.bind(2, address);
  return q.exec() > 0;
}

// ---- journey log ----

std::vector<JourneyLogLine> SqliteJourneyLog::lines(CustomerId id, const std::string& journey_id,
                                                    int limit) const {
  auto& q = journey_id.empty()
                ? db_.prepare(
                      "SELECT journey_id, enrollment_id, at, coalesce(step_id, ''), text, id, "
                      "lines FROM journey_log "
                      "WHERE customer_id = ? ORDER BY at DESC, id DESC LIMIT ?")
                : db_.prepare(
                      "SELECT journey_id, enrollment_id, at, coalesce(step_id, ''), text, id, "
                      "lines FROM journey_log "
                      "WHERE customer_id = ? AND journey_id = ? ORDER BY at DESC, id DESC LIMIT ?");
  q.bind(1, id);
  int n = 2;
  if (!journey_id.empty()) q.bind(n++, journey_id);
  q.bind(n, limit);
  std::vector<JourneyLogLine> out;
  while (q.executeStep()) {
    JourneyLogLine row{id,
                       q.getColumn(0).getString(),
                       q.isColumnNull(1) ? 0 : q.getColumn(1).getInt64(),
                       q.getColumn(2).getInt64(),
                       q.getColumn(3).getString(),
                       q.getColumn(4).getString(),
                       q.getColumn(5).getInt64()};
    const json many = jsonColumn(q, 6);
    if (!many.is_array()) {
      out.push_back(std::move(row));
      continue;
    }
    // Newest first, as the single rows come: a row's lines in reverse.
    for (auto it = many.rbegin(); it != many.rend(); ++it) {
      if (!it->is_array() || it->size() != 3) continue;
      JourneyLogLine line = row;
      line.at = (*it)[0].get<TimeMs>();
      line.step_id = (*it)[1].get<std::string>();
      line.text = (*it)[2].get<std::string>();
      out.push_back(std::move(line));
    }
  }
  q.reset();
  return out;
}

std::string encodeLogLines(const std::vector<JourneyLogLine>& lines) {
  json many = json::array();
  for (const auto& l : lines) many.push_back({l.at, l.step_id, l.text});
  return many.dump();
}

void SqliteJourneyLog::append(const std::vector<JourneyLogLine>& lines,
                              const std::string& encoded) {
  if (lines.empty()) return;
  if (lines.size() == 1) return append(lines.front());
  const JourneyLogLine& first = lines.front();
  auto& ins = db_.prepare(
      "INSERT INTO journey_log (customer_id, journey_id, enrollment_id, at, step_id, text, lines) "
      "VALUES (?, ?, ?, ?, ?, '', ?)");
  ins.bind(1, first.customer_id);
  ins.bind(2, first.journey_id);
  if (first.enrollment_id) {
    ins.bind(3, first.enrollment_id);
  } else {
    ins.bind(3);
  }
  ins.bind(4, first.at);
  bindText(ins, 5, first.step_id);
  ins.bind(6, encoded.empty() ? encodeLogLines(lines) : encoded);
  ins.exec();
}

void SqliteJourneyLog::append(const JourneyLogLine& line) {
  auto& ins = db_.prepare(
      "INSERT INTO journey_log (customer_id, journey_id, enrollment_id, at, step_id, text) VALUES "
      "(?, ?, ?, ?, ?, ?)");
  ins.bind(1, line.customer_id);
  ins.bind(2, line.journey_id);
  if (line.enrollment_id) {
    ins.bind(3, line.enrollment_id);
  } else {
    ins.bind(3);
  }
  ins.bind(4, line.at);
  bindText(ins, 5, line.step_id);
  ins.bind(6, line.text);
  ins.exec();
}

int SqliteJourneyLog::prune(TimeMs before, int limit) {
  // The oldest rows come first by id (rows are written as time goes); among them, those older
  // than `before` go. A line written late for an earlier moment waits for the next slices.
  auto& q = db_.prepare(
      "DELETE FROM journey_log WHERE id IN (SELECT id FROM (SELECT id, at FROM journey_log ORDER "
      "BY id LIMIT ?) "
      "WHERE at < ?)");
  q.bind(1, limit);
  q.bind(2, before);
  return q.exec();
}

// ---- schedules ----

std::vector<ScheduledEntry> SqliteSchedules::due(TimeMs now, Partition part, int limit) const {
  auto& q = db_.prepare(
      "SELECT journey_id, customer_id, due_at, cursor FROM scheduled_entries WHERE due_at <= ? "
      "AND (? <= 1 OR customer_id % ? = ?) AND journey_id NOT IN "
      "(SELECT journey_id FROM journey_state WHERE paused = 1) ORDER BY due_at LIMIT ?");
  q.bind(1, now);
  q.bind(2, part.count);
  q.bind(3, part.count);
  q.bind(4, part.index);
  q.bind(5, limit);
  std::vector<ScheduledEntry> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                   q.getColumn(3).getInt64()});
  }
  q.reset();
  return out;
}

std::optional<TimeMs> SqliteSchedules::nextDue() const {
  auto& q = db_.prepare(
      "SELECT min(due_at) FROM scheduled_entries WHERE journey_id NOT IN "
      "(SELECT journey_id FROM journey_state WHERE paused = 1)");
  std::optional<TimeMs> next;
  if (q.executeStep()) next = timeColumn(q, 0);
  q.reset();
  return next;
}

void SqliteSchedules::put(const ScheduledEntry& e) {
  auto& q = db_.prepare(
      "INSERT INTO scheduled_entries (journey_id, customer_id, due_at, cursor) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (journey_id, customer_id) DO UPDATE SET due_at = excluded.due_at, cursor = "
      "excluded.cursor");
  q.bind(1, e.journey_id);
  q.bind(2, e.customer_id);
  q.bind(3, e.due_at);
  q.bind(4, e.cursor);
  q.exec();
}

void SqliteSchedules::putIfAbsent(const ScheduledEntry& e) {
  auto& q = db_.prepare(
      "INSERT OR IGNORE INTO scheduled_entries (journey_id, customer_id, due_at, cursor) VALUES "
      "(?, ?, ?, ?)");
  q.bind(1, e.journey_id);
  q.bind(2, e.customer_id);
  q.bind(3, e.due_at);
  q.bind(4, e.cursor);
  q.exec();
}

void SqliteSchedules::remove(const std::string& journey_id, CustomerId customer_id) {
  auto& q = db_.prepare("DELETE FROM scheduled_entries WHERE journey_id = ? AND customer_id = ?");
  q.bind(1, journey_id);
  q.bind(2, customer_id);
  q.exec();
}

// ---- journey state and settings ----

std::set<std::string> SqliteJourneyState::paused() const {
  auto& q = db_.prepare("SELECT journey_id FROM journey_state WHERE paused = 1");
  std::set<std::string> out;
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  q.reset();
  return out;
}

std::optional<std::pair<std::string, std::string>> SqliteJourneyState::version(
    const std::string& journey_id, const std::string& version) const {
  auto& q =
      db_.prepare("SELECT file, source FROM journey_versions WHERE journey_id = ? AND version = ?");
  q.bind(1, journey_id);
  q.bind(2, version);
  std::optional<std::pair<std::string, std::string>> out;
  if (q.executeStep()) out.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
  q.reset();
  return out;
}

std::optional<std::string> SqliteJourneyState::setting(const std::string& name) const {
  auto& q = db_.prepare("SELECT value FROM settings WHERE name = ?");
  q.bind(1, name);
  std::optional<std::string> value;
  if (q.executeStep()) value = q.getColumn(0).getString();
  q.reset();
  return value;
}

void SqliteJourneyState::setPaused(const std::string& journey_id, bool paused, TimeMs now) {
  auto& q = db_.prepare(
      "INSERT INTO journey_state (journey_id, paused, changed_at) VALUES (?, ?, ?) "
      "ON CONFLICT (journey_id) DO UPDATE SET paused = excluded.paused, changed_at = "
      "excluded.changed_at");
  q.bind(1, journey_id);
  q.bind(2, paused ? 1 : 0);
  q.bind(3, now);
  q.exec();
}

void SqliteJourneyState::recordVersion(const std::string& journey_id, const std::string& version,
                                       const std::string& file, const std::string& source,
                                       TimeMs now) {
  auto& q = db_.prepare(
      "INSERT OR IGNORE INTO journey_versions (journey_id, version, file, source, loaded_at) "
      "VALUES (?, ?, ?, ?, ?)");
  q.bind(1, journey_id);
  q.bind(2, version);
  q.bind(3, file);
  q.bind(4, source);
  q.bind(5, now);
  q.exec();
}

void SqliteJourneyState::putSetting(const std::string& name, const std::string& value) {
  auto& q = db_.prepare(
      "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = "
      "excluded.value");
  q.bind(1, name);
  q.bind(2, value);
  q.exec();
}

// ---- models ----

std::optional<std::pair<json, TimeMs>> SqliteModels::load(const std::string& name) const {
  auto& q = db_.prepare("SELECT params, fitted_at FROM model_params WHERE name = ?");
  q.bind(1, name);
  std::optional<std::pair<json, TimeMs>> out;
  if (q.executeStep()) {
    json params = json::parse(q.getColumn(0).getString(), nullptr, false);
    if (params.is_discarded()) {
      q.reset();
      throw StoreError("model_params: the parameters stored as '" + name + "' are not JSON");
    }
    out.emplace(std::move(params), q.getColumn(1).getInt64());
  }
  q.reset();
  return out;
}

void SqliteModels::forEachOrder(const std::vector<std::string>& events,
                                const std::vector<std::string>& revenue_properties, TimeMs as_of,
                                const std::function<void(CustomerId, TimeMs, double)>& fn) const {
  if (events.empty()) return;
  // The amount: the first configured property holding a number (or a numeric string) wins.
  std::string amount = "coalesce(";
  int param = 2 + static_cast<int>(events.size());
  for (std::size_t i = 0; i < revenue_properties.size(); ++i, ++param) {
    const std::string p = "?" + std::to_string(param);
    amount += "CASE WHEN json_type(properties, " + p +
              ") IN ('integer', 'real', 'text') "
              "THEN json_extract(properties, " +
              p + ") END, ";
  }
  amount += "NULL)";
  std::string names;
  for (std::size_t i = 0; i < events.size(); ++i)
    names += (i ? ", ?" : "?") + std::to_string(2 + i);
  const std::string sql = "SELECT customer_id, ts, " + amount +
                          " FROM events WHERE type = 'track' AND name IN (" + names +
                          ") AND ts <= ?1 ORDER BY customer_id, ts";
  SQLite::Statement q(db_.sql(), sql);
  q.bind(1, static_cast<std::int64_t>(as_of));
  int n = 2;
  for (const auto& name : events) q.bind(n++, name);
  for (const auto& property : revenue_properties) {
    std::string path = "$.\"";
    for (char c : property) {
      if (c == '"' || c == '\\') path += '\\';
      path += c;
    }
    q.bind(n++, path + "\"");
  }
  while (q.executeStep()) {
    const SQLite::Column value = q.getColumn(2);
    double amount_value = 0.0;
    if (value.isText()) {
      amount_value = std::strtod(value.getString().c_str(), nullptr);
    } else if (!value.isNull()) {
      amount_value = value.getDouble();
    }
    fn(q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), amount_value);
  }
}

void SqliteModels::save(const std::string& name, const json& params, TimeMs fitted_at) {
  auto& up = db_.prepare(
      "INSERT INTO model_params (name, params, fitted_at) VALUES (?, ?, ?) "
      "ON CONFLICT(name) DO UPDATE SET params = excluded.params, fitted_at = excluded.fitted_at");
  up.bind(1, name);
  up.bind(2, params.dump());
  up.bind(3, fitted_at);
  up.exec();
}

// ---- segments ----

std::vector<CustomerId> SqliteSegments::dueRechecks(TimeMs now, Partition part, int limit) const {
  auto& q = db_.prepare(
      "SELECT id FROM customers WHERE segments_recheck_at <= ? AND (? <= 1 OR id % ? = ?) "
      "ORDER BY segments_recheck_at LIMIT ?");
  q.bind(1, now);
  q.bind(2, part.count);
  q.bind(3, part.count);
  q.bind(4, part.index);
  q.bind(5, limit);
  return readIds(q);
}

std::optional<TimeMs> SqliteSegments::nextRecheck() const {
  auto& q = db_.prepare(
      "SELECT min(segments_recheck_at) FROM customers WHERE segments_recheck_at IS NOT NULL");
  std::optional<TimeMs> next;
  if (q.executeStep()) next = timeColumn(q, 0);
  q.reset();
  return next;
}

json SqliteSegments::report() const {
  json sizes = json::object();
  auto& q = db_.prepare(
      "SELECT segment, count(*) FROM segment_membership GROUP BY segment ORDER BY segment");
  while (q.executeStep()) sizes[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  q.reset();
  json changes = json::object();
  auto& h =
      db_.prepare("SELECT segment, change, count(*) FROM segment_history GROUP BY segment, change");
  while (h.executeStep())
    changes[h.getColumn(0).getString()][h.getColumn(1).getString()] = h.getColumn(2).getInt64();
  h.reset();
  json moves = json::array();
  auto& m = db_.prepare(
      "SELECT a.segment, b.segment, count(*) FROM segment_history a JOIN segment_history b "
      "ON a.customer_id = b.customer_id AND a.at = b.at AND a.change = 'exited' AND b.change = "
      "'entered' "
      "GROUP BY a.segment, b.segment ORDER BY count(*) DESC");
  while (m.executeStep()) {
    moves.push_back({{"from", m.getColumn(0).getString()},
                     {"to", m.getColumn(1).getString()},
                     {"customers", m.getColumn(2).getInt64()}});
  }
  m.reset();
  return json{{"sizes", sizes}, {"changes", changes}, {"moves", moves}};
}

void SqliteSegments::change(CustomerId id, const std::string& segment, bool entered, TimeMs at) {
  if (entered) {
    auto& ins = db_.prepare(
        "INSERT OR REPLACE INTO segment_membership (customer_id, segment, entered_at) VALUES (?, "
        "?, ?)");
    ins.bind(1, id);
    ins.bind(2, segment);
    ins.bind(3, at);
    ins.exec();
  } else {
    auto& del = db_.prepare("DELETE FROM segment_membership WHERE customer_id = ? AND segment = ?");
    del.bind(1, id);
    del.bind(2, segment);
    del.exec();
  }
  auto& h = db_.prepare(
      "INSERT INTO segment_history (customer_id, segment, change, at) VALUES (?, ?, ?, ?)");
  h.bind(1, id);
  h.bind(2, segment);
  h.bind(3, entered ? "entered" : "exited");
  h.bind(4, at);
  h.exec();
}

void SqliteSegments::setRecheck(CustomerId id, std::optional<TimeMs> at) {
  auto& rc = db_.prepare("UPDATE customers SET segments_recheck_at = ? WHERE id = ?");
  bindOptionalTime(rc, 1, at);
  rc.bind(2, id);
  rc.exec();
}

// ---- the work inbox ----

const char* workKindName(WorkKind kind) {
  switch (kind) {
    case WorkKind::kMessage:
      return "message";
    case WorkKind::kBroadcast:
      return "broadcast";
  }
  return "message";
}

std::vector<WorkItem> SqliteInbox::oldest(Partition part, int limit) const {
  auto& q = db_.prepare(
      "SELECT id, customer_id, kind, payload, created_at FROM journey_inbox WHERE (? <= 1 OR "
      "customer_id % ? = ?) "
      "ORDER BY id LIMIT ?");
  q.bind(1, part.count);
  q.bind(2, part.count);
  q.bind(3, part.index);
  q.bind(4, limit);
  std::vector<WorkItem> out;
  while (q.executeStep()) {
    WorkItem w;
    w.id = q.getColumn(0).getInt64();
    w.customer_id = q.getColumn(1).getInt64();
    w.kind = q.getColumn(2).getString() == "broadcast" ? WorkKind::kBroadcast : WorkKind::kMessage;
    w.payload = json::parse(q.getColumn(3).getString(), nullptr, false);
    if (!w.payload.is_object()) w.payload = json::object();
    w.created_at = q.getColumn(4).getInt64();
    out.push_back(std::move(w));
  }
  q.reset();
  return out;
}

std::int64_t SqliteInbox::backlog() const {
  auto& q = db_.prepare("SELECT count(*) FROM journey_inbox");
  const std::int64_t n = q.executeStep() ? q.getColumn(0).getInt64() : 0;
  q.reset();
  return n;
}

void SqliteInbox::push(CustomerId id, WorkKind kind, const json& payload, TimeMs now) {
  auto& ins = db_.prepare(
      "INSERT INTO journey_inbox (customer_id, kind, payload, created_at) VALUES (?, ?, ?, ?)");
  ins.bind(1, id);
  ins.bind(2, workKindName(kind));
  ins.bind(3, payload.dump());
  ins.bind(4, now);
  ins.exec();
}

void SqliteInbox::remove(const std::vector<std::int64_t>& ids) {
  auto& del = db_.prepare("DELETE FROM journey_inbox WHERE id = ?");
  for (auto id : ids) {
    del.bind(1, id);
    del.exec();
    del.reset();
  }
}

}  // namespace journeyd
