#include "daemon/scheduler/report.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/core/time.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

/// The kind of a skip reason, without the particulars (times, other messages, addresses), so
/// the report counts like with like: "capped: at most 3 email per 1w", "quiet hours", …
std::string reasonClass(const std::string& reason) {
  if (reason.rfind("invalid address", 0) == 0) return "invalid address";
  std::string out = reason.substr(0, reason.find(", "));
  if (auto deferred = out.find(": deferred to"); deferred != std::string::npos) out.resize(deferred);
  return out;
}

}  // namespace

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
      std::string reason = reasonClass(m.getColumn(2).getString());
      if (!reason.empty() && status != "sent" && status != "pending") {
        json& reasons = step["reasons"];
        reasons[reason] = (reasons.is_object() ? reasons.value(reason, 0) : 0) + n;
      }
    }
    m.reset();
    report["messages_by_step"] = steps;

    // A/B results: per split (and the journey's control group), entrants and conversions per
    // variant, and each variant's lift over the control when there is one.
    json splits = json::object();
    auto& v = db.prepare("SELECT variant, converted_at IS NOT NULL FROM enrollments WHERE journey_id = ?");
    v.bind(1, journey_id);
    while (v.executeStep()) {
      const json chosen = json::parse(v.getColumn(0).getString(), nullptr, false);
      if (!chosen.is_object()) continue;
      const bool conv = v.getColumn(1).getInt() != 0;
      for (const auto& [split, variant] : chosen.items()) {
        if (!variant.is_string()) continue;
        json& cell = splits[split][variant.get<std::string>()];
        if (cell.is_null()) cell = {{"entered", 0}, {"converted", 0}};
        cell["entered"] = cell.value("entered", 0) + 1;
        cell["converted"] = cell.value("converted", 0) + (conv ? 1 : 0);
      }
    }
    v.reset();
    for (auto& [split, variants] : splits.items()) {
      for (auto& [name, cell] : variants.items()) {
        cell["conversion_rate"] = static_cast<double>(cell["converted"].get<int>()) / cell["entered"].get<int>();
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

Result<json> explainCustomer(Database& db, std::int64_t customer_id, const std::string& journey_id) {
  return guardSql("explain", [&]() -> Result<json> {
    struct Line {
      TimeMs at;
      std::int64_t order;
      std::string step, text;
    };
    std::map<std::string, std::vector<Line>> by_journey;
    // The newest 10,000 lines (sorted back into time order below).
    auto& q = journey_id.empty()
                  ? db.prepare("SELECT journey_id, at, id, coalesce(step_id, ''), text FROM journey_log "
                               "WHERE customer_id = ? ORDER BY at DESC, id DESC LIMIT 10000")
                  : db.prepare("SELECT journey_id, at, id, coalesce(step_id, ''), text FROM journey_log "
                               "WHERE customer_id = ? AND journey_id = ? ORDER BY at DESC, id DESC LIMIT 10000");
    q.bind(1, customer_id);
    if (!journey_id.empty()) q.bind(2, journey_id);
    while (q.executeStep()) {
      by_journey[q.getColumn(0).getString()].push_back(
          {q.getColumn(1).getInt64(), q.getColumn(2).getInt64(), q.getColumn(3).getString(), q.getColumn(4).getString()});
    }
    q.reset();
    // What the outbox did with each message after the decision (sent, failed, still waiting).
    auto& m = db.prepare(
        "SELECT journey_id, step_id, channel, template, status, sent_at, next_attempt_at, reason, attempts, "
        "(SELECT max(at) FROM message_attempts a WHERE a.message_id = messages.id), created_at "
        "FROM messages WHERE customer_id = ? AND status IN ('sent', 'failed', 'dead', 'pending') "
        "ORDER BY id LIMIT 10000");
    m.bind(1, customer_id);
    while (m.executeStep()) {
      const std::string journey = m.isColumnNull(0) ? "" : m.getColumn(0).getString();
      if (!journey_id.empty() && journey != journey_id) continue;
      const std::string what = "message " + m.getColumn(2).getString() + " " + m.getColumn(3).getString();
      const std::string status = m.getColumn(4).getString();
      const int attempts = m.getColumn(8).getInt();
      const std::string tries = attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : "";
      Line line{m.getColumn(10).getInt64(), std::numeric_limits<std::int64_t>::max(), m.getColumn(1).getString(), ""};
      if (status == "sent") {
        line.at = m.getColumn(5).getInt64();
        line.text = what + " sent" + tries;
      } else if (status == "pending") {
        line.at = m.isColumnNull(6) ? line.at : m.getColumn(6).getInt64();
        line.text = what + " waiting in the outbox until " + formatIsoTime(line.at) +
                    (attempts ? " (" + std::to_string(attempts) + " attempts so far)" : "");
      } else {
        if (!m.isColumnNull(9)) line.at = m.getColumn(9).getInt64();
        line.text = what + " " + status + tries + ": " + (m.isColumnNull(7) ? "" : m.getColumn(7).getString());
      }
      by_journey[journey].push_back(std::move(line));
    }
    m.reset();
    json journeys = json::array();
    for (auto& [journey, lines] : by_journey) {
      std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
        return a.at != b.at ? a.at < b.at : a.order < b.order;
      });
      json out = json::array();
      for (const auto& l : lines) out.push_back({{"time", formatIsoTime(l.at)}, {"step", l.step}, {"text", l.text}});
      journeys.push_back({{"journey", journey}, {"lines", std::move(out)}});
    }
    return json{{"customer_id", customer_id}, {"journeys", std::move(journeys)}};
  });
}

std::string formatExplanation(const json& e) {
  std::string out;
  if (e["journeys"].empty()) return "nothing recorded for this customer in any journey\n";
  for (const auto& j : e["journeys"]) {
    out += "journey " + j["journey"].get<std::string>() + "\n";
    for (const auto& l : j["lines"]) {
      const std::string step = l["step"].get<std::string>();
      out += "  " + l["time"].get<std::string>() + "  " + (step.empty() ? "-" : step) + "  " +
             l["text"].get<std::string>() + "\n";
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
  if (r.contains("variants") && !r["variants"].empty()) {
    out += "  variants (entered, converted, rate, lift over control):\n";
    for (auto& [split, variants] : r["variants"].items()) {
      out += "    " + split + ":\n";
      for (auto& [name, cell] : variants.items()) {
        char line[256];
        std::snprintf(line, sizeof line, "      %-12s %6d %6d %6.1f%%", name.c_str(), cell.value("entered", 0),
                      cell.value("converted", 0), 100.0 * cell.value("conversion_rate", 0.0));
        out += line;
        if (cell.contains("lift") && cell["lift"].is_number()) {
          std::snprintf(line, sizeof line, "  %+.1f%%", 100.0 * cell["lift"].get<double>());
          out += line;
        }
        out += "\n";
      }
    }
  }
  return out;
}

}  // namespace journeyd
