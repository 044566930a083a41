// Parses the `steps:` list of a journey into the flat, linked Journey::steps vector: every
// nested list (then/else, on_event/on_timeout, split variants) is appended to the same vector
// and steps point at each other by index, so the step machine never walks YAML or a tree.
#include <algorithm>
#include <cmath>
#include <map>

#include "daemon/journeys/yaml_reader.h"

namespace journeyd {

namespace {

const std::vector<std::string> kStepKinds = {"send",  "wait",   "wait_until", "wait_for", "if",
                                             "split", "update", "emit",       "exit",     "goto"};

struct PendingGoto {
  int step;
  std::string target;
  SourcePos pos;
};

/// Builds the flat step vector; remembers child lists until every index is known, then links.
class StepParser {
 public:
  StepParser(YamlReader& reader, const JourneyCatalog& known, Journey& journey)
      : r_(reader), known_(known), j_(journey) {}

  void run(const YAML::Node& steps) {
    auto top = parseList(steps, "");
    link(top, -1);
    for (const auto& g : gotos_) {
      int target = j_.stepIndex(g.target);
      if (target < 0) {
        std::vector<std::string> ids;
        for (const auto& s : j_.steps) ids.push_back(s.id);
        std::string message = "unknown step '" + g.target + "'";
        std::string hint = closestMatch(g.target, ids);
        if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
        r_.error(g.pos, message);
      }
      j_.steps[static_cast<size_t>(g.step)].target = target;
    }
  }

 private:
  std::vector<int> parseList(const YAML::Node& list, const std::string& prefix) {
    std::vector<int> out;
    if (!list.IsSequence()) {
      r_.error(list, "steps must be a list (each item starting with '- ')");
      return out;
    }
    bool ended = false;
    std::string ended_by;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node item = list[i];
      if (ended) {
        r_.error(item, "unreachable step: it follows '" + ended_by + "'");
        ended = false;  // one error per list is enough
      }
      int index = parseStep(item, prefix, static_cast<int>(i) + 1);
      if (index < 0) continue;
      out.push_back(index);
      const Step& s = j_.steps[static_cast<size_t>(index)];
      if (s.kind == StepKind::kExit || s.kind == StepKind::kGoto) {
        ended = i + 1 < list.size();
        ended_by = std::string(stepKindName(s.kind)) + ": " + s.name;
      }
    }
    return out;
  }

