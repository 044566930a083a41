// The admin API (admin key): customers, journeys, the suppression list, the virtual clock and
// the daemon's status. Each route parses, calls the owning module, and maps the result.
#include <spdlog/spdlog.h>

#include "daemon/api/server_impl.h"
#include "daemon/core/time_zone.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/planner/customer_view.h"
#include "daemon/scheduler/journey_runtime.h"
#include "daemon/scheduler/report.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

/// The customer an admin path names (a userId, email:…, phone:…, anon:…, id:N); NotFound when none.
Result<CustomerId> customerFromPath(const Snapshot& snapshot, const std::string& spec) {
  const CustomerId id = findCustomerBySpec(snapshot.customers(), spec);
  if (id == 0) return fail(Error::notFound("no customer " + spec));
  return id;
}

}  // namespace

void ApiServer::Impl::customerRoutes() {
  server.Get(R"(/v1/customers/(.+)/explain)",
             [this](const httplib::Request& req, httplib::Response& res) {
               if (!authorize(req, res, true)) return;
               auto explanation =
                   deps.store->withSnapshot("explain", [&](const Snapshot& snap) -> Result<json> {
                     auto id = customerFromPath(snap, req.matches[1].str());
                     if (!id) return fail(id.error());
                     return explainCustomer(snap, *id, req.get_param_value("journey"));
                   });
               if (!explanation) return sendError(res, explanation.error());
               if (req.get_param_value("format") == "text") {
                 res.set_content(formatExplanation(*explanation), "text/plain; charset=utf-8");
                 return;
               }
               sendJson(res, 200, *explanation);
             });
  server.Get(R"(/v1/customers/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    auto ctx = deps.runtime ? deps.runtime->context() : nullptr;
    const TimeMs now = deps.clock->now();
    auto profile =
        deps.store->withSnapshot("read customer", [&](const Snapshot& snap) -> Result<json> {
          auto id = customerFromPath(snap, req.matches[1].str());
          if (!id) return fail(id.error());
          auto profile = snap.customers().profile(*id, 50);
          if (!profile) return fail(Error::notFound("no such customer"));
          const json journeys = snap.reports().customerJourneys(*id, 50);
          (*profile)["enrollments"] = journeys["enrollments"];
          (*profile)["messages"] = journeys["messages"];
          (*profile)["segments"] = journeys["segments"];
          // The computed values journeys and segments see (RFM, CLV, P(alive), LTV, lifecycle).
          if (auto record = snap.customers().load(*id)) {
            const json view =
                customerJson(*record, snap.customers(), ctx ? ctx->models.get() : nullptr, now,
                             ctx && ctx->catalog ? &ctx->catalog->scores : nullptr,
                             ctx ? findTimeZone(ctx->policy.timezone) : nullptr);
            json computed = json::object();
            for (const char* key : {"rfm", "p_alive", "churn_risk", "expected_orders_90d",
                                    "clv_12m", "ltv", "lifecycle", "scores"}) {
              if (view.contains(key)) computed[key] = view[key];
            }
            (*profile)["computed"] = std::move(computed);
          }
          return std::move(*profile);
        });
    if (!profile) return sendError(res, profile.error());
    sendJson(res, 200, *profile);
  });
  server.Delete(R"(/v1/customers/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorize(req, res, true)) return;
                  const std::string spec = req.matches[1].str();
                  CustomerId erased = 0;
                  auto result = deps.store->write([&](Tx& tx) -> Result<void> {
                    erased = findCustomerBySpec(tx.customers(), spec);
                    if (erased == 0 || !tx.customers().erase(erased))
                      return fail(Error::notFound("no customer " + spec));
                    return ok();
                  });
                  if (!result) return sendError(res, result.error());
                  spdlog::info("msg=\"customer erased\" customer_id={}", erased);
                  sendJson(res, 200, json{{"erased", true}, {"id", erased}});
                });
}

