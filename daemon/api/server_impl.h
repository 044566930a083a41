#pragma once
/// Internal to daemon/api/: the server's state and the helpers every route file uses.
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "daemon/api/api_server.h"
#include "daemon/api/metrics.h"
#include "daemon/api/metrics_page.h"
#include "daemon/store/store.h"

namespace journeyd {

void sendJson(httplib::Response& res, int status, const nlohmann::json& body);
void sendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message, const std::string& field = {});
/// The status and body for an Error (400, 401, 404, 409, 413, 503, 500).
void sendError(httplib::Response& res, const Error& e);
/// The request body as JSON; an InvalidArgument error saying where it is malformed.
Result<nlohmann::json> parseBody(const httplib::Request& req);

struct ApiServer::Impl {
  ApiDeps deps;
  std::mutex config_mutex;
  std::shared_ptr<const Config> config;
  httplib::Server server;
  int port = 0;
  std::unique_ptr<LiveFiguresCache> live;  ///< the store's gauges for GET /metrics

  std::shared_ptr<const Config> currentConfig() {
    std::lock_guard lock(config_mutex);
    return config;
  }
  /// Checks the API key (write or admin); answers 401 and returns false without one.
  bool authorize(const httplib::Request& req, httplib::Response& res, bool admin);
  /// Whether a snapshot can be read (for /readyz and journeyd_ready).
  bool storeReadable();
  void changed() {
    if (deps.on_change) deps.on_change();
  }

  void ingestRoutes();
  void healthRoutes();
  void customerRoutes();
  void journeyRoutes();
  void suppressionRoutes();
  void clockRoutes();
  void unsubscribeRoutes();
  void inboundSmsRoutes();
};

}  // namespace journeyd
