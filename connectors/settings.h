#pragma once
/// Helpers every connector uses to read its channel settings: typed getters that report
/// problems as FILE:LINE:COL diagnostics, the unknown-key check with did-you-mean, and secrets
/// taken from `KEY_file` files or `${ENV_VAR}` values (never echoed into a message).
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"

namespace journeyd {

/// FILE:LINE:COL of a YAML node (line/column 0 when the node carries no mark).
[[nodiscard]] SourcePos yamlPos(const YAML::Node& node, const std::string& file);

/// Reads one channel's settings map once at start-up; not thread-safe, short-lived.
class SettingsReader {
 public:
  /// `known_keys` are the connector's own keys; dispatcher keys are always accepted. Reports
  /// a settings node that is not a map, and every unknown key.
  SettingsReader(const YAML::Node& settings, ConnectorConfigContext& ctx,
                 std::vector<std::string> known_keys);

  [[nodiscard]] bool has(const std::string& key) const;
  /// A scalar string; reports a non-scalar; nullopt when absent (and reported when required).
  std::optional<std::string> string(const std::string& key, bool required = false);
  std::string string(const std::string& key, const std::string& fallback);
  /// A duration (`10s`, `500ms`); reports a malformed or non-positive one.
  DurationMs duration(const std::string& key, DurationMs fallback);
  bool boolean(const std::string& key, bool fallback);
  /// One of `allowed`; reports anything else with a did-you-mean.
  std::string choice(const std::string& key, const std::vector<std::string>& allowed,
                     const std::string& fallback);
  /// A list of single values (`[a, b]`); `fallback` when absent, reports anything else.
  std::vector<std::string> stringList(const std::string& key, std::vector<std::string> fallback);
  /// A map of string to string (e.g. extra HTTP headers); `${ENV}` references are expanded.
  std::vector<std::pair<std::string, std::string>> stringMap(const std::string& key);
  /// A secret written as `key: value`, `key: ${ENV_VAR}` or `key_file: PATH` (first line of the
  /// file). Reports both given, a missing variable or an unreadable file — never the value.
  std::optional<std::string> secret(const std::string& key, bool required = false);
  /// A path that must name a readable file (e.g. a CA bundle).
  std::optional<std::string> readableFile(const std::string& key);

  /// Position of a key's value (or of the whole map when the key is absent).
  [[nodiscard]] SourcePos pos(const std::string& key) const;
  void error(const std::string& key, std::string message);
  void warning(const std::string& key, std::string message);
  /// True when nothing this reader (or a caller through it) reported was an error.
  [[nodiscard]] bool ok() const { return errors_ == 0; }
  [[nodiscard]] const std::string& channel() const { return ctx_.channel_name; }

 private:
  [[nodiscard]] SourcePos markOf(const YAML::Node& node) const;
  [[nodiscard]] YAML::Node get(const std::string& key) const;

  YAML::Node settings_;
  ConnectorConfigContext& ctx_;
  std::map<std::string, YAML::Node> values_;
  std::map<std::string, SourcePos> key_pos_;
  int errors_ = 0;
};

/// Expands `${NAME}` references from the environment; nullopt (with the missing name) when a
/// variable is not set.
std::optional<std::string> expandEnvironment(const std::string& text, std::string* missing_name);

}  // namespace journeyd
