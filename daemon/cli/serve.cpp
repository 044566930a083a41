// `journeyd serve`: the composition root. It alone knows which implementations are real; it
// wires them, runs until SIGTERM/SIGINT, and reloads on SIGHUP.
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "daemon/api/api_server.h"
#include "daemon/api/metrics.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/logging.h"
#include "daemon/cli/model_fit.h"
#include "daemon/cli/store_setup.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/delivery/dispatcher.h"
#include "daemon/delivery/unsubscribe.h"
#include "daemon/scheduler/catalog_loader.h"
#include "daemon/scheduler/journey_runtime.h"

namespace journeyd {

namespace {

Result<void> applyListen(Config& cfg, const std::string& listen) {
  if (listen.empty()) return ok();
  auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
    }
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    return fail(Error::invalid("--listen must be HOST:PORT, e.g. 127.0.0.1:8700"));
  }
  cfg.http.host = listen.substr(0, colon);
  cfg.http.port = port;
  return ok();
}

/// Loads the config file and applies the command line's overrides; prints problems.
std::shared_ptr<const Config> loadServeConfig(const ServeOptions& options) {
  auto cfg = loadStoreConfig(options.store);
  if (!cfg) return nullptr;
  auto copy = std::make_shared<Config>(*cfg);
  if (auto r = applyListen(*copy, options.listen); !r) {
    std::fprintf(stderr, "journeyd: error: %s\n", r.error().message.c_str());
    return nullptr;
  }
  return copy;
}

void warnWithoutKeys(const Config& cfg) {
  if (cfg.keys.write.empty()) {
    spdlog::warn(
        "msg=\"no write keys configured: ingestion requests will be refused\" "
        "hint=\"set keys.write, keys.write_file or JOURNEYD_WRITE_KEY\"");
  }
  if (cfg.keys.admin.empty()) {
    spdlog::warn("msg=\"no admin keys configured: the admin API will refuse every request\"");
  }
  Diagnostics diags;
  warnAboutConfig(cfg, diags);
  for (const auto& d : diags.items())
    spdlog::warn("msg=\"config warning\" problem=\"{}\"", d.format());
}

/// The customer-value models `journeyd model fit` stored, if any.
std::shared_ptr<const StoredModels> loadModels(Store& store) {
  auto models = store.withSnapshot("load models",
                                   [](const Snapshot& snap) { return loadStoredModels(snap); });
  if (!models) {
    spdlog::error("msg=\"cannot load customer-value models\" error=\"{}\"", models.error().message);
    return nullptr;
  }
  if (!*models) {
    spdlog::info(
        "msg=\"no customer-value models yet: run journeyd model fit (RFM, CLV and P(alive) stay "
        "empty)\"");
    return nullptr;
  }
  spdlog::info("msg=\"customer-value models loaded\" fitted_at={} customers={}",
               formatIsoTime((*models)->fitted_at), (*models)->customers);
  return std::make_shared<const StoredModels>(**models);
}

/// The unsubscribe links' key: the configured secret, or one generated on the first start and kept.
Result<std::string> unsubscribeSecret(Store& store, const Config& config) {
  if (!config.unsubscribe.secret.empty()) return config.unsubscribe.secret;
  std::string secret;
  auto r = store.write([&](Tx& tx) -> Result<void> {
    if (auto kept = tx.journeyState().setting("unsubscribe_secret")) {
      secret = *kept;
    } else {
      secret = UnsubscribeSigner::randomSecret();
      tx.journeyState().putSetting("unsubscribe_secret", secret);
    }
    return ok();
  });
  if (!r) return fail(r.error());
  return secret;
}

/// Loads journeys, segments and templates; logs every problem. With `keep` (a reload), a catalog
/// with errors is refused and the running one stays.
CatalogPtr loadAndLogCatalog(const Config& config, LoadedCatalog& loaded, bool reload) {
  Diagnostics diags;
  loaded = loadCatalog(config, diags);
  for (const auto& d : diags.items()) {
    if (d.severity == Severity::kError) {
      spdlog::error("msg=\"invalid file\" problem=\"{}\"", d.format());
    } else {
      spdlog::warn("msg=\"file warning\" problem=\"{}\"", d.format());
    }
  }
  if (reload && diags.hasErrors()) return nullptr;
  spdlog::info("msg=\"journeys loaded\" journeys={} templates={} segments={} errors={}",
               loaded.catalog->journeys.size(),
               loaded.catalog->templates ? loaded.catalog->templates->size() : 0,
               loaded.catalog->segments.size(), diags.hasErrors());
  return loaded.catalog;
}

}  // namespace

