#include "daemon/cli/store_setup.h"

#include <cstdio>

#include "daemon/customers/inbound_message.h"
#include "daemon/store/sqlite_store.h"

namespace journeyd {

std::shared_ptr<const Config> loadStoreConfig(const StoreOptions& options) {
  Diagnostics diags;
  auto cfg = loadConfig(options.config, diags);
  if (!diags.empty()) std::fputs(diags.format().c_str(), stderr);
  if (!cfg) return nullptr;
  setDefaultPhoneRegion(cfg->customers.default_region);
  if (options.data_dir.empty()) return cfg;
  auto copy = std::make_shared<Config>(*cfg);
  copy->store.data_dir = options.data_dir;
  return copy;
}

Result<std::unique_ptr<Store>> openConfiguredStore(const Config& config, bool read_only) {
  if (read_only) return openSqliteStoreReadOnly(config.databasePath());
  return openSqliteStore(
      {config.databasePath(), config.store.synchronous, config.store.group_commit_max});
}

tl::expected<OpenStore, int> openStore(const StoreOptions& options, bool read_only) {
  auto config = loadStoreConfig(options);
  if (!config) return tl::unexpected(2);
  auto store = openConfiguredStore(*config, read_only);
  if (!store) {
    std::fprintf(stderr, "journeyd: error: %s\n", store.error().message.c_str());
    return tl::unexpected(1);
  }
  return OpenStore{std::move(config), std::move(*store)};
}

}  // namespace journeyd
