#include "daemon/cli/cli.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "daemon/cli/commands.h"

namespace journeyd {

namespace {
void addStoreOptions(CLI::App* cmd, StoreOptions& store) {
  cmd->add_option("--config", store.config, "config file")->capture_default_str();
  cmd->add_option("--data", store.data_dir, "folder for the database and other state (overrides store.data_dir)");
}
}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{"journeyd — marketing-automation journey orchestrator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("journeyd ") + JOURNEYD_VERSION);

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "run the daemon");
  addStoreOptions(serve_cmd, serve.store);
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (overrides http.listen)");
  serve_cmd->add_option("--virtual-clock", serve.virtual_clock,
                        "start a virtual clock at this ISO time, moved only by POST /v1/clock (tests, demos)");

  ImportOptions import;
  auto* import_cmd = app.add_subcommand("import", "bulk import customers (.csv) or Segment messages (.ndjson)");
  addStoreOptions(import_cmd, import.store);
  import_cmd->add_option("FILE", import.file, ".csv (header row = trait names; id, email, phone columns) or .ndjson")
      ->required();

  std::vector<std::string> validate_paths;
  auto* validate_cmd = app.add_subcommand("validate", "check config, journey, segment and template files");
  validate_cmd->add_option("PATH", validate_paths, "files or folders (folders are walked)")->required();

  auto* version_cmd = app.add_subcommand("version", "print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*serve_cmd) return runServe(serve);
  if (*import_cmd) return runImport(import);
  if (*validate_cmd) return runValidate(validate_paths);
  if (*version_cmd) {
    std::printf("journeyd %s\n", JOURNEYD_VERSION);
    return 0;
  }
  return 2;
}

}  // namespace journeyd