void ApiServer::Impl::journeyRoutes() {
  auto findJourney = [this](const std::string& id, httplib::Response& res) -> JourneyPtr {
    auto ctx = deps.runtime ? deps.runtime->context() : nullptr;
    auto journey = ctx && ctx->catalog ? ctx->catalog->find(id) : nullptr;
    if (!journey) sendError(res, 404, "not_found", "no journey " + id);
    return journey;
  };
  auto summary = [](const Snapshot& snap, const std::set<std::string>& paused,
                    const Journey& j) -> json {
    return {{"id", j.id},
            {"name", j.name},
            {"description", j.description},
            {"version", j.version},
            {"file", j.file},
            {"trigger", triggerKindName(j.trigger.kind)},
            {"paused", paused.count(j.id) > 0},
            {"priority", j.priority},
            {"enrollments", snap.reports().enrollmentCounts(j.id)}};
  };
  server.Get("/v1/journeys", [this, summary](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    auto ctx = deps.runtime ? deps.runtime->context() : nullptr;
    auto list =
        deps.store->withSnapshot("list journeys", [&](const Snapshot& snap) -> Result<json> {
          json out = json::array();
          const auto paused = snap.journeyState().paused();
          for (const auto& j :
               ctx && ctx->catalog ? ctx->catalog->journeys : std::vector<JourneyPtr>{}) {
            out.push_back(summary(snap, paused, *j));
          }
          return out;
        });
    if (!list) return sendError(res, list.error());
    sendJson(res, 200, json{{"journeys", *list}});
  });
  server.Get(R"(/v1/journeys/([^/]+))", [this, findJourney, summary](const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    auto journey = findJourney(req.matches[1].str(), res);
    if (!journey) return;
    auto body = deps.store->withSnapshot("read journey", [&](const Snapshot& snap) -> Result<json> {
      return summary(snap, snap.journeyState().paused(), *journey);
    });
    if (!body) return sendError(res, body.error());
    json steps = json::array();
    for (const auto& step : journey->steps) {
      steps.push_back(
          {{"id", step.id}, {"kind", stepKindName(step.kind)}, {"line", step.pos.line}});
    }
    (*body)["steps"] = steps;
    sendJson(res, 200, *body);
  });
  server.Get(R"(/v1/journeys/([^/]+)/report)",
             [this, findJourney](const httplib::Request& req, httplib::Response& res) {
               if (!authorize(req, res, true)) return;
               if (!findJourney(req.matches[1].str(), res)) return;
               auto report = deps.store->withSnapshot(
                   "journey report", [&](const Snapshot& snap) -> Result<json> {
                     return snap.reports().journey(req.matches[1].str());
                   });
               if (!report) return sendError(res, report.error());
               sendJson(res, 200, *report);
             });
  server.Post(R"(/v1/journeys/([^/]+)/enroll)",
              [this, findJourney](const httplib::Request& req, httplib::Response& res) {
                if (!authorize(req, res, true)) return;
                auto journey = findJourney(req.matches[1].str(), res);
                if (!journey) return;
                auto body = parseBody(req);
                if (!body) return sendError(res, body.error());
                if (!body->is_object())
                  return sendError(res, 400, "invalid_argument", "the body must be a JSON object");
                const std::string spec = body->value("userId", "");
                if (spec.empty())
                  return sendError(res, 400, "invalid_argument", "userId is required", "userId");
                const json data = body->value("data", json::object());
                if (!data.is_object())
                  return sendError(res, 400, "invalid_argument", "data must be an object", "data");
                auto customer = deps.store->withSnapshot(
                    "find customer", [&](const Snapshot& snap) -> Result<CustomerId> {
                      return customerFromPath(snap, spec);
                    });
                if (!customer) return sendError(res, customer.error());
                auto enrollment = deps.runtime->enroll(journey->id, *customer, data);
                if (!enrollment) return sendError(res, enrollment.error());
                changed();
                sendJson(res, 200, json{{"enrolled", true}, {"enrollment_id", *enrollment}});
              });
  for (const char* action : {"pause", "resume"}) {
    const bool pause = std::string_view(action) == "pause";
    server.Post(std::string(R"(/v1/journeys/([^/]+)/)") + action,
                [this, pause, findJourney](const httplib::Request& req, httplib::Response& res) {
                  if (!authorize(req, res, true)) return;
                  auto journey = findJourney(req.matches[1].str(), res);
                  if (!journey) return;
                  const TimeMs now = deps.clock->now();
                  auto result = deps.store->write([&](Tx& tx) -> Result<void> {
                    tx.journeyState().setPaused(journey->id, pause, now);
                    return ok();
                  });
                  if (!result) return sendError(res, result.error());
                  spdlog::info("msg=\"journey {}\" journey={}", pause ? "paused" : "resumed",
                               journey->id);
                  changed();
                  sendJson(res, 200, json{{"journey", journey->id}, {"paused", pause}});
                });
  }
}

