#include "daemon/scheduler/report.h"

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "daemon/core/time.h"

namespace journeyd {

using json = nlohmann::json;

std::string formatSegmentReport(const json& r) {
  std::string out = "segments (members now, entered / exited since the start)\n";
  std::set<std::string> names;
  for (auto& [name, _] : r["sizes"].items()) names.insert(name);
  for (auto& [name, _] : r["changes"].items()) names.insert(name);
  for (const auto& name : names) {
    const json& c = r["changes"].contains(name) ? r["changes"][name] : json::object();
    char line[256];
    std::snprintf(line, sizeof line, "  %-20s %8lld   +%lld / -%lld\n", name.c_str(),
                  static_cast<long long>(r["sizes"].value(name, 0)),
                  static_cast<long long>(c.value("entered", 0)),
                  static_cast<long long>(c.value("exited", 0)));
    out += line;
  }
  if (!r["moves"].empty()) {
    out += "moves between segments:\n";
    for (const auto& m : r["moves"]) {
      out += "  " + m["from"].get<std::string>() + " -> " + m["to"].get<std::string>() + ": " +
             m["customers"].dump() + "\n";
    }
  }
  return out;
}

json explainCustomer(const Snapshot& snapshot, CustomerId customer_id,
                     const std::string& journey_id) {
  struct Line {
    TimeMs at;
    std::int64_t order;
    std::string step, text;
  };
  std::map<std::string, std::vector<Line>> by_journey;
  // The newest 10,000 lines (sorted back into time order below), then what the outbox did with
  // each message after the decision (sent, failed, still waiting), after the lines of its moment.
  // lines() comes newest first (a transition's lines reversed with it): read backwards, the
  // position is the order of writing.
  const auto logged = snapshot.journeyLog().lines(customer_id, journey_id, 10000);
  std::int64_t order = 0;
  for (auto l = logged.rbegin(); l != logged.rend(); ++l) {
    by_journey[l->journey_id].push_back({l->at, order++, l->step_id, l->text});
  }
  for (const auto& l : snapshot.reports().messageOutcomes(customer_id, journey_id, 10000)) {
    by_journey[l.journey_id].push_back(
        {l.at, std::numeric_limits<std::int64_t>::max(), l.step_id, l.text});
  }
  json journeys = json::array();
  for (auto& [journey, lines] : by_journey) {
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
      return a.at != b.at ? a.at < b.at : a.order < b.order;
    });
    json out = json::array();
    for (const auto& l : lines)
      out.push_back({{"time", formatIsoTime(l.at)}, {"step", l.step}, {"text", l.text}});
    journeys.push_back({{"journey", journey}, {"lines", std::move(out)}});
  }
  return json{{"customer_id", customer_id}, {"journeys", std::move(journeys)}};
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
  for (auto& [status, n] : r["by_status"].items())
    out += "  " + status + std::string(11 - std::min<size_t>(10, status.size()), ' ') + n.dump() +
           "\n";
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
        for (auto& [reason, n] : counts["reasons"].items())
          out += "      " + reason + ": " + n.dump() + "\n";
      }
    }
  }
  if (r.contains("variants") && !r["variants"].empty()) {
    out += "  variants (entered, converted, rate, lift over control):\n";
    for (auto& [split, variants] : r["variants"].items()) {
      out += "    " + split + ":\n";
      for (auto& [name, cell] : variants.items()) {
        char line[256];
        std::snprintf(line, sizeof line, "      %-12s %6d %6d %6.1f%%", name.c_str(),
                      cell.value("entered", 0), cell.value("converted", 0),
                      100.0 * cell.value("conversion_rate", 0.0));
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