int runServe(const ServeOptions& options) {
  auto config = loadServeConfig(options);
  if (!config) return 2;
  setupLogging(config->log);
  warnWithoutKeys(*config);

  auto opened = openConfiguredStore(*config);
  if (!opened) {
    spdlog::critical("msg=\"cannot open the store\" path=\"{}\" error=\"{}\"",
                     config->databasePath(), opened.error().message);
    return 1;
  }
  Store& store = **opened;
  spdlog::info("msg=\"store open\" store=\"{}\"", store.describe());
  SystemClock system_clock;
  std::unique_ptr<ManualClock> virtual_clock;
  if (!options.virtual_clock.empty()) {
    auto start = parseIsoTime(options.virtual_clock);
    if (!start) {
      spdlog::critical("msg=\"--virtual-clock needs an ISO-8601 time\" value=\"{}\"",
                       options.virtual_clock);
      return 2;
    }
    virtual_clock = std::make_unique<ManualClock>(*start);
    spdlog::warn(
        "msg=\"virtual clock: time moves only through POST /v1/clock (tests and demos only)\" "
        "now={}",
        formatIsoTime(*start));
  }
  const Clock& clock = virtual_clock ? static_cast<const Clock&>(*virtual_clock) : system_clock;
  CustomerWriter customers(config->orders);
  IngestMetrics metrics;

  // Channels: each connector validates its own settings once; a bad channel refuses the start.
  std::shared_ptr<const Channels> channels;
  {
    Diagnostics diags;
    channels =
        Channels::build(config->channels ? *config->channels : YAML::Node(), config->file, diags);
    for (const auto& d : diags.items()) {
      if (d.severity == Severity::kError) {
        spdlog::critical("msg=\"invalid channel\" problem=\"{}\"", d.format());
      } else {
        spdlog::warn("msg=\"channel warning\" problem=\"{}\"", d.format());
      }
    }
    if (!channels) return 2;
  }
  DispatcherOptions delivery;
  delivery.max_unrecorded = config->store.max_unrecorded_sends;
  Dispatcher dispatcher(store, *channels, clock, delivery);

  auto secret = unsubscribeSecret(store, *config);
  if (!secret) {
    spdlog::critical("msg=\"cannot read the unsubscribe secret\" error=\"{}\"",
                     secret.error().message);
    return 1;
  }
  auto unsubscribe = std::make_shared<const UnsubscribeSigner>(
      *secret,
      config->unsubscribe.base_url.empty()
          ? "http://" + config->http.host + ":" + std::to_string(config->http.port)
          : config->unsubscribe.base_url,
      config->unsubscribe.link_ttl_ms);

  RuntimeOptions runtime_options;
  runtime_options.journey_log_retention_ms = config->store.journey_log_retention_ms;
  runtime_options.on_commit = [&] { dispatcher.notify(); };
  JourneyRuntime runtime(store, clock, runtime_options);
  auto versions = std::make_shared<JourneyVersions>();
  // What plans are made with: the catalog, the fitted models, the policy and the link signer.
  auto makeContext = [&](const Config& cfg, CatalogPtr catalog) {
    auto ctx = std::make_shared<PlannerContext>();
    ctx->catalog = std::move(catalog);
    ctx->models = loadModels(store);
    ctx->policy = cfg.policy;
    ctx->unsubscribe = unsubscribe;
    ctx->versions = versions;
    return std::shared_ptr<const PlannerContext>(std::move(ctx));
  };
  LoadedCatalog loaded;
  runtime.setContext(makeContext(*config, loadAndLogCatalog(*config, loaded, false)));
  if (auto r = runtime.publish(loaded.sources); !r) {
    spdlog::error("msg=\"cannot publish the journeys\" error=\"{}\"", r.error().message);
  }
  runtime.start();
  if (auto started = dispatcher.start(); !started) {
    spdlog::critical("msg=\"cannot start the dispatcher\" error=\"{}\"", started.error().message);
    return 1;
  }

  ApiDeps deps;
  deps.store = &store;
  deps.customers = &customers;
  deps.metrics = &metrics;
  deps.clock = &clock;
  deps.runtime = &runtime;
  deps.on_change = [&] {
    runtime.notify();
    dispatcher.notify();
  };
  deps.dispatcher = &dispatcher;
  deps.virtual_clock = virtual_clock.get();
  deps.unsubscribe = unsubscribe.get();
  ApiServer api(deps, config);
  auto port = api.bind();
  if (!port) {
    spdlog::critical("msg=\"cannot listen\" error=\"{}\"", port.error().message);
    return 1;
  }
  std::thread http([&] { api.serve(); });
  spdlog::info("msg=listening addr={}:{} version={}", config->http.host, *port, JOURNEYD_VERSION);
  sd_notifyf(0, "READY=1\nSTATUS=serving on %s:%d", config->http.host.c_str(), *port);

  boost::asio::io_context io;
  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  boost::asio::signal_set hup(io, SIGHUP);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("msg=\"shutting down\" signal={}", signal);
    sd_notify(0, "STOPPING=1");
    io.stop();
  });
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      sd_notify(0, "RELOADING=1");
      auto fresh = loadServeConfig(options);
      if (fresh) {
        setupLogging(fresh->log);
        api.reload(fresh);
        LoadedCatalog reloaded;
        if (auto catalog = loadAndLogCatalog(*fresh, reloaded, true)) {
          runtime.setContext(makeContext(*fresh, catalog));
          if (auto r = runtime.publish(reloaded.sources); !r) {
            spdlog::error("msg=\"migration after reload failed\" error=\"{}\"", r.error().message);
          }
          runtime.notify();
        } else {
          spdlog::error(
              "msg=\"journeys not reloaded: fix the errors above; the running versions stay\"");
        }
        spdlog::info(
            "msg=\"reloaded\" config=\"{}\" note=\"listen, data_dir, orders and channels apply on "
            "restart\"",
            fresh->file);
      } else {
        spdlog::error("msg=\"reload failed, keeping the running configuration\" config=\"{}\"",
                      options.store.config);
      }
      sd_notify(0, "READY=1");
      wait_hup();
    });
  };
  wait_hup();

  // The watchdog means healthy: WATCHDOG=1 goes out only while the writer commits (a no-op job
  // sent at the last pet has come back), every planner thread goes round and the dispatcher
  // reads the outbox. A wedged thread stops the pets, and systemd restarts the service.
  boost::asio::steady_timer watchdog(io);
  std::uint64_t watchdog_usec = 0;
  std::future<Result<void>> writer_probe;
  std::vector<std::uint64_t> planner_beats;
  std::uint64_t claimer_beat = 0;
  bool withheld = false;
  std::function<void()> pet = [&] {
    std::string stuck;
    if (writer_probe.valid() &&
        writer_probe.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      stuck = "writer";
    }
    const auto beats = runtime.heartbeats();
    for (size_t i = 0; i < beats.size() && i < planner_beats.size(); ++i) {
      if (beats[i] == planner_beats[i])
        stuck += (stuck.empty() ? "" : ",") + std::string("planner-") + std::to_string(i);
    }
    const std::uint64_t claims = dispatcher.claimerHeartbeat();
    if (!planner_beats.empty() && claims == claimer_beat)
      stuck += (stuck.empty() ? "" : ",") + std::string("dispatcher");
    if (stuck.empty()) {
      sd_notify(0, "WATCHDOG=1");
      if (withheld) spdlog::warn("msg=\"watchdog: progress again\"");
      withheld = false;
    } else if (!withheld) {
      spdlog::error(
          "msg=\"watchdog: no progress, not petting systemd (it will restart the service)\" "
          "stuck={}",
          stuck);
      withheld = true;
    }
    planner_beats = beats;
    claimer_beat = claims;
    if (!writer_probe.valid() ||
        writer_probe.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      writer_probe = store.submit([](Tx&) -> Result<void> { return ok(); });
    }
    watchdog.expires_after(std::chrono::microseconds(watchdog_usec / 2));
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) pet();
    });
  };
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) pet();

  io.run();

  api.stop();  // stops accepting; requests in flight finish (their writes commit first)
  http.join();
  runtime.stop();
  dispatcher.stop();  // sends in flight finish and are recorded before the store stops
  store.stop();
  spdlog::info("msg=stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace journeyd