  int parseStep(const YAML::Node& node, const std::string& prefix, int position) {
    if (!r_.expectMap(node, "a step")) return -1;
    std::vector<std::string> found;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string& key = it->first.Scalar();
      if (std::find(kStepKinds.begin(), kStepKinds.end(), key) != kStepKinds.end())
        found.push_back(key);
    }
    if (found.empty()) {
      std::string first = node.begin() != node.end() ? node.begin()->first.Scalar() : "";
      std::string message =
          "a step needs one of send, wait, wait_until, wait_for, if, split, update, emit, exit, "
          "goto";
      std::string hint = closestMatch(first, kStepKinds);
      if (!hint.empty()) message = "unknown step '" + first + "' (did you mean '" + hint + "'?)";
      r_.error(node.begin() != node.end() ? node.begin()->first : node, message);
      return -1;
    }
    if (found.size() > 1) {
      r_.error(node[found[1]], "a step does one thing: '" + found[0] + "' and '" + found[1] +
                                   "' belong in separate steps");
      return -1;
    }
    const std::string kind = found[0];
    const YAML::Node head = node[kind];
    Step s;
    s.pos = r_.pos(node.begin()->first);
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.Scalar() == kind) s.pos = r_.pos(it->first);
    }
    std::vector<std::vector<int>> children;
    std::string derived = prefix + kind + "-" + std::to_string(position);

    // The id: `send: ID` and `split: ID` name the step; `id:` names any step.
    std::string id;
    if ((kind == "send" || kind == "split") && head.IsScalar()) id = head.Scalar();
    if (node["id"]) {
      if (auto given = r_.string(node["id"], "id")) id = *given;
    }
    s.id_given = !id.empty();
    s.id = s.id_given ? id : derived;
    // Children are parsed after the id is registered, so their prefix is this step's id.
    int index = static_cast<int>(j_.steps.size());
    registerId(s.id, node["id"] ? node["id"] : head, index);
    j_.steps.push_back(s);
    std::string child_prefix = s.id + "/";

    // Child lists append to j_.steps, so never hold a Step& across them.
    auto set = [&](auto fn) { fn(j_.steps[static_cast<size_t>(index)]); };

    if (kind == "send") {
      r_.checkKeys(node,
                   {"send", "id", "channel", "template", "data", "category", "topic", "send_window",
                    "when_capped"},
                   "a send step");
      if (!head.IsScalar()) r_.error(head, "send needs a step id, e.g. 'send: welcome'");
      set([&](Step& x) { x.kind = StepKind::kSend; });
      if (!node["channel"]) {
        r_.error(head, "send '" + s.id + "' needs a channel (email, sms or webhook)");
      } else if (auto ch = r_.string(node["channel"], "channel")) {
        checkName(node["channel"], *ch, known_.channels, "channel");
        set([&](Step& x) { x.channel = *ch; });
      }
      if (!node["template"]) {
        r_.error(head, "send '" + s.id + "' needs a template");
      } else if (auto t = r_.string(node["template"], "template")) {
        checkName(node["template"], *t, known_.templates, "template");
        set([&](Step& x) { x.template_name = *t; });
      }
      if (node["data"]) {
        if (r_.expectMap(node["data"], "data"))
          set([&](Step& x) { x.data = r_.toJson(node["data"]); });
      }
      MessageRules rules = j_.rules;
      parseMessageRules(node, r_, rules);
      set([&](Step& x) { x.rules = std::move(rules); });
    } else if (kind == "wait") {
      r_.checkKeys(node, {"wait", "id"}, "a wait step");
      set([&](Step& x) { x.kind = StepKind::kWait; });
      if (auto d = r_.duration(head)) {
        if (*d <= 0) r_.error(head, "wait needs a positive duration");
        set([&](Step& x) { x.duration = *d; });
      }
    } else if (kind == "wait_until") {
      r_.checkKeys(node, {"wait_until", "id"}, "a wait_until step");
      set([&](Step& x) { x.kind = StepKind::kWaitUntil; });
      WaitUntilSpec spec = parseWaitUntil(head);
      set([&](Step& x) { x.until = spec; });
    } else if (kind == "wait_for") {
      r_.checkKeys(node, {"wait_for", "id", "where", "timeout", "on_event", "on_timeout"},
                   "a wait_for step");
      set([&](Step& x) { x.kind = StepKind::kWaitFor; });
      if (auto name = r_.string(head, "wait_for")) set([&](Step& x) { x.name = *name; });
      if (node["where"]) {
        auto where = r_.expression(node["where"], journeyExpressionOptions());
        set([&](Step& x) { x.where = where; });
      }
      if (!node["timeout"]) {
        r_.error(head, "wait_for needs a timeout, e.g. 'timeout: 3d'");
      } else if (auto d = r_.duration(node["timeout"])) {
        if (*d <= 0) r_.error(node["timeout"], "timeout must be positive");
        set([&](Step& x) { x.timeout = *d; });
      }
      children.push_back(node["on_event"] ? parseList(node["on_event"], child_prefix + "on_event/")
                                          : std::vector<int>{});
      children.push_back(node["on_timeout"]
                             ? parseList(node["on_timeout"], child_prefix + "on_timeout/")
                             : std::vector<int>{});
    } else if (kind == "if") {
      r_.checkKeys(node, {"if", "id", "then", "elif", "else_if", "else"}, "an if step");
      set([&](Step& x) { x.kind = StepKind::kIf; });
      std::vector<Branch> branches;
      branches.push_back({r_.expression(head, journeyExpressionOptions()), -1, "then"});
      if (!node["then"]) r_.error(head, "if needs 'then:' with the steps to take");
      children.push_back(node["then"] ? parseList(node["then"], child_prefix + "then/")
                                      : std::vector<int>{});
      for (const char* key : {"elif", "else_if"}) {
        const YAML::Node elifs = node[key];
        if (!elifs) continue;
        if (!elifs.IsSequence()) {
          r_.error(elifs,
                   std::string(key) + " must be a list of '- when: CONDITION' + 'then:' items");
          continue;
        }
        for (const auto& e : elifs) {
          if (!r_.expectMap(e, key)) continue;
          r_.checkKeys(e, {"when", "if", "then"}, key);
          YAML::Node cond = e["when"] ? e["when"] : e["if"];
          if (!cond) {
            r_.error(e, std::string(key) + " needs 'when:' with a condition");
            continue;
          }
          std::string label = "elif " + std::to_string(branches.size());
          branches.push_back({r_.expression(cond, journeyExpressionOptions()), -1, label});
          children.push_back(
              e["then"] ? parseList(e["then"], child_prefix + "elif-" +
                                                   std::to_string(branches.size() - 1) + "/")
                        : std::vector<int>{});
        }
      }
      if (node["else"]) {
        branches.push_back({nullptr, -1, "else"});
        children.push_back(parseList(node["else"], child_prefix + "else/"));
      }
      set([&](Step& x) { x.branches = branches; });
    } else if (kind == "split") {
      r_.checkKeys(node, {"split", "id", "variants"}, "a split step");
      set([&](Step& x) { x.kind = StepKind::kSplit; });
      if (!head.IsScalar()) r_.error(head, "split needs a step id, e.g. 'split: offer-test'");
      std::vector<Variant> variants;
      int total = 0;
      const YAML::Node vs = node["variants"];
      if (!vs) {
        r_.error(head, "split needs 'variants:' (name: {percent: N, steps: [...]})");
      } else if (r_.expectMap(vs, "variants")) {
        for (auto it = vs.begin(); it != vs.end(); ++it) {
          Variant v;
          v.name = it->first.Scalar();
          v.control = v.name == "control";
          const YAML::Node body = it->second;
          if (!r_.expectMap(body, "a variant")) continue;
          r_.checkKeys(body, {"percent", "steps", "control"}, "a variant");
          if (!body["percent"]) {
            r_.error(it->first, "variant '" + v.name + "' needs a percent");
          } else if (auto p = r_.number(body["percent"], "percent")) {
            if (*p <= 0 || *p > 100) r_.error(body["percent"], "percent must be between 0 and 100");
            v.basis_points = static_cast<int>(std::lround(*p * 100));
          }
          if (body["control"])
            v.control = r_.boolean(body["control"], "control").value_or(v.control);
          if (v.control && body["steps"])
            r_.error(body["steps"], "the control group receives nothing: it has no steps");
          total += v.basis_points;
          variants.push_back(v);
          children.push_back(body["steps"] ? parseList(body["steps"], child_prefix + v.name + "/")
                                           : std::vector<int>{});
        }
        if (!variants.empty() && total != 10000) {
          r_.error(vs, "split percentages add up to " + formatPercent(total) + ", not 100");
        }
      }
      set([&](Step& x) { x.variants = variants; });
    } else if (kind == "update") {
      r_.checkKeys(node, {"update", "id"}, "an update step");
      set([&](Step& x) { x.kind = StepKind::kUpdate; });
      if (r_.expectMap(head, "update")) {
        r_.checkKeys(head, {"set", "unset", "add_tags", "remove_tags"}, "update");
        if (head["set"] && r_.expectMap(head["set"], "set"))
          set([&](Step& x) { x.set = r_.toJson(head["set"]); });
        if (head["unset"]) set([&](Step& x) { x.unset = r_.stringList(head["unset"], "unset"); });
        if (head["add_tags"])
          set([&](Step& x) { x.add_tags = r_.stringList(head["add_tags"], "add_tags"); });
        if (head["remove_tags"])
          set([&](Step& x) { x.remove_tags = r_.stringList(head["remove_tags"], "remove_tags"); });
      }
    } else if (kind == "emit") {
      r_.checkKeys(node, {"emit", "id", "properties"}, "an emit step");
      set([&](Step& x) { x.kind = StepKind::kEmit; });
      if (auto name = r_.string(head, "emit")) set([&](Step& x) { x.name = *name; });
      if (node["properties"] && r_.expectMap(node["properties"], "properties")) {
        set([&](Step& x) { x.data = r_.toJson(node["properties"]); });
      }
    } else if (kind == "exit") {
      r_.checkKeys(node, {"exit", "id"}, "an exit step");
      set([&](Step& x) { x.kind = StepKind::kExit; });
      if (auto reason = r_.string(head, "exit")) set([&](Step& x) { x.name = *reason; });
    } else if (kind == "goto") {
      r_.checkKeys(node, {"goto", "id"}, "a goto step");
      set([&](Step& x) { x.kind = StepKind::kGoto; });
      if (auto target = r_.string(head, "goto")) {
        set([&](Step& x) { x.name = *target; });
        gotos_.push_back({index, *target, r_.pos(head)});
      }
    }
    children_[index] = std::move(children);
    return index;
  }

  WaitUntilSpec parseWaitUntil(const YAML::Node& node) {
    WaitUntilSpec spec;
    if (!r_.expectMap(node, "wait_until")) return spec;
    r_.checkKeys(node, {"time", "days", "date", "offset"}, "wait_until");
    if (node["time"]) {
      if (auto text = r_.string(node["time"], "time")) {
        spec.minute_of_day = parseTimeOfDay(*text);
        if (!spec.minute_of_day)
          r_.error(node["time"], "bad time of day '" + *text + "' (use HH:MM, e.g. 10:00)");
      }
    }
    if (node["days"]) spec.weekday_mask = parseDays(node["days"]);
    if (node["date"]) spec.date = r_.expression(node["date"], journeyExpressionOptions());
    if (node["offset"]) {
      if (!node["date"]) r_.error(node["offset"], "offset applies to 'date:'");
      spec.offset = r_.duration(node["offset"]).value_or(0);
    }
    if (!node["time"] && !node["days"] && !node["date"]) {
      r_.error(node, "wait_until needs time, days or date");
    }
    return spec;
  }

  std::uint8_t parseDays(const YAML::Node& node) {
    static const std::vector<std::string> kNames = {"sun", "mon", "tue", "wed",
                                                    "thu", "fri", "sat"};
    if (node.IsScalar() && node.Scalar() == "weekdays") return 0x3e;
    if (node.IsScalar() && node.Scalar() == "weekends") return 0x41;
    if (node.IsScalar() && node.Scalar() == "any") return 0x7f;
    std::uint8_t mask = 0;
    if (!node.IsSequence()) {
      r_.error(node, "days must be weekdays, weekends, any or a list like [mon, wed]");
      return 0x7f;
    }
    for (const auto& d : node) {
      std::string name = d.IsScalar() ? d.Scalar().substr(0, 3) : "";
      auto it = std::find(kNames.begin(), kNames.end(), name);
      if (it == kNames.end()) {
        r_.error(d, "unknown day '" + (d.IsScalar() ? d.Scalar() : std::string()) +
                        "' (use mon, tue, …, sun)");
        continue;
      }
      mask |= static_cast<std::uint8_t>(1u << (it - kNames.begin()));
    }
    return mask ? mask : 0x7f;
  }

  void checkName(const YAML::Node& node, const std::string& name,
                 const std::vector<std::string>& known, const char* what) {
    if (known.empty() || std::find(known.begin(), known.end(), name) != known.end()) return;
    std::string message = std::string("unknown ") + what + " '" + name + "'";
    std::string hint = closestMatch(name, known);
    if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
    r_.error(node, message);
  }

  void registerId(const std::string& id, const YAML::Node& node, int index) {
    auto [it, inserted] = j_.index_by_id.emplace(id, index);
    if (!inserted) {
      const Step& first = j_.steps[static_cast<size_t>(it->second)];
      r_.error(node, "duplicate step id '" + id + "' (first used at line " +
                         std::to_string(first.pos.line) + ")");
    }
  }

  void link(const std::vector<int>& list, int continuation) {
    for (size_t i = 0; i < list.size(); ++i) {
      int index = list[i];
      int next = i + 1 < list.size() ? list[i + 1] : continuation;
      j_.steps[static_cast<size_t>(index)].next = next;
      auto& kids = children_[index];
      for (const auto& child : kids) link(child, next);
      Step& s = j_.steps[static_cast<size_t>(index)];
      auto first = [&](size_t k) {
        return k < kids.size() && !kids[k].empty() ? kids[k][0] : next;
      };
      if (s.kind == StepKind::kWaitFor) {
        s.on_event = first(0);
        s.on_timeout = first(1);
      }
      for (size_t k = 0; k < s.branches.size(); ++k) s.branches[k].target = first(k);
      for (size_t k = 0; k < s.variants.size(); ++k) s.variants[k].target = first(k);
    }
  }

  static std::string formatPercent(int basis_points) {
    std::string s = std::to_string(basis_points / 100);
    if (basis_points % 100)
      s += "." + std::to_string(basis_points % 100 / 10) +
           (basis_points % 10 ? std::to_string(basis_points % 10) : "");
    return s;
  }

  YamlReader& r_;
  const JourneyCatalog& known_;
  Journey& j_;
  std::map<int, std::vector<std::vector<int>>> children_;
  std::vector<PendingGoto> gotos_;
};

}  // namespace

void parseSteps(const YAML::Node& steps, YamlReader& reader, const JourneyCatalog& known,
                Journey& journey) {
  StepParser(reader, known, journey).run(steps);
}

}  // namespace journeyd
