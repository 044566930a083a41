#include "connectors/settings.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace journeyd {

namespace {
std::string didYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best = closestMatch(word, candidates);
  return best.empty() ? std::string{} : "; did you mean '" + best + "'?";
}
}  // namespace

std::optional<std::string> expandEnvironment(const std::string& text, std::string* missing_name) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = text.find("${", i);
    if (start == std::string::npos) break;
    size_t end = text.find('}', start + 2);
    if (end == std::string::npos) break;
    out.append(text, i, start - i);
    std::string name = text.substr(start + 2, end - start - 2);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      if (missing_name != nullptr) *missing_name = name;
      return std::nullopt;
    }
    out += value;
    i = end + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

SettingsReader::SettingsReader(const YAML::Node& settings, ConnectorConfigContext& ctx,
                               std::vector<std::string> known_keys)
    : settings_(settings), ctx_(ctx) {
  if (!settings_.IsMap()) {
    error("", "settings must be a map of key: value");
    return;
  }
  const auto& dispatcher_keys = dispatcherSettingKeys();
  std::vector<std::string> all_keys = known_keys;
  all_keys.insert(all_keys.end(), dispatcher_keys.begin(), dispatcher_keys.end());
  try {
    for (const auto& entry : settings_) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string{};
      SourcePos key_pos = markOf(entry.first);
      if (std::find(all_keys.begin(), all_keys.end(), key) == all_keys.end()) {
        ++errors_;
        if (ctx_.diagnostics != nullptr) {
          ctx_.diagnostics->error(key_pos, "channel '" + ctx_.channel_name +
                                               "': unknown setting '" + key + "'" +
                                               didYouMean(key, known_keys));
        }
        continue;
      }
      values_[key] = entry.second;
      key_pos_[key] = key_pos;
    }
  } catch (const YAML::Exception& e) {
    error("", std::string("malformed settings: ") + e.what());
  }
}

SourcePos SettingsReader::markOf(const YAML::Node& node) const { return yamlPos(node, ctx_.file); }

SourcePos yamlPos(const YAML::Node& node, const std::string& file) {
  SourcePos pos{file, 0, 0};
  try {
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0) {
      pos.line = mark.line + 1;
      pos.column = mark.column + 1;
    }
  } catch (const YAML::Exception&) {
  }
  return pos;
}

YAML::Node SettingsReader::get(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? YAML::Node(YAML::NodeType::Undefined) : it->second;
}

bool SettingsReader::has(const std::string& key) const { return values_.count(key) > 0; }

SourcePos SettingsReader::pos(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? markOf(settings_) : markOf(it->second);
}

void SettingsReader::error(const std::string& key, std::string message) {
  ++errors_;
  if (ctx_.diagnostics == nullptr) return;
  ctx_.diagnostics->error(pos(key), "channel '" + ctx_.channel_name + "': " + std::move(message));
}

void SettingsReader::warning(const std::string& key, std::string message) {
  if (ctx_.diagnostics == nullptr) return;
  ctx_.diagnostics->warning(pos(key), "channel '" + ctx_.channel_name + "': " + std::move(message));
}

std::optional<std::string> SettingsReader::string(const std::string& key, bool required) {
  YAML::Node node = get(key);
  if (!node.IsDefined()) {
    if (required) error(key, "missing required setting '" + key + "'");
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    error(key, "'" + key + "' must be a single value");
    return std::nullopt;
  }
  return node.Scalar();
}

std::string SettingsReader::string(const std::string& key, const std::string& fallback) {
  return string(key, false).value_or(fallback);
}

DurationMs SettingsReader::duration(const std::string& key, DurationMs fallback) {
  auto text = string(key, false);
  if (!text) return fallback;
  auto parsed = parseDuration(*text);
  if (!parsed || *parsed <= 0) {
    error(key, "'" + key + "' must be a positive duration like 10s or 500ms, not '" + *text + "'");
    return fallback;
  }
  return *parsed;
}

bool SettingsReader::boolean(const std::string& key, bool fallback) {
  auto text = string(key, false);
  if (!text) return fallback;
  if (*text == "true" || *text == "yes" || *text == "on") return true;
  if (*text == "false" || *text == "no" || *text == "off") return false;
  error(key, "'" + key + "' must be true or false, not '" + *text + "'");
  return fallback;
}

std::string SettingsReader::choice(const std::string& key, const std::vector<std::string>& allowed,
                                   const std::string& fallback) {
  auto text = string(key, false);
  if (!text) return fallback;
  if (std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) return *text;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  error(key, "'" + key + "' must be one of " + list + ", not '" + *text + "'" +
                 didYouMean(*text, allowed));
  return fallback;
}

std::vector<std::string> SettingsReader::stringList(const std::string& key,
                                                    std::vector<std::string> fallback) {
  YAML::Node node = get(key);
  if (!node.IsDefined()) return fallback;
  if (!node.IsSequence()) {
    error(key, "'" + key + "' must be a list of values like [a, b]");
    return fallback;
  }
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      ++errors_;
      if (ctx_.diagnostics != nullptr) {
        ctx_.diagnostics->error(markOf(item), "channel '" + ctx_.channel_name + "': '" + key +
                                                  "' entries must be single values");
      }
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SettingsReader::stringMap(const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  YAML::Node node = get(key);
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsMap()) {
    error(key, "'" + key + "' must be a map of name: value");
    return out;
  }
  for (const auto& entry : node) {
    if (!entry.first.IsScalar() || !entry.second.IsScalar()) {
      ++errors_;
      if (ctx_.diagnostics != nullptr) {
        ctx_.diagnostics->error(markOf(entry.first), "channel '" + ctx_.channel_name + "': '" +
                                                         key + "' entries must be name: value");
      }
      continue;
    }
    std::string missing;
    auto value = expandEnvironment(entry.second.Scalar(), &missing);
    if (!value) {
      ++errors_;
      if (ctx_.diagnostics != nullptr) {
        ctx_.diagnostics->error(markOf(entry.second), "channel '" + ctx_.channel_name +
                                                          "': environment variable '" + missing +
                                                          "' is not set");
      }
      continue;
    }
    out.emplace_back(entry.first.Scalar(), *value);
  }
  return out;
}

std::optional<std::string> SettingsReader::secret(const std::string& key, bool required) {
  const std::string file_key = key + "_file";
  if (has(key) && has(file_key)) {
    error(file_key, "give either '" + key + "' or '" + file_key + "', not both");
    return std::nullopt;
  }
  if (has(file_key)) {
    auto path = string(file_key, false);
    if (!path) return std::nullopt;
    std::ifstream in(*path);
    std::string line;
    if (!in || !std::getline(in, line)) {
      error(file_key, "cannot read '" + file_key + "' file " + *path);
      return std::nullopt;
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  auto raw = string(key, false);
  if (!raw) {
    if (required) error(key, "missing required setting '" + key + "' (or '" + file_key + "')");
    return std::nullopt;
  }
  std::string missing;
  auto value = expandEnvironment(*raw, &missing);
  if (!value) {
    error(key, "environment variable '" + missing + "' for '" + key + "' is not set");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> SettingsReader::readableFile(const std::string& key) {
  auto path = string(key, false);
  if (!path) return std::nullopt;
  std::ifstream in(*path);
  if (!in) {
    error(key, "cannot read '" + key + "' file " + *path);
    return std::nullopt;
  }
  return path;
}

}  // namespace journeyd
