#pragma once
/// Config loading shared by the subcommands that use the store.
#include <memory>

#include "daemon/cli/commands.h"
#include "daemon/config/config.h"

namespace journeyd {

/// Loads the config named by the options (printing FILE:LINE:COL problems to stderr) and applies
/// --data. nullptr on error.
std::shared_ptr<const Config> loadStoreConfig(const StoreOptions& options);

}  // namespace journeyd
