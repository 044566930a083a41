#pragma once
/// Loads what the daemon runs (journeys, segments, templates, channel kinds) from the folders
/// the config names. Shared by serve (start-up and SIGHUP), validate and simulate.
#include <map>
#include <optional>
#include <string>

#include "daemon/config/config.h"
#include "daemon/planner/catalog.h"

namespace journeyd {

struct LoadedCatalog {
  CatalogPtr catalog;
  std::map<std::string, std::string> sources;  ///< journey file → its text (kept per version)
};

/// Loads everything; problems go to `diags`. Journeys with errors are left out (the caller
/// decides whether to run the rest or keep an older catalog).
LoadedCatalog loadCatalog(const Config& config, Diagnostics& diags);

/// The message kind of each configured channel, from its connector type.
std::map<std::string, Channel> channelKinds(const Config& config);

}  // namespace journeyd
