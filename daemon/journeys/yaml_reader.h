#pragma once
/// Reads typed values out of a parsed YAML document while collecting every problem as a
/// `FILE:LINE:COL` diagnostic pointing at the offending node. Used by the journey and segment
/// loaders; never throws.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/diagnostic.h"
#include "daemon/core/time.h"
#include "daemon/journeys/journey.h"

namespace journeyd {

/// One file being read: its name and text (for exact positions) and where problems go.
class YamlReader {
 public:
  YamlReader(std::string file, std::string_view text, Diagnostics& diagnostics)
      : file_(std::move(file)), text_(text), diagnostics_(diagnostics) {}

  [[nodiscard]] SourcePos pos(const YAML::Node& node) const;
  void error(const YAML::Node& node, std::string message);
  void error(const SourcePos& pos, std::string message) {
    diagnostics_.error(pos, std::move(message));
  }
  void warning(const YAML::Node& node, std::string message);

  /// False (and an error) when the node is not a map.
  bool expectMap(const YAML::Node& node, std::string_view what);
  /// An error with a did-you-mean hint for each key of `map` not in `allowed`.
  void checkKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                 std::string_view where);

  [[nodiscard]] std::optional<std::string> string(const YAML::Node& node, std::string_view what);
  [[nodiscard]] std::optional<DurationMs> duration(const YAML::Node& node);
  [[nodiscard]] std::optional<double> number(const YAML::Node& node, std::string_view what);
  [[nodiscard]] std::optional<bool> boolean(const YAML::Node& node, std::string_view what);
  /// A scalar or a list of scalars.
  [[nodiscard]] std::vector<std::string> stringList(const YAML::Node& node, std::string_view what);
  /// Compiles a condition/value written as a scalar; null (with diagnostics) when it fails.
  [[nodiscard]] ExprPtr expression(const YAML::Node& node, const CompileOptions& options);
  /// Plain data as JSON: unquoted scalars become numbers/booleans/null where they read as such.
  [[nodiscard]] nlohmann::json toJson(const YAML::Node& node) const;

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] Diagnostics& diagnostics() { return diagnostics_; }

 private:
  std::string file_;
  std::string_view text_;
  Diagnostics& diagnostics_;
};

/// Parses a whole journey document (the root node of a file with a `journey:` key).
[[nodiscard]] JourneyPtr parseJourneyDocument(const YAML::Node& root, YamlReader& reader,
                                              const JourneyCatalog& known);

/// Reads the delivery-rule keys (category, topic, send_window, when_capped) of a journey or a
/// send step into `rules`, leaving the fields it does not find alone.
void parseMessageRules(const YAML::Node& node, YamlReader& reader, MessageRules& rules);

/// Parses the `steps:` list into journey.steps (flattened and linked).
void parseSteps(const YAML::Node& steps, YamlReader& reader, const JourneyCatalog& known,
                Journey& journey);

}  // namespace journeyd
