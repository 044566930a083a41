#pragma once
/// The subcommands of the journeyd executable. Each returns the process exit status.
#include <string>
#include <vector>

#include "daemon/core/time.h"

namespace journeyd {

/// Options shared by every subcommand that uses the store.
struct StoreOptions {
  std::string config = "/etc/journeyd/journeyd.yaml";
  std::string data_dir;  ///< overrides store.data_dir
};

struct ServeOptions {
  StoreOptions store;
  std::string listen;         ///< HOST:PORT, overrides http.listen
  std::string virtual_clock;  ///< ISO time: run on a clock moved only by POST /v1/clock (tests)
};
int runServe(const ServeOptions& options);

struct ImportOptions {
  StoreOptions store;
  std::string file;  ///< .csv or .ndjson ("-" reads NDJSON from stdin)
};
int runImport(const ImportOptions& options);

struct ValidateCommand {
  std::vector<std::string> paths;
  bool ids = false;  ///< also list every step id (derived ones marked), to pin them
};
int runValidate(const ValidateCommand& cmd);

struct RenderCommand {
  std::string file;
  std::string context;
  std::string channel;  ///< email | sms | webhook; empty: the file is one Liquid template
  std::string locale;
  bool json = false;
  TimeMs now = 0;
};
int runRender(const RenderCommand& cmd);

struct SimulateCommand {
  std::vector<std::string> journeys;  ///< one or more journey files, simulated side by side
  std::string config;                 ///< optional: the delivery policy and channels to apply
  std::string customer;
  std::string events;
  std::string duration = "30d";
  std::string start;
  bool json = false;
};
int runSimulate(const SimulateCommand& cmd);

struct ExplainCommand {
  StoreOptions store;
  std::string customer;  ///< a userId, or email:…, phone:…, anon:…, id:N
  std::string journey;   ///< empty: every journey
  bool json = false;
};
int runExplain(const ExplainCommand& cmd);

struct ReportCommand {
  StoreOptions store;
  std::string journey;  ///< empty: every journey
  bool json = false;
};
int runReport(const ReportCommand& cmd);

}  // namespace journeyd
