// The server: set-up, authentication, Segment ingestion, health and metrics. Admin routes are in
// admin_routes.cpp, the consent pages (unsubscribe links, inbound SMS) in consent_routes.cpp.
#include "daemon/api/api_server.h"

#include <spdlog/spdlog.h>

#include "daemon/api/prometheus.h"
#include "daemon/api/server_impl.h"
#include "daemon/core/base64.h"
#include "daemon/core/json_input.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/scheduler/journey_runtime.h"

namespace journeyd {

using json = nlohmann::json;

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message, const std::string& field) {
  json err = {{"code", code}, {"message", message}};
  err["field"] = field.empty() ? json() : json(field);
  sendJson(res, status, json{{"error", err}});
}

namespace {

/// How stale the store's gauges in /metrics may be: reading them walks the due outbox rows and
/// the enrollments in flight, which a scrape every second should not pay for each time.
constexpr std::chrono::milliseconds kLiveFiguresMaxAge{5000};

int statusFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kStorage:
      return 503;
  }
  return 500;
}

/// The API key a request presents: Basic (key as user name, empty password, as Segment sends
/// its write key) or Bearer.
std::string presentedKey(const httplib::Request& req) {
  const auto& auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  if (auth.rfind("Basic ", 0) == 0) {
    const std::string decoded = base64Decode(auth.substr(6)).value_or("");
    return decoded.substr(0, decoded.find(':'));
  }
  return {};
}

/// Compares without an early exit, so timing does not reveal how much of a key matched.
bool keyIn(const std::string& key, const std::vector<std::string>& keys) {
  bool found = false;
  for (const auto& k : keys) {
    unsigned diff = static_cast<unsigned>(k.size() ^ key.size());
    for (size_t i = 0; i < k.size(); ++i)
      diff |= static_cast<unsigned>(k[i] ^ (i < key.size() ? key[i] : 0));
    found |= (diff == 0 && !key.empty());
  }
  return found;
}

}  // namespace

void sendError(httplib::Response& res, const Error& e) {
  sendError(res, statusFor(e), errorCodeName(e.code), e.message, e.field);
}

Result<json> parseBody(const httplib::Request& req) {
  if (req.body.empty()) return fail(Error::invalid("the request body is empty; expected JSON", ""));
  if (auto at = invalidUtf8(req.body)) {
    return fail(
        Error::invalid("the body is not UTF-8: invalid byte at " + std::to_string(*at), ""));
  }
  if (auto at = jsonTooDeep(req.body)) {
    return fail(Error::invalid("JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                   " levels at byte " + std::to_string(*at),
                               ""));
  }
  try {
    return json::parse(req.body);
  } catch (const json::parse_error& e) {
    const std::string what = e.what();
    return fail(Error::invalid(
        "malformed JSON at byte " + std::to_string(e.byte) + ": " + what.substr(what.find(':') + 2),
        ""));
  }
}

bool ApiServer::Impl::authorize(const httplib::Request& req, httplib::Response& res, bool admin) {
  auto cfg = currentConfig();
  const auto key = presentedKey(req);
  if (keyIn(key, admin ? cfg->keys.admin : cfg->keys.write)) return true;
  ++deps.metrics->unauthorized;
  res.set_header("WWW-Authenticate", admin ? "Bearer" : "Basic realm=\"journeyd\"");
  sendError(res, 401, "unauthorized",
            key.empty()
                ? "an API key is required (Basic with the write key as user name, or Bearer)"
                : std::string("the API key is not valid for this endpoint") +
                      (admin ? " (admin key required)" : " (write key required)"));
  return false;
}

void ApiServer::Impl::ingestRoutes() {
  // Applies the messages in one write job: all of them or (on a store error) none. The journey
  // work they cause is queued in the same transaction; the planners take it from there.
  auto ingest = [this](std::vector<InboundMessage> messages, httplib::Response& res) {
    auto* metrics = deps.metrics;
    auto result = deps.store->write([&](Tx& tx) -> Result<void> {
      for (const auto& m : messages) {
        auto applied = deps.customers->apply(tx, m);
        if (!applied) return fail(applied.error());
        if (applied->duplicate) ++metrics->duplicates;
        if (deps.runtime) deps.runtime->queueWork(tx, *applied, m);
      }
      return ok();
    });
    if (!result) {
      ++metrics->store_failures;
      spdlog::error("msg=\"ingest failed\" error=\"{}\"", result.error().message);
      const bool storage = result.error().storage();
      return sendError(
          res, 503, "unavailable",
          storage ? "the store could not save the data (" +
                        result.error().message.substr(0, result.error().message.find(':')) +
                        "); retry later"
                  : "the store could not save the data; retry");
    }
    changed();
    json answer = {{"success", true}};
    for (const auto& m : messages) {
      ++metrics->messages_by_type[static_cast<size_t>(m.type)];
      if (!m.warning.empty())
        answer["warnings"].push_back({{"field", m.warning_field}, {"message", m.warning}});
    }
    sendJson(res, 200, answer);
  };
  auto reject = [this](httplib::Response& res, const Error& e) {
    ++deps.metrics->rejected;
    sendError(res, e);
  };
  for (auto [path, type] : {std::pair{"/v1/identify", "identify"},
                            {"/v1/track", "track"},
                            {"/v1/page", "page"},
                            {"/v1/screen", "screen"},
                            {"/v1/alias", "alias"},
                            {"/v1/group", "group"},
                            {"/v1/batch", "batch"},
                            {"/v1/import", "batch"}}) {
    server.Post(path,
                [this, type, ingest, reject](const httplib::Request& req, httplib::Response& res) {
                  ++deps.metrics->requests;
                  if (!authorize(req, res, false)) return;
                  auto body = parseBody(req);
                  if (!body) return reject(res, body.error());
                  const TimeMs now = deps.clock->now();
                  std::vector<InboundMessage> messages;
                  if (std::string_view(type) == "batch") {
                    auto batch = parseSegmentBatch(*body, now);
                    if (!batch) return reject(res, batch.error());
                    messages = std::move(*batch);
                  } else {
                    auto m = parseSegmentMessage(*body, type, now);
                    if (!m) return reject(res, m.error());
                    messages.push_back(std::move(*m));
                  }
                  ingest(std::move(messages), res);
                });
  }
}

