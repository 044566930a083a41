#include "daemon/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "daemon/cli/commands.h"
#include "daemon/cli/model_fit.h"
#include "daemon/core/clock.h"

namespace journeyd {

namespace {
void addStoreOptions(CLI::App* cmd, StoreOptions& store) {
  cmd->add_option("--config", store.config, "config file")->capture_default_str();
  cmd->add_option("--data", store.data_dir,
                  "folder for the database and other state (overrides store.data_dir)");
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
  serve_cmd->add_option(
      "--virtual-clock", serve.virtual_clock,
      "start a virtual clock at this ISO time, moved only by POST /v1/clock (tests, demos)");

  ImportOptions import;
  auto* import_cmd =
      app.add_subcommand("import", "bulk import customers (.csv) or Segment messages (.ndjson)");
  addStoreOptions(import_cmd, import.store);
  import_cmd
      ->add_option("FILE", import.file,
                   ".csv (header row = trait names; id, email, phone columns) or .ndjson")
      ->required();

  ValidateCommand validate;
  auto* validate_cmd =
      app.add_subcommand("validate", "check config, journey, segment and template files");
  validate_cmd->add_option("PATH", validate.paths, "files or folders (folders are walked)")
      ->required();
  validate_cmd->add_flag("--ids", validate.ids,
                         "also list every step id (derived ids marked) so you can pin them");

  RenderCommand render;
  std::string render_now;
  auto* render_cmd = app.add_subcommand("render", "preview a template with a context");
  render_cmd
      ->add_option("TEMPLATE_FILE", render.file, "a message template (.yaml) or a Liquid file")
      ->required();
  render_cmd
      ->add_option("--context", render.context, "JSON file whose top-level keys are the variables")
      ->required();
  render_cmd->add_option("--channel", render.channel, "email | sms | webhook")
      ->check(CLI::IsMember({"email", "sms", "webhook"}));
  render_cmd->add_option("--locale", render.locale,
                         "locale variant, e.g. zh-CN (default: the customer's)");
  render_cmd->add_option("--now", render_now,
                         "ISO time used for 'now' in date filters (default: the real now)");
  render_cmd->add_flag("--json", render.json, "print the rendered parts as one JSON object");

  SimulateCommand simulate;
  auto* simulate_cmd =
      app.add_subcommand("simulate", "run one customer through journeys on a virtual clock");
  simulate_cmd
      ->add_option("JOURNEY_FILE", simulate.journeys,
                   "journey files (several: their messages meet the delivery policy together)")
      ->required();
  simulate_cmd->add_option(
      "--config", simulate.config,
      "apply this config's delivery policy (caps, quiet hours, holdout) and channels");
  simulate_cmd
      ->add_option("--customer", simulate.customer,
                   "customer JSON (traits, email, orders_count, ...)")
      ->required();
  simulate_cmd->add_option(
      "--events", simulate.events,
      "NDJSON events: {\"event\": NAME, \"after\": \"2d\", \"properties\": {...}}");
  simulate_cmd->add_option("--for", simulate.duration, "how long to run the timeline")
      ->capture_default_str();
  simulate_cmd->add_option("--start", simulate.start,
                           "ISO time the timeline starts (default: now)");
  simulate_cmd->add_flag("--json", simulate.json,
                         "NDJSON: one object per timeline line, then a summary");

  ExplainCommand explain;
  auto* explain_cmd =
      app.add_subcommand("explain", "why a customer did or did not get a journey's messages");
  addStoreOptions(explain_cmd, explain.store);
  explain_cmd
      ->add_option("CUSTOMER", explain.customer, "a userId, or email:…, phone:…, anon:…, id:N")
      ->required();
  explain_cmd->add_option("JOURNEY_ID", explain.journey,
                          "one journey (default: every journey they met)");
  explain_cmd->add_flag("--json", explain.json, "print JSON");

  ReportCommand report;
  auto* report_cmd = app.add_subcommand("report", "funnel and results per journey");
  addStoreOptions(report_cmd, report.store);
  report_cmd->add_option("JOURNEY_ID", report.journey,
                         "one journey (default: all), or 'segments' for tier sizes and moves");
  report_cmd->add_flag("--json", report.json, "print JSON");

  ModelFitCommand model_fit;
  auto* model_cmd = app.add_subcommand("model", "customer-value models (BG/NBD, Gamma-Gamma, RFM)");
  model_cmd->require_subcommand(1);
  auto* model_fit_cmd =
      model_cmd->add_subcommand("fit", "fit the models on the stored orders and store them");
  addStoreOptions(model_fit_cmd, model_fit.store);
  model_fit_cmd->add_option("--as-of", model_fit.as_of,
                            "YYYY-MM-DD (orders on or before that day) or ISO time (default: now)");
  model_fit_cmd
      ->add_option("--unit", model_fit.unit,
                   "time unit of the printed BG/NBD figures (stored in days)")
      ->check(CLI::IsMember({"days", "weeks"}))
      ->capture_default_str();
  model_fit_cmd->add_flag("--json", model_fit.json, "print JSON");

  auto* version_cmd = app.add_subcommand("version", "print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*serve_cmd) return runServe(serve);
  if (*import_cmd) return runImport(import);
  if (*validate_cmd) return runValidate(validate);
  if (*render_cmd) {
    SystemClock clock;
    render.now = clock.now();
    if (!render_now.empty()) {
      auto t = parseIsoTime(render_now);
      if (!t) {
        std::fprintf(stderr, "journeyd: error: --now must be an ISO-8601 time\n");
        return 2;
      }
      render.now = *t;
    }
    return runRender(render);
  }
  if (*simulate_cmd) {
    if (simulate.start.empty()) simulate.start = formatIsoTime(SystemClock().now());
    return runSimulate(simulate);
  }
  if (*report_cmd) return runReport(report);
  if (*explain_cmd) return runExplain(explain);
  if (*model_fit_cmd) return runModelFit(model_fit);
  if (*version_cmd) {
    std::printf("journeyd %s\n", JOURNEYD_VERSION);
    return 0;
  }
  return 2;
}

}  // namespace journeyd
