#include "daemon/cli/store_setup.h"

#include <cstdio>

namespace journeyd {

std::shared_ptr<const Config> loadStoreConfig(const StoreOptions& options) {
  Diagnostics diags;
  auto cfg = loadConfig(options.config, diags);
  if (!diags.empty()) std::fputs(diags.format().c_str(), stderr);
  if (!cfg) return nullptr;
  if (options.data_dir.empty()) return cfg;
  auto copy = std::make_shared<Config>(*cfg);
  copy->store.data_dir = options.data_dir;
  return copy;
}

tl::expected<OpenStore, int> openStore(const StoreOptions& options, bool read_only) {
  auto config = loadStoreConfig(options);
  if (!config) return tl::unexpected(2);
  auto db = Database::open({config->databasePath(), config->store.synchronous, read_only});
  if (!db) {
    std::fprintf(stderr, "journeyd: error: %s\n", db.error().message.c_str());
    return tl::unexpected(1);
  }
  return OpenStore{std::move(config), std::move(*db)};
}

}  // namespace journeyd