void ApiServer::Impl::healthRoutes() {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, json{{"status", "ok"}});
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool store_ok = storeReadable();
    // A store that reads but cannot write (a full disk, a failing device) is not ready either.
    const std::string problem = deps.store->writeProblem();
    const bool ready = store_ok && problem.empty() && (!deps.ready || deps.ready());
    json body = {{"status", ready ? "ready" : "not ready"}, {"store", store_ok && problem.empty()}};
    if (!problem.empty()) body["reason"] = problem;
    sendJson(res, ready ? 200 : 503, body);
  });
  server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (currentConfig()->http.metrics_require_key && !authorize(req, res, true)) return;
    MetricsSources sources;
    sources.ingest = deps.metrics;
    sources.store = deps.store;
    sources.runtime = deps.runtime;
    sources.dispatcher = deps.dispatcher;
    sources.live = live.get();
    sources.ready =
        storeReadable() && deps.store->writeProblem().empty() && (!deps.ready || deps.ready());
    std::string text = metricsPage(sources);
    if (deps.extra_metrics) {
      PrometheusText more;
      deps.extra_metrics(more);
      text += more.text();
    }
    res.set_content(text, "text/plain; version=0.0.4");
  });
}

bool ApiServer::Impl::storeReadable() {
  return deps.store
      ->withSnapshot("ready",
                     [](const Snapshot& s) -> Result<void> {
                       (void)s.customers().exists(0);
                       return ok();
                     })
      .has_value();
}

ApiServer::ApiServer(ApiDeps deps, std::shared_ptr<const Config> config)
    : impl_(std::make_unique<Impl>()) {
  impl_->deps = std::move(deps);
  impl_->config = std::move(config);
  if (impl_->deps.store && impl_->deps.clock) {
    impl_->live = std::make_unique<LiveFiguresCache>(*impl_->deps.store, *impl_->deps.clock,
                                                     kLiveFiguresMaxAge);
  }
  const auto& http = impl_->config->http;
  const int threads = http.threads > 0 ? http.threads : 128;
  impl_->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->server.set_keep_alive_max_count(http.keep_alive_max_requests);
  impl_->server.set_keep_alive_timeout(30);
  impl_->server.set_payload_max_length(http.max_body_bytes);
  impl_->server.set_tcp_nodelay(true);
  impl_->server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 413) {
          sendError(res, 413, "too_large", "the request body is larger than the configured limit");
        } else if (res.status == 404) {
          sendError(res, 404, "not_found", "no such endpoint");
        } else {
          sendError(res, res.status, "http_" + std::to_string(res.status), "request failed");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  impl_->ingestRoutes();
  impl_->healthRoutes();
  // The explain route comes before the profile route, whose pattern would take "/explain" as part
  // of the id.
  impl_->customerRoutes();
  impl_->journeyRoutes();
  impl_->suppressionRoutes();
  impl_->clockRoutes();
  impl_->unsubscribeRoutes();
  impl_->inboundSmsRoutes();
}

ApiServer::~ApiServer() { stop(); }

Result<int> ApiServer::bind() {
  const auto& http = impl_->config->http;
  int port = http.port;
  if (port == 0) {
    port = impl_->server.bind_to_any_port(http.host);
  } else if (!impl_->server.bind_to_port(http.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return fail(Error::unavailable("cannot listen on " + http.host + ":" +
                                   std::to_string(http.port) +
                                   " (address in use or not available)"));
  }
  impl_->port = port;
  return port;
}

void ApiServer::serve() { impl_->server.listen_after_bind(); }

void ApiServer::stop() {
  if (impl_ && impl_->server.is_running()) impl_->server.stop();
}

void ApiServer::reload(std::shared_ptr<const Config> config) {
  std::lock_guard lock(impl_->config_mutex);
  impl_->config = std::move(config);
}

}  // namespace journeyd
