#include "daemon/journeys/yaml_reader.h"

#include <cmath>
#include <cstdlib>

namespace journeyd {

namespace {

const char* nodeTypeName(const YAML::Node& node) {
  if (!node) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "nothing";
  }
}

bool isPlain(const YAML::Node& node) { return node.Tag() == "?"; }

}  // namespace

SourcePos YamlReader::pos(const YAML::Node& node) const {
  if (!node) return {file_, 0, 0};  // a missing key: Mark() would throw
  auto mark = node.Mark();
  if (mark.line < 0) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

void YamlReader::error(const YAML::Node& node, std::string message) {
  diagnostics_.error(pos(node), std::move(message));
}

void YamlReader::warning(const YAML::Node& node, std::string message) {
  diagnostics_.warning(pos(node), std::move(message));
}

bool YamlReader::expectMap(const YAML::Node& node, std::string_view what) {
  if (node && node.IsMap()) return true;
  error(node, std::string(what) + " must be a map, not " + nodeTypeName(node));
  return false;
}

void YamlReader::checkKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                           std::string_view where) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    bool known = false;
    for (const auto& a : allowed) known = known || a == key;
    if (known) continue;
    std::string message = "unknown key '" + key + "' in " + std::string(where);
    std::string hint = closestMatch(key, allowed);
    if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
    error(it->first, message);
  }
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, std::string_view what) {
  if (!node || !node.IsScalar()) {
    error(node, std::string(what) + " must be text, not " + nodeTypeName(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<DurationMs> YamlReader::duration(const YAML::Node& node) {
  auto text = string(node, "a duration");
  if (!text) return std::nullopt;
  std::string_view s = *text;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  auto d = parseDuration(s);
  if (!d) {
    error(node, "bad duration '" + *text + "' (use s, m, h, d or w, e.g. 1h)");
    return std::nullopt;
  }
  return negative ? -*d : *d;
}

std::optional<double> YamlReader::number(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(v)) return v;
  }
  error(node, std::string(what) + " must be a number");
  return std::nullopt;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "yes") return true;
    if (s == "false" || s == "no") return false;
  }
  error(node, std::string(what) + " must be true or false");
  return std::nullopt;
}

std::vector<std::string> YamlReader::stringList(const YAML::Node& node, std::string_view what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (auto s = string(item, what)) out.push_back(*s);
    }
  } else {
    error(node, std::string(what) + " must be text or a list of text");
  }
  return out;
}

ExprPtr YamlReader::expression(const YAML::Node& node, const CompileOptions& options) {
  if (!node || !node.IsScalar()) {
    error(node, std::string("a condition must be written as text, not ") + nodeTypeName(node));
    return nullptr;
  }
  SourcePos origin = pos(node);
  auto mark = node.Mark();
  if (mark.pos >= 0 && static_cast<size_t>(mark.pos) < text_.size()) {
    char c = text_[static_cast<size_t>(mark.pos)];
    if (c == '"' || c == '\'') {
      origin.column += 1;
    } else if (c == '|' || c == '>') {
      // A block scalar: the text starts on the next line, at its indentation.
      size_t nl = text_.find('\n', static_cast<size_t>(mark.pos));
      if (nl != std::string_view::npos) {
        size_t i = nl + 1;
        while (i < text_.size() && text_[i] == ' ') ++i;
        origin.line += 1;
        origin.column = static_cast<int>(i - nl);
      }
    }
  }
  return compileExpression(node.Scalar(), origin, options, diagnostics_);
}

nlohmann::json YamlReader::toJson(const YAML::Node& node) const {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      auto out = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it)
        out[it->first.Scalar()] = toJson(it->second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      auto out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(toJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (!isPlain(node)) return s;
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      char* end = nullptr;
      long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end == s.c_str() + s.size()) return i;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return d;
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace journeyd
