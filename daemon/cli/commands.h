#pragma once
/// The subcommands of the journeyd executable. Each returns the process exit status.
#include <string>
#include <vector>

namespace journeyd {

/// Options shared by every subcommand that uses the store.
struct StoreOptions {
  std::string config = "/etc/journeyd/journeyd.yaml";
  std::string data_dir;  ///< overrides store.data_dir
};

struct ServeOptions {
  StoreOptions store;
  std::string listen;  ///< HOST:PORT, overrides http.listen
  std::string virtual_clock;  ///< ISO time: run on a clock moved only by POST /v1/clock (tests)
};
int runServe(const ServeOptions& options);

struct ImportOptions {
  StoreOptions store;
  std::string file;  ///< .csv or .ndjson ("-" reads NDJSON from stdin)
};
int runImport(const ImportOptions& options);

int runValidate(const std::vector<std::string>& paths);

}  // namespace journeyd