void ApiServer::Impl::suppressionRoutes() {
  server.Post("/v1/suppressions", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    auto body = parseBody(req);
    if (!body) return sendError(res, body.error());
    if (!body->is_object())
      return sendError(res, 400, "invalid_argument", "the body must be a JSON object");
    const auto channel = parseChannelKind(body->value("channel", ""));
    if (!channel || *channel == ChannelKind::kWebhook) {
      return sendError(res, 400, "invalid_argument", "channel must be email or sms", "channel");
    }
    const std::string raw = body->contains("address") && (*body)["address"].is_string()
                                ? (*body)["address"].get<std::string>()
                                : "";
    const bool email = *channel == ChannelKind::kEmail;
    const std::string address = email ? normalizeEmail(raw) : normalizePhone(raw);
    if (address.empty()) {
      return sendError(
          res, 400, "invalid_argument",
          email ? "address is not a valid email address" : "address is not a valid phone number",
          "address");
    }
    const std::string reason = body->value("reason", "manual");
    const TimeMs now = deps.clock->now();
    auto result = deps.store->write([&](Tx& tx) -> Result<void> {
      tx.suppressions().add({*channel, address, reason, now}, /*replace=*/true);
      return ok();
    });
    if (!result) return sendError(res, result.error());
    sendJson(
        res, 200,
        json{{"channel", channelKindName(*channel)}, {"address", address}, {"reason", reason}});
  });
  server.Get("/v1/suppressions", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    auto list =
        deps.store->withSnapshot("list suppressions", [&](const Snapshot& snap) -> Result<json> {
          json out = json::array();
          for (const auto& s : snap.suppressions().list(1000)) {
            out.push_back({{"channel", channelKindName(s.channel)},
                           {"address", s.address},
                           {"reason", s.reason},
                           {"at", formatIsoTime(s.at)}});
          }
          return out;
        });
    if (!list) return sendError(res, list.error());
    sendJson(res, 200, json{{"suppressions", *list}});
  });
  server.Delete(R"(/v1/suppressions/(email|sms)/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorize(req, res, true)) return;
                  const ChannelKind channel =
                      req.matches[1].str() == "email" ? ChannelKind::kEmail : ChannelKind::kSms;
                  const std::string address = channel == ChannelKind::kEmail
                                                  ? normalizeEmail(req.matches[2].str())
                                                  : normalizePhone(req.matches[2].str());
                  bool removed = false;
                  auto result = deps.store->write([&](Tx& tx) -> Result<void> {
                    removed = tx.suppressions().remove(channel, address);
                    return ok();
                  });
                  if (!result) return sendError(res, result.error());
                  if (!removed) {
                    return sendError(res, 404, "not_found",
                                     std::string("that address is not suppressed on ") +
                                         channelKindName(channel));
                  }
                  sendJson(res, 200, json{{"removed", true}});
                });
}

void ApiServer::Impl::clockRoutes() {
  // The virtual clock (`serve --virtual-clock`, tests and demos): GET reads it, POST moves it.
  server.Get("/v1/clock", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    sendJson(res, 200,
             json{{"now", formatIsoTime(deps.clock->now())},
                  {"virtual", deps.virtual_clock != nullptr}});
  });
  server.Post("/v1/clock", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    if (!deps.virtual_clock) {
      return sendError(res, 404, "not_found",
                       "the clock is real; start serve with --virtual-clock to move it");
    }
    auto body = parseBody(req);
    if (!body) return sendError(res, body.error());
    if (!body->is_object())
      return sendError(res, 400, "invalid_argument", "the body must be a JSON object");
    if (body->contains("advance")) {
      auto d = parseDuration(body->value("advance", ""));
      if (!d)
        return sendError(res, 400, "invalid_argument", "advance must be a duration like 90s or 3d",
                         "advance");
      deps.virtual_clock->advance(*d);
    } else if (body->contains("set")) {
      auto t = parseIsoTime(body->value("set", ""));
      if (!t) return sendError(res, 400, "invalid_argument", "set must be an ISO-8601 time", "set");
      deps.virtual_clock->set(*t);
    }
    changed();
    sendJson(res, 200, json{{"now", formatIsoTime(deps.virtual_clock->now())}});
  });
  // What the daemon has in hand: journey work waiting for the planners and due now, messages
  // waiting in the outbox. `idle` is true when nothing is due (tests wait for it after a change).
  server.Get("/v1/status", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, true)) return;
    const TimeMs now = deps.clock->now();
    auto status = deps.store->withSnapshot("status", [&](const Snapshot& snap) -> Result<json> {
      const std::int64_t inbox = snap.inbox().backlog();
      std::optional<TimeMs> next = snap.enrollments().nextWake(Partition{});
      for (auto t : {snap.segments().nextRecheck(), snap.schedules().nextDue()}) {
        if (t && (!next || *t < *next)) next = t;
      }
      const OutboxStats outbox = snap.outbox().stats(now);
      const bool journeys_due = inbox > 0 || (next && *next <= now);
      return json{{"now", formatIsoTime(now)},
                  {"journeys",
                   {{"inbox", inbox},
                    {"next_due", next ? json(formatIsoTime(*next)) : json()},
                    {"due", journeys_due}}},
                  {"outbox",
                   {{"pending", outbox.pending},
                    {"due", outbox.due},
                    {"oldest_due",
                     outbox.oldest_due_at ? json(formatIsoTime(*outbox.oldest_due_at)) : json()}}},
                  {"idle", !journeys_due && outbox.due == 0}};
    });
    if (!status) return sendError(res, status.error());
    sendJson(res, 200, *status);
  });
}

}  // namespace journeyd
