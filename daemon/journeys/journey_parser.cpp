// The top level of a journey file: identity, trigger, entry, goal, exit_when, on_change, key;
// the steps are handed to step_parser.cpp.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "daemon/journeys/yaml_reader.h"

namespace journeyd {

namespace {

const std::vector<std::string> kTopKeys = {
    "journey",     "name",  "description",   "status",         "priority",
    "trigger",     "entry", "goal",          "exit_when",      "on_change",
    "key",         "steps", "category",      "topic",          "send_window",
    "when_capped", "caps",  "control_group", "pending_on_exit"};
const std::vector<std::string> kTriggerKinds = {
    "event", "segment_entered", "segment_exited", "attribute_changed", "date_attribute", "schedule",
    "api"};

const CompileOptions& keyOptions() {
  static const CompileOptions kOptions{{"event"}};
  return kOptions;
}

/// One of `choices`, or an error listing them.
std::optional<size_t> oneOf(YamlReader& r, const YAML::Node& node,
                            const std::vector<std::string>& choices, const char* what) {
  auto text = r.string(node, what);
  if (!text) return std::nullopt;
  auto it = std::find(choices.begin(), choices.end(), *text);
  if (it != choices.end()) return static_cast<size_t>(it - choices.begin());
  std::string message = "unknown " + std::string(what) + " '" + *text + "' (use ";
  for (size_t i = 0; i < choices.size(); ++i)
    message += (i ? i + 1 == choices.size() ? " or " : ", " : "") + choices[i];
  message += ")";
  std::string hint = closestMatch(*text, choices);
  if (!hint.empty())
    message = "unknown " + std::string(what) + " '" + *text + "' (did you mean '" + hint + "'?)";
  r.error(node, message);
  return std::nullopt;
}

void parseTrigger(const YAML::Node& node, YamlReader& r, Journey& j) {
  j.trigger.pos = r.pos(node);
  if (!r.expectMap(node, "trigger")) return;
  std::vector<std::string> allowed = kTriggerKinds;
  allowed.insert(allowed.end(), {"where", "key", "timezone"});
  r.checkKeys(node, allowed, "trigger");
  std::vector<std::string> found;
  for (const auto& k : kTriggerKinds) {
    if (node[k]) found.push_back(k);
  }
  if (found.empty()) {
    r.error(node,
            "trigger needs one of event, segment_entered, segment_exited, attribute_changed, "
            "date_attribute, schedule, api");
    return;
  }
  if (found.size() > 1) {
    r.error(node[found[1]],
            "a journey has one trigger: '" + found[0] + "' and '" + found[1] + "' both given");
  }
  const std::string kind = found[0];
  const YAML::Node v = node[kind];
  j.trigger.pos = r.pos(v);
  if (kind == "event" || kind == "segment_entered" || kind == "segment_exited" ||
      kind == "attribute_changed") {
    j.trigger.kind = kind == "event"             ? TriggerKind::kEvent
                     : kind == "segment_entered" ? TriggerKind::kSegmentEntered
                     : kind == "segment_exited"  ? TriggerKind::kSegmentExited
                                                 : TriggerKind::kAttributeChanged;
    if (auto name = r.string(v, kind)) j.trigger.name = *name;
  } else if (kind == "date_attribute") {
    j.trigger.kind = TriggerKind::kDateAttribute;
    if (r.expectMap(v, "date_attribute")) {
      r.checkKeys(v, {"attribute", "offset", "at", "yearly"}, "date_attribute");
      if (!v["attribute"]) {
        r.error(v, "date_attribute needs 'attribute:' (e.g. customer.birthday)");
      } else {
        j.trigger.date.attribute = r.expression(v["attribute"], journeyExpressionOptions());
        j.trigger.name = v["attribute"].IsScalar() ? v["attribute"].Scalar() : "";
        // A date in the event's data happens once; a customer's date comes back every year.
        j.trigger.date.yearly = j.trigger.name.rfind("customer.", 0) == 0;
      }
      if (v["offset"]) j.trigger.date.offset = r.duration(v["offset"]).value_or(0);
      if (v["at"]) {
        if (auto text = r.string(v["at"], "at")) {
          auto m = parseTimeOfDay(*text);
          if (!m) r.error(v["at"], "bad time of day '" + *text + "' (use HH:MM, e.g. 09:00)");
          j.trigger.date.minute_of_day = m.value_or(9 * 60);
        }
      }
      if (v["yearly"]) j.trigger.date.yearly = r.boolean(v["yearly"], "yearly").value_or(true);
    }
  } else if (kind == "schedule") {
    j.trigger.kind = TriggerKind::kSchedule;
    // yaml-cpp's Node::operator= rewrites the shared document, so pick the node without it.
    const YAML::Node cron_node = v.IsMap() ? v["cron"] : v;
    if (v.IsMap()) {
      r.checkKeys(v, {"cron", "timezone"}, "schedule");
      if (!cron_node) {
        r.error(v, "schedule needs 'cron:' (e.g. \"0 9 * * mon\")");
        return;
      }
    }
    if (auto text = r.string(cron_node, "schedule")) {
      std::string error;
      auto cron = CronSchedule::parse(*text, error);
      if (cron) {
        j.trigger.schedule = std::make_shared<const CronSchedule>(*cron);
        j.trigger.name = *text;
      } else {
        r.error(cron_node, error);
      }
    }
  } else if (kind == "api") {
    j.trigger.kind = TriggerKind::kApi;
    if (v.IsScalar() && v.Scalar() != "true") j.trigger.name = v.Scalar();
  }
  const YAML::Node tz_node = v.IsMap() && v["timezone"] ? v["timezone"] : node["timezone"];
  if (tz_node) {
    if (auto tz = r.string(tz_node, "timezone")) {
      if (*tz != "UTC" && !findTimeZone(*tz)) {
        r.error(tz_node, "unknown timezone '" + *tz + "' (use an IANA name like Asia/Shanghai)");
      }
      j.trigger.timezone = *tz;
    }
  }
  if (node["where"]) j.trigger.where = r.expression(node["where"], journeyExpressionOptions());
  if (node["key"]) j.key = r.expression(node["key"], keyOptions());
}

void parseEntry(const YAML::Node& node, YamlReader& r, Journey& j) {
  if (!r.expectMap(node, "entry")) return;
  r.checkKeys(node, {"when", "reentry"}, "entry");
  if (node["when"]) j.entry.when = r.expression(node["when"], journeyExpressionOptions());
  if (const YAML::Node re = node["reentry"]) {
    auto text = r.string(re, "reentry");
    if (!text) return;
    if (*text == "never") {
      j.entry.reentry = ReentryRule::kNever;
    } else if (*text == "always") {
      j.entry.reentry = ReentryRule::kAlways;
    } else if (text->rfind("after ", 0) == 0) {
      auto d = parseDuration(text->substr(6));
      if (!d || *d <= 0) {
        r.error(re, "bad duration '" + text->substr(6) + "' (use s, m, h, d or w, e.g. 1h)");
      } else {
        j.entry.reentry = ReentryRule::kAfter;
        j.entry.reentry_after = *d;
      }
    } else {
      r.error(re, "unknown reentry '" + *text + "' (use never, always or 'after 180d')");
    }
  }
}

void parseGoal(const YAML::Node& node, YamlReader& r, Journey& j) {
  if (!r.expectMap(node, "goal")) return;
  r.checkKeys(node, {"event", "where", "when", "within", "exit_on_expiry"}, "goal");
  j.goal.present = true;
  if (node["event"]) j.goal.event = r.string(node["event"], "event").value_or("");
  if (node["where"]) j.goal.where = r.expression(node["where"], journeyExpressionOptions());
  if (node["when"]) j.goal.when = r.expression(node["when"], journeyExpressionOptions());
  if (!node["event"] && !node["when"]) r.error(node, "goal needs 'event:' or 'when:'");
  if (node["where"] && !node["event"])
    r.error(node["where"], "'where' filters the goal event: add 'event:'");
  if (node["within"]) j.goal.within = r.duration(node["within"]).value_or(0);
  if (node["exit_on_expiry"])
    j.goal.exit_on_expiry = r.boolean(node["exit_on_expiry"], "exit_on_expiry").value_or(false);
}

/// `caps: [{max: 1, per: 30d}, {channel: sms, max: 2, per: 7d}]`: this journey's own messages.
void parseCaps(const YAML::Node& node, YamlReader& r, Journey& j) {
  if (!node.IsSequence()) {
    r.error(node, "caps must be a list like [{max: 1, per: 30d}]");
    return;
  }
  for (const auto& item : node) {
    if (!r.expectMap(item, "a cap")) continue;
    r.checkKeys(item, {"channel", "max", "per"}, "a cap");
    JourneyCap cap;
    if (item["channel"]) cap.channel = r.string(item["channel"], "channel").value_or("");
    if (!item["max"] || !item["per"]) {
      r.error(item, "a cap needs max and per, e.g. {max: 1, per: 30d}");
      continue;
    }
    auto max = r.number(item["max"], "max");
    if (max && (*max < 1 || *max != static_cast<int>(*max)))
      r.error(item["max"], "max must be a whole number of at least 1");
    cap.max = static_cast<int>(max.value_or(1));
    cap.window = r.duration(item["per"]).value_or(0);
    if (cap.window <= 0 && item["per"].IsScalar())
      r.error(item["per"], "per must be a positive duration like 7d");
    j.caps.push_back(cap);
  }
}

/// `control_group: 10%` (or 10): the share of entrants who receive none of the journey's messages.
void parseControlGroup(const YAML::Node& node, YamlReader& r, Journey& j) {
  std::string text = node.IsScalar() ? node.Scalar() : "";
  if (!text.empty() && text.back() == '%') text.pop_back();
  char* end = nullptr;
  const double percent = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || percent < 0 || percent > 50) {
    r.error(node, "control_group must be a percentage from 0 to 50, e.g. 10%");
    return;
  }
  j.control_basis_points = static_cast<int>(std::lround(percent * 100));
}

bool validId(const std::string& id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

void parseMessageRules(const YAML::Node& node, YamlReader& r, MessageRules& rules) {
  if (const YAML::Node c = node["category"]) {
    if (auto s = oneOf(r, c, {"marketing", "transactional"}, "category"))
      rules.transactional = *s == 1;
  }
  if (const YAML::Node t = node["topic"]) {
    if (auto topic = r.string(t, "topic")) {
      // No dots: consent.topics.<topic> is a path in conditions and a dotted CSV column.
      const bool ok = !topic->empty() && std::all_of(topic->begin(), topic->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      });
      if (!ok) r.error(t, "topic '" + *topic + "' may use only letters, digits, '-' and '_'");
      rules.topic = *topic;
    }
  }
  if (const YAML::Node w = node["send_window"]) {
    if (auto text = r.string(w, "send_window")) {
      std::string error;
      rules.send_window = parseSendWindow(*text, error);
      if (!rules.send_window) r.error(w, error);
    }
  }
  if (const YAML::Node c = node["when_capped"]) {
    if (auto s = oneOf(r, c, {"skip", "defer"}, "when_capped"))
      rules.when_capped = static_cast<WhenCapped>(*s);
  }
}

JourneyPtr parseJourneyDocument(const YAML::Node& root, YamlReader& r,
                                const JourneyCatalog& known) {
  auto j = std::make_shared<Journey>();
  j->file = r.file();
  j->pos = r.pos(root["journey"]);
  size_t errors_before = r.diagnostics().items().size();
  r.checkKeys(root, kTopKeys, "a journey");
  if (auto id = r.string(root["journey"], "journey")) {
    if (!validId(*id))
      r.error(root["journey"],
              "journey id '" + *id + "' may use only letters, digits, '-', '_' and '.'");
    j->id = *id;
  }
  if (root["name"]) j->name = r.string(root["name"], "name").value_or("");
  if (root["description"])
    j->description = r.string(root["description"], "description").value_or("");
  if (root["status"]) {
    if (auto s = oneOf(r, root["status"], {"active", "paused", "draft"}, "status")) {
      j->status = static_cast<JourneyStatus>(*s);
    }
  }
  if (root["priority"])
    j->priority = static_cast<int>(r.number(root["priority"], "priority").value_or(0));
  parseMessageRules(root, r, j->rules);
  if (root["caps"]) parseCaps(root["caps"], r, *j);
  if (root["control_group"]) parseControlGroup(root["control_group"], r, *j);
  if (!root["trigger"]) {
    r.error(root["journey"], "journey '" + j->id + "' needs a trigger");
  } else {
    parseTrigger(root["trigger"], r, *j);
  }
  if (root["entry"]) parseEntry(root["entry"], r, *j);
  if (root["goal"]) parseGoal(root["goal"], r, *j);
  if (root["exit_when"]) j->exit_when = r.expression(root["exit_when"], journeyExpressionOptions());
  if (root["on_change"]) {
    if (auto s = oneOf(r, root["on_change"], {"migrate", "pin", "restart"}, "on_change")) {
      j->on_change = static_cast<OnChange>(*s);
    }
  }
  if (root["pending_on_exit"]) {
    if (auto s = oneOf(r, root["pending_on_exit"], {"cancel", "send"}, "pending_on_exit")) {
      j->pending_on_exit = static_cast<PendingOnExit>(*s);
    }
  }
  if (root["key"]) {
    if (j->key) r.error(root["key"], "key is given twice (here and under trigger)");
    j->key = r.expression(root["key"], keyOptions());
  }
  if (j->key && j->trigger.kind != TriggerKind::kEvent && j->trigger.kind != TriggerKind::kApi) {
    r.error(root["key"] ? root["key"] : root["trigger"]["key"],
            "key comes from the triggering event: use it with an event trigger");
  }
  if (!root["steps"]) {
    r.error(root["journey"], "journey '" + j->id + "' has no steps");
  } else {
    parseSteps(root["steps"], r, known, *j);
  }
  bool failed = false;
  const auto& items = r.diagnostics().items();
  for (size_t i = errors_before; i < items.size(); ++i)
    failed = failed || items[i].severity == Severity::kError;
  if (failed) return nullptr;
  return j;
}

}  // namespace journeyd
