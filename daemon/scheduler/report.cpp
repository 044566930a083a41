#include "daemon/scheduler/report.h"

#include <set>

#include <nlohmann/json.hpp>

#include "daemon/core/time.h"

namespace journeyd {

using json = nlohmann::json;

Result<json> journeyReport(Database& db, const std::string& journey_id) {
  return guardSql("journey report", [&]() -> Result<json> {
    json report = {{"journey", journey_id}};
    json statuses = json::object();
    std::int64_t entered = 0;
    auto& s = db.prepare("SELECT status, count(*) FROM enrollments WHERE journey_id = ? GROUP BY status");
    s.bind(1, journey_id);
    while (s.executeStep()) {
      statuses[s.getColumn(0).getString()] = s.getColumn(1).getInt64();
      entered += s.getColumn(1).getInt64();
    }
    s.reset();
    report["entered"] = entered;
    report["by_status"] = statuses;

    json exits = json::object();
    auto& x = db.prepare(
        "SELECT exit_reason, count(*) FROM enrollments WHERE journey_id = ? AND exit_reason IS NOT NULL "
        "GROUP BY exit_reason");
    x.bind(1, journey_id);
    while (x.executeStep()) exits[x.getColumn(0).getString()] = x.getColumn(1).getInt64();
    x.reset();
    report["exits"] = exits;

    auto& c = db.prepare("SELECT count(*) FROM enrollments WHERE journey_id = ? AND converted_at IS NOT NULL");
    c.bind(1, journey_id);
    std::int64_t converted = c.executeStep() ? c.getColumn(0).getInt64() : 0;
    c.reset();
    report["converted"] = converted;
    report["conversion_rate"] = entered ? static_cast<double>(converted) / entered : 0.0;

    json waiting = json::object();
    auto& w = db.prepare(
        "SELECT step_id, count(*) FROM enrollments WHERE journey_id = ? AND finished_at IS NULL GROUP BY step_id");
    w.bind(1, journey_id);
    while (w.executeStep()) waiting[w.getColumn(0).getString()] = w.getColumn(1).getInt64();
    w.reset();
    report["in_flight_by_step"] = waiting;

    json steps = json::object();
    auto& m = db.prepare(
        "SELECT step_id, status, coalesce(reason, ''), count(*) FROM messages WHERE journey_id = ? "
        "GROUP BY step_id, status, reason ORDER BY step_id");
    m.bind(1, journey_id);
    while (m.executeStep()) {
      auto& step = steps[m.getColumn(0).getString()];
      if (step.is_null()) step = json::object();
      std::string status = m.getColumn(1).getString();
      std::int64_t n = m.getColumn(3).getInt64();
      step[status] = step.value(status, 0) + n;
      std::string reason = m.getColumn(2).getString();
      if (!reason.empty() && status != "sent" && status != "pending") step["reasons"][reason] = n;
    }
    m.reset();
    report["messages_by_step"] = steps;
    return report;
  });
}

Result<json> customerJourneys(Database& db, std::int64_t customer_id, int recent_messages) {
  return guardSql("customer journeys", [&]() -> Result<json> {
    json enrollments = json::array();
    auto& e = db.prepare(
        "SELECT id, journey_id, version, key, status, step_id, wake_at, entered_at, finished_at, exit_reason, "
        "converted_at, variant FROM enrollments WHERE customer_id = ? ORDER BY id DESC LIMIT 100");
    e.bind(1, customer_id);
    auto time_or_null = [](const SQLite::Column& col) { return col.isNull() ? json() : json(formatIsoTime(col.getInt64())); };
    while (e.executeStep()) {
      enrollments.push_back({{"id", e.getColumn(0).getInt64()},
                             {"journey", e.getColumn(1).getString()},
                             {"version", e.getColumn(2).getString()},
                             {"key", e.getColumn(3).getString()},
                             {"status", e.getColumn(4).getString()},
                             {"step", e.getColumn(5).getString()},
                             {"wake_at", time_or_null(e.getColumn(6))},
                             {"entered_at", time_or_null(e.getColumn(7))},
                             {"finished_at", time_or_null(e.getColumn(8))},
                             {"exit_reason", e.getColumn(9).isNull() ? json() : json(e.getColumn(9).getString())},
                             {"converted_at", time_or_null(e.getColumn(10))},
                             {"variants", json::parse(e.getColumn(11).getString(), nullptr, false)}});
    }
    e.reset();
    json messages = json::array();
    auto& m = db.prepare(
        "SELECT id, idempotency_key, journey_id, step_id, channel, template, recipient, status, attempts, "
        "created_at, sent_at, reason FROM messages WHERE customer_id = ? ORDER BY id DESC LIMIT ?");
    m.bind(1, customer_id);
    m.bind(2, recent_messages);
    while (m.executeStep()) {
      messages.push_back({{"id", m.getColumn(0).getInt64()},
                          {"idempotency_key", m.getColumn(1).getString()},
                          {"journey", m.getColumn(2).getString()},
                          {"step", m.getColumn(3).getString()},
                          {"channel", m.getColumn(4).getString()},
                          {"template", m.getColumn(5).getString()},
                          {"to", m.getColumn(6).isNull() ? json() : json(m.getColumn(6).getString())},
                          {"status", m.getColumn(7).getString()},
                          {"attempts", m.getColumn(8).getInt64()},
                          {"created_at", time_or_null(m.getColumn(9))},
                          {"sent_at", time_or_null(m.getColumn(10))},
                          {"reason", m.getColumn(11).isNull() ? json() : json(m.getColumn(11).getString())}});
    }
    m.reset();
    json segments = json::object();
    auto& s = db.prepare("SELECT segment, entered_at FROM segment_membership WHERE customer_id = ? ORDER BY segment");
    s.bind(1, customer_id);
    while (s.executeStep()) segments[s.getColumn(0).getString()] = formatIsoTime(s.getColumn(1).getInt64());
    s.reset();
    return json{{"enrollments", enrollments}, {"messages", messages}, {"segments", segments}};
  });
}

Result<json> segmentReport(Database& db) {
  return guardSql("segment report", [&]() -> Result<json> {
    json sizes = json::object();
    auto& q = db.prepare("SELECT segment, count(*) FROM segment_membership GROUP BY segment ORDER BY segment");
    while (q.executeStep()) sizes[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    q.reset();
    json changes = json::object();
    auto& h = db.prepare("SELECT segment, change, count(*) FROM segment_history GROUP BY segment, change");
    while (h.executeStep()) changes[h.getColumn(0).getString()][h.getColumn(1).getString()] = h.getColumn(2).getInt64();
    h.reset();
    json moves = json::array();
    auto& m = db.prepare(
        "SELECT a.segment, b.segment, count(*) FROM segment_history a JOIN segment_history b "
        "ON a.customer_id = b.customer_id AND a.at = b.at AND a.change = 'exited' AND b.change = 'entered' "
        "GROUP BY a.segment, b.segment ORDER BY count(*) DESC");
    while (m.executeStep()) {
      moves.push_back({{"from", m.getColumn(0).getString()}, {"to", m.getColumn(1).getString()},
                       {"customers", m.getColumn(2).getInt64()}});
    }
    m.reset();
    return json{{"sizes", sizes}, {"changes", changes}, {"moves", moves}};
  });
}

std::string formatSegmentReport(const json& r) {
  std::string out = "segments (members now, entered / exited since the start)\n";
  std::set<std::string> names;
  for (auto& [name, _] : r["sizes"].items()) names.insert(name);
  for (auto& [name, _] : r["changes"].items()) names.insert(name);
  for (const auto& name : names) {
    const json& c = r["changes"].contains(name) ? r["changes"][name] : json::object();
    char line[256];
    std::snprintf(line, sizeof line, "  %-20s %8lld   +%lld / -%lld\n", name.c_str(),
                  static_cast<long long>(r["sizes"].value(name, 0)), static_cast<long long>(c.value("entered", 0)),
                  static_cast<long long>(c.value("exited", 0)));
    out += line;
  }
  if (!r["moves"].empty()) {
    out += "moves between segments:\n";
    for (const auto& m : r["moves"]) {
      out += "  " + m["from"].get<std::string>() + " -> " + m["to"].get<std::string>() + ": " + m["customers"].dump() + "\n";
    }
  }
  return out;
}

std::string formatReport(const json& r) {
  std::string out = "journey " + r.value("journey", "") + "\n";
  out += "  entered    " + std::to_string(r.value("entered", 0)) + "\n";
  for (auto& [status, n] : r["by_status"].items()) out += "  " + status + std::string(11 - std::min<size_t>(10, status.size()), ' ') + n.dump() + "\n";
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.1f%%", 100.0 * r.value("conversion_rate", 0.0));
  out += "  converted  " + std::to_string(r.value("converted", 0)) + " (" + rate + ")\n";
  if (!r["exits"].empty()) {
    out += "  exits:\n";
    for (auto& [reason, n] : r["exits"].items()) out += "    " + reason + ": " + n.dump() + "\n";
  }
  if (!r["messages_by_step"].empty()) {
    out += "  messages by step:\n";
    for (auto& [step, counts] : r["messages_by_step"].items()) {
      out += "    " + step + ":";
      for (auto& [k, v] : counts.items()) {
        if (k != "reasons") out += " " + k + "=" + v.dump();
      }
      out += "\n";
      if (counts.contains("reasons")) {
        for (auto& [reason, n] : counts["reasons"].items()) out += "      " + reason + ": " + n.dump() + "\n";
      }
    }
  }
  return out;
}

}  // namespace journeyd
