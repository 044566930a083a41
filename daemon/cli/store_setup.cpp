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

}  // namespace journeyd
