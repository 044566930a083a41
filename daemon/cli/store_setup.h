#pragma once
/// Config loading shared by the subcommands that use the store.
#include <memory>

#include "daemon/cli/commands.h"
#include "daemon/config/config.h"
#include "daemon/store/store.h"

namespace journeyd {

/// Loads the config named by the options (printing FILE:LINE:COL problems to stderr) and applies
/// --data. nullptr on error.
std::shared_ptr<const Config> loadStoreConfig(const StoreOptions& options);

struct OpenStore {
  std::shared_ptr<const Config> config;
  std::unique_ptr<Store> store;
};

/// Loads the config and opens its store (the CLI subcommands that read or write the store
/// while the daemon may run); read-only: snapshots only. On failure, after saying why on stderr,
/// the exit status: 2 for a bad config, 1 for a store that cannot be opened.
tl::expected<OpenStore, int> openStore(const StoreOptions& options, bool read_only);

/// Opens the store a config names (the backend the config chooses).
Result<std::unique_ptr<Store>> openConfiguredStore(const Config& config, bool read_only = false);

}  // namespace journeyd
