#pragma once
/// Loads journey and segment files: parses YAML, validates every part, compiles expressions and
/// reports each problem as `FILE:LINE:COL: error: MESSAGE`. The only part of the journeys module
/// that reads files; everything it returns is immutable.
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/diagnostic.h"
#include "daemon/journeys/journey.h"

namespace journeyd {

/// Everything found in a folder of journey and segment files.
struct JourneyDefinitions {
  std::vector<JourneyPtr> journeys;  ///< only those without errors
  std::vector<SegmentDefinition> segments;
  std::vector<ScoreDefinition> scores;
};

/// Parses the text of one file (a journey, or a `segments:`/`scores:` file) named `file` in
/// diagnostics. Problems go to `diagnostics`; a journey with errors is left out.
[[nodiscard]] JourneyDefinitions loadDefinitionsText(std::string_view text, const std::string& file,
                                                     const JourneyCatalog& known,
                                                     Diagnostics& diagnostics);

/// One journey from text; nullptr when it has errors (or is not a journey file).
[[nodiscard]] JourneyPtr loadJourneyText(std::string_view text, const std::string& file,
                                         const JourneyCatalog& known, Diagnostics& diagnostics);

/// Every `*.yaml`/`*.yml` file under `path` (a folder, walked recursively in name order, or one
/// file). Checks across files: duplicate journey ids, duplicate segment names, segment triggers
/// naming a segment that is declared nowhere (when any segment is known).
[[nodiscard]] JourneyDefinitions loadDefinitions(const std::string& path,
                                                 const JourneyCatalog& known,
                                                 Diagnostics& diagnostics);

/// The journeys of loadDefinitions().
[[nodiscard]] std::vector<JourneyPtr> loadJourneys(const std::string& path,
                                                   const JourneyCatalog& known,
                                                   Diagnostics& diagnostics);

/// One line per step, `FILE:LINE:COL: note: step ID (KIND)` plus `, derived from its position`
/// for ids not given in the file: what `validate --ids` prints, so marketers can pin them.
[[nodiscard]] std::vector<std::string> describeStepIds(const Journey& journey);

}  // namespace journeyd
