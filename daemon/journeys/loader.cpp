#include "daemon/journeys/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "daemon/journeys/yaml_reader.h"

namespace journeyd {

namespace fs = std::filesystem;

namespace {

template <typename Definition>
void parseNamedMap(const YAML::Node& map, YamlReader& r, const char* section, const char* value_key,
                   std::vector<Definition>& out) {
  if (!r.expectMap(map, section)) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Definition def;
    def.name = it->first.Scalar();
    def.pos = r.pos(it->first);
    const YAML::Node body = it->second;
    if (!r.expectMap(body, std::string(section) + " '" + def.name + "'")) continue;
    r.checkKeys(body, {"description", value_key}, std::string(section) + " '" + def.name + "'");
    if (body["description"])
      def.description = r.string(body["description"], "description").value_or("");
    if (!body[value_key]) {
      r.error(it->first, std::string(section) + " '" + def.name + "' needs '" + value_key + ":'");
      continue;
    }
    ExprPtr expr = r.expression(body[value_key], segmentExpressionOptions());
    if (!expr) continue;
    if constexpr (std::is_same_v<Definition, SegmentDefinition>) {
      def.when = expr;
    } else {
      def.value = expr;
    }
    out.push_back(std::move(def));
  }
}

std::string readFile(const fs::path& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

JourneyDefinitions loadDefinitionsText(std::string_view text, const std::string& file,
                                       const JourneyCatalog& known, Diagnostics& diagnostics) {
  JourneyDefinitions out;
  YamlReader r(file, text, diagnostics);
  // yaml-cpp throws on bad syntax and on misuse; nothing of it escapes this function.
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap() || root.size() == 0) {
      diagnostics.error({file, 1, 1},
                        "expected a journey (journey: ID) or a segments file (segments:, scores:)");
      return out;
    }
    const YAML::Node& croot = root;
    if (croot["journey"]) {
      if (auto journey = parseJourneyDocument(croot, r, known)) {
        auto j = std::const_pointer_cast<Journey>(journey);
        j->content_hash = fnv1a64(text);
        j->version = hex64(j->content_hash);
        out.journeys.push_back(std::move(j));
      }
    } else if (croot["segments"] || croot["scores"]) {
      r.checkKeys(croot, {"segments", "scores"}, "a segments file");
      if (croot["segments"]) parseNamedMap(croot["segments"], r, "segment", "when", out.segments);
      if (croot["scores"]) parseNamedMap(croot["scores"], r, "score", "value", out.scores);
    } else {
      std::string first = croot.begin() != croot.end() ? croot.begin()->first.Scalar() : "";
      std::string hint = closestMatch(first, {"journey", "segments", "scores"});
      std::string message =
          "expected a journey (journey: ID) or a segments file (segments:, scores:)";
      if (!hint.empty()) message = "unknown key '" + first + "' (did you mean '" + hint + "'?)";
      r.error(croot.begin()->first, message);
    }
  } catch (const YAML::Exception& e) {
    diagnostics.error({file, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  return out;
}

JourneyPtr loadJourneyText(std::string_view text, const std::string& file,
                           const JourneyCatalog& known, Diagnostics& diagnostics) {
  auto defs = loadDefinitionsText(text, file, known, diagnostics);
  return defs.journeys.empty() ? nullptr : defs.journeys.front();
}

JourneyDefinitions loadDefinitions(const std::string& path, const JourneyCatalog& known,
                                   Diagnostics& diagnostics) {
  JourneyDefinitions all;
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      auto ext = it->path().extension().string();
      if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.emplace_back(path);
  }
  if (ec) diagnostics.error({path, 0, 0}, "cannot read: " + ec.message());
  for (const auto& f : files) {
    bool ok = false;
    std::string text = readFile(f, ok);
    if (!ok) {
      diagnostics.error({f.string(), 0, 0}, "cannot read the file");
      continue;
    }
    auto defs = loadDefinitionsText(text, f.string(), known, diagnostics);
    for (auto& j : defs.journeys) all.journeys.push_back(std::move(j));
    for (auto& s : defs.segments) all.segments.push_back(std::move(s));
    for (auto& s : defs.scores) all.scores.push_back(std::move(s));
  }

  std::map<std::string, SourcePos> seen;
  auto duplicate = [&](const std::string& what, const std::string& name, const SourcePos& pos) {
    auto [it, inserted] = seen.emplace(what + "\x1f" + name, pos);
    if (!inserted) {
      diagnostics.error(pos, "duplicate " + what + " '" + name + "' (also in " + it->second.file +
                                 ":" + std::to_string(it->second.line) + ")");
    }
    return !inserted;
  };
  std::vector<JourneyPtr> journeys;
  std::vector<std::string> segment_names = known.segments;
  for (const auto& s : all.segments) {
    duplicate("segment", s.name, s.pos);
    segment_names.push_back(s.name);
  }
  for (const auto& s : all.scores) duplicate("score", s.name, s.pos);
  for (const auto& j : all.journeys) {
    if (duplicate("journey id", j->id, j->pos)) continue;
    bool segment_trigger = j->trigger.kind == TriggerKind::kSegmentEntered ||
                           j->trigger.kind == TriggerKind::kSegmentExited;
    if (segment_trigger && !segment_names.empty() &&
        std::find(segment_names.begin(), segment_names.end(), j->trigger.name) ==
            segment_names.end()) {
      std::string message = "unknown segment '" + j->trigger.name + "'";
      std::string hint = closestMatch(j->trigger.name, segment_names);
      if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
      diagnostics.error(j->trigger.pos, message);
      continue;
    }
    journeys.push_back(j);
  }
  all.journeys = std::move(journeys);
  return all;
}

std::vector<JourneyPtr> loadJourneys(const std::string& path, const JourneyCatalog& known,
                                     Diagnostics& diagnostics) {
  return loadDefinitions(path, known, diagnostics).journeys;
}

std::vector<std::string> describeStepIds(const Journey& journey) {
  std::vector<std::string> lines;
  for (const auto& s : journey.steps) {
    std::string line = s.pos.file + ":" + std::to_string(s.pos.line) + ":" +
                       std::to_string(s.pos.column) + ": note: step " + s.id + " (" +
                       stepKindName(s.kind) + ")";
    if (!s.id_given) line += ", derived from its position: add 'id:' to keep it stable";
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace journeyd
