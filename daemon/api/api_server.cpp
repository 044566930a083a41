#include "daemon/api/api_server.h"

#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/api/consent_change.h"
#include "daemon/api/metrics.h"
#include "daemon/store/reader_pool.h"
#include "daemon/customers/customer_reader.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/delivery/twilio_signature.h"
#include "daemon/delivery/unsubscribe.h"
#include "daemon/scheduler/customer_view.h"
#include "daemon/scheduler/journey_runner.h"
#include "daemon/scheduler/report.h"
#include "daemon/store/writer.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message, const std::string& field = {}) {
  json err = {{"code", code}, {"message", message}};
  err["field"] = field.empty() ? json() : json(field);
  sendJson(res, status, json{{"error", err}});
}

int statusFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

void sendError(httplib::Response& res, const Error& e) {
  sendError(res, statusFor(e), errorCodeName(e.code), e.message, e.field);
}

std::string base64Decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    if (c == '=') break;
    auto pos = chars.find(c);
    if (pos == std::string::npos) return {};
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

/// The API key a request presents: Basic (key as user name, empty password, as Segment sends
/// its write key) or Bearer.
std::string presentedKey(const httplib::Request& req) {
  const auto& auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  if (auth.rfind("Basic ", 0) == 0) {
    std::string decoded = base64Decode(auth.substr(6));
    return decoded.substr(0, decoded.find(':'));
  }
  return {};
}

/// Compares without an early exit, so timing does not reveal how much of a key matched.
bool keyIn(const std::string& key, const std::vector<std::string>& keys) {
  bool found = false;
  for (const auto& k : keys) {
    unsigned diff = k.size() ^ key.size();
    for (size_t i = 0; i < k.size(); ++i) diff |= k[i] ^ (i < key.size() ? key[i] : 0);
    found |= (diff == 0 && !key.empty());
  }
  return found;
}

Result<json> parseBody(const httplib::Request& req) {
  if (req.body.empty()) return fail(Error::invalid("the request body is empty; expected JSON", ""));
  try {
    return json::parse(req.body);
  } catch (const json::parse_error& e) {
    return fail(Error::invalid("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                                   std::string(e.what()).substr(std::string(e.what()).find(':') + 2),
                               ""));
  }
}

/// What an inbound SMS asks for. Carriers take the whole message, trimmed and in any case, as
/// the keyword ("STOP", not "please stop"); so do we. 退订, TD and T are the Chinese carriers'
/// STOP (the shipped zh-CN SMS templates end in 回T退订, "reply T to unsubscribe").
enum class SmsReply { kOther, kStop, kStart };

SmsReply smsReply(const std::string& body, std::string& keyword) {
  const char* kSpace = " \t\r\n";
  const auto first = body.find_first_not_of(kSpace);
  if (first == std::string::npos) return SmsReply::kOther;
  keyword = body.substr(first, body.find_last_not_of(kSpace) - first + 1);
  for (char& c : keyword) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');  // ASCII only: 退订 stays as it is
  }
  for (const char* k : {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD", "T"}) {
    if (keyword == k) return SmsReply::kStop;
  }
  for (const char* k : {"START", "UNSTOP", "YES"}) {
    if (keyword == k) return SmsReply::kStart;
  }
  return SmsReply::kOther;
}

/// The provider's webhook takes TwiML; an empty answer texts nothing back.
void sendTwiml(httplib::Response& res) {
  res.status = 200;
  res.set_content(R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)", "text/xml");
}

}  // namespace

struct ApiServer::Impl {
  ApiDeps deps;
  std::mutex config_mutex;
  std::shared_ptr<const Config> config;
  httplib::Server server;
  int port = 0;

  std::shared_ptr<const Config> currentConfig() {
    std::lock_guard lock(config_mutex);
    return config;
  }

  bool authorize(const httplib::Request& req, httplib::Response& res, bool admin) {
    auto cfg = currentConfig();
    const auto key = presentedKey(req);
    if (keyIn(key, admin ? cfg->keys.admin : cfg->keys.write)) return true;
    ++deps.metrics->unauthorized;
    res.set_header("WWW-Authenticate", admin ? "Bearer" : "Basic realm=\"journeyd\"");
    sendError(res, 401, "unauthorized",
              key.empty() ? "an API key is required (Basic with the write key as user name, or Bearer)"
                          : std::string("the API key is not valid for this endpoint") +
                                (admin ? " (admin key required)" : " (write key required)"));
    return false;
  }

  /// Applies messages in one writer job: all of them or (on a store error) none.
  void ingest(std::vector<InboundMessage> messages, httplib::Response& res) {
    auto* customers = deps.customers;
    auto* metrics = deps.metrics;
    auto* runner = deps.runner;
    auto result = deps.writer->run([&](Database& db) -> Result<void> {
      for (const auto& m : messages) {
        auto applied = customers->apply(db, m);
        if (!applied) return fail(applied.error());
        if (applied->duplicate) ++metrics->duplicates;
        if (runner) {
          if (auto r = runner->onMessage(db, *applied, m); !r) return r;
        }
      }
      return ok();
    });
    if (result && deps.on_change) deps.on_change();
    if (!result) {
      ++metrics->store_failures;
      spdlog::error("msg=\"ingest failed\" error=\"{}\"", result.error().message);
      return sendError(res, 503, "unavailable", "the store could not save the data; retry");
    }
    for (const auto& m : messages) ++metrics->messages_by_type[static_cast<size_t>(m.type)];
    sendJson(res, 200, json{{"success", true}});
  }

  void routeIngest(const char* path, const char* type) {
    server.Post(path, [this, type](const httplib::Request& req, httplib::Response& res) {
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

  void reject(httplib::Response& res, const Error& e) {
    ++deps.metrics->rejected;
    sendError(res, e);
  }

  void routes() {
    for (auto [path, type] : {std::pair{"/v1/identify", "identify"}, {"/v1/track", "track"},
                              {"/v1/page", "page"}, {"/v1/screen", "screen"},
                              {"/v1/alias", "alias"}, {"/v1/group", "group"},
                              {"/v1/batch", "batch"}, {"/v1/import", "batch"}}) {
      routeIngest(path, type);
    }

    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      sendJson(res, 200, json{{"status", "ok"}});
    });
    server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      auto db = deps.readers->acquire();
      bool store_ok = db && guardSql("ready", [&]() -> Result<void> {
                        (*db)->sql().execAndGet("SELECT 1");
                        return ok();
                      }).has_value();
      bool ready = store_ok && (!deps.ready || deps.ready());
      sendJson(res, ready ? 200 : 503,
               json{{"status", ready ? "ready" : "not ready"}, {"store", store_ok}});
    });
    server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      if (currentConfig()->http.metrics_require_key && !authorize(req, res, true)) return;
      res.set_content(metricsText(), "text/plain; version=0.0.4");
    });

    // Registered before the profile route, whose pattern would take "/explain" as part of the id.
    server.Get(R"(/v1/customers/(.+)/explain)", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto db = deps.readers->acquire();
      if (!db) return sendError(res, db.error());
      auto id = customerFromPath(**db, req.matches[1].str());
      if (!id) return sendError(res, id.error());
      auto explanation = explainCustomer(**db, *id, req.get_param_value("journey"));
      if (!explanation) return sendError(res, explanation.error());
      if (req.get_param_value("format") == "text") {
        res.set_content(formatExplanation(*explanation), "text/plain; charset=utf-8");
        return;
      }
      sendJson(res, 200, *explanation);
    });
    server.Get(R"(/v1/customers/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto db = deps.readers->acquire();
      if (!db) return sendError(res, db.error());
      auto id = customerFromPath(**db, req.matches[1].str());
      if (!id) return sendError(res, id.error());
      auto profile = customerProfile(**db, *id);
      if (!profile) return sendError(res, profile.error());
      if (auto journeys = customerJourneys(**db, *id)) {
        (*profile)["enrollments"] = (*journeys)["enrollments"];
        (*profile)["messages"] = (*journeys)["messages"];
        (*profile)["segments"] = (*journeys)["segments"];
      }
      // The computed values journeys and segments see (RFM, CLV, P(alive), LTV, lifecycle).
      auto models = deps.runner ? deps.runner->models() : nullptr;
      auto cat = deps.runner ? deps.runner->catalog() : nullptr;
      if (auto view = loadCustomerJson(**db, *id, models.get(), deps.clock->now(), cat ? &cat->scores : nullptr)) {
        json computed = json::object();
        for (const char* key :
             {"rfm", "p_alive", "churn_risk", "expected_orders_90d", "clv_12m", "ltv", "lifecycle", "scores"}) {
          if (view->contains(key)) computed[key] = (*view)[key];
        }
        (*profile)["computed"] = std::move(computed);
      }
      sendJson(res, 200, *profile);
    });
    journeyRoutes();
    unsubscribeRoutes();
    inboundSmsRoutes();
    suppressionRoutes();
    server.Delete(R"(/v1/customers/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      const std::string spec = req.matches[1].str();
      std::int64_t erased = 0;
      auto result = deps.writer->run([&](Database& db) -> Result<void> {
        erased = findCustomerBySpec(db, spec);
        if (erased == 0) return fail(Error::notFound("no customer " + spec));
        return CustomerWriter::erase(db, erased);
      });
      if (!result) return sendError(res, result.error());
      spdlog::info("msg=\"customer erased\" customer_id={}", erased);
      sendJson(res, 200, json{{"erased", true}, {"id", erased}});
    });
  }

  /// The customer an admin path names (a userId, email:…, phone:…, anon:…, id:N); NotFound when none.
  static Result<std::int64_t> customerFromPath(Database& db, const std::string& spec) {
    auto id = guardSql("find customer", [&]() -> Result<std::int64_t> { return findCustomerBySpec(db, spec); });
    if (id && *id == 0) return fail(Error::notFound("no customer " + spec));
    return id;
  }

  /// A small page for people, not machines (the only unauthenticated pages besides health).
  /// `forms`: (action, button label) pairs, each a one-click POST form.
  static void sendPage(httplib::Response& res, int status, const std::string& title, const std::string& text,
                       const std::vector<std::pair<std::string, std::string>>& forms = {}) {
    auto esc = [](const std::string& in) {
      std::string out;
      for (char c : in) {
        switch (c) {
          case '<': out += "&lt;"; break;
          case '>': out += "&gt;"; break;
          case '&': out += "&amp;"; break;
          case '"': out += "&quot;"; break;
          default: out += c;
        }
      }
      return out;
    };
    std::string html = "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                       "content=\"width=device-width\"><title>" + esc(title) + "</title></head><body style=\""
                       "font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>" + esc(title) + "</h1><p>" +
                       esc(text) + "</p>";
    for (const auto& [action, label] : forms) {
      html += "<form method=\"post\" action=\"" + esc(action) +
              "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
              "<button type=\"submit\">" + esc(label) + "</button></form>";
    }
    html += "</body></html>";
    res.status = status;
    res.set_content(html, "text/html; charset=utf-8");
  }

  /// What an unsubscribe link withdraws: its topic's consent (a newsletter link stops the
  /// newsletter), or with ?scope=all / a link without a topic, all marketing on its channel.
  /// Transactional messages (receipts, resets) still go; a global opt-out is `unsubscribed: true`.
  static std::string unsubscribeScope(const UnsubscribeClaim& claim, const httplib::Request& req) {
    return claim.topic.empty() || req.get_param_value("scope") == "all" ? "all" : "topic";
  }

  void unsubscribeRoutes() {
    server.Get(R"(/u/([A-Za-z0-9_.\-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!deps.unsubscribe) return sendPage(res, 404, "Not found", "Unsubscribe links are not enabled.");
      auto claim = deps.unsubscribe->verify(req.matches[1].str(), deps.clock->now());
      if (!claim) return sendPage(res, 400, "Link not valid", claim.error().message);
      const std::string action = "/u/" + req.matches[1].str();
      const std::string all = "Unsubscribe from all marketing " + claim->channel + " · 退订全部营销" +
                              (claim->channel == "sms" ? "短信" : "邮件");
      if (claim->topic.empty()) {
        return sendPage(res, 200, "Unsubscribe", "Stop receiving marketing " + claim->channel +
                                                     " from us? 不再接收我们的营销消息？", {{action, all}});
      }
      sendPage(res, 200, "Unsubscribe",
               "Stop receiving " + claim->topic + " messages, or all our marketing " + claim->channel +
                   "? 退订此类消息，或全部营销消息？",
               {{action, "Unsubscribe from " + claim->topic + " · 退订“" + claim->topic + "”"}, {action + "?scope=all", all}});
    });
    // RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" here without a page.
    server.Post(R"(/u/([A-Za-z0-9_.\-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!deps.unsubscribe) return sendPage(res, 404, "Not found", "Unsubscribe links are not enabled.");
      const TimeMs now = deps.clock->now();
      auto claim = deps.unsubscribe->verify(req.matches[1].str(), now);
      if (!claim) {
        spdlog::warn("msg=\"unsubscribe refused\" reason=\"{}\"", claim.error().message);
        return sendPage(res, 400, "Link not valid", claim.error().message);
      }
      const bool topic = unsubscribeScope(*claim, req) == "topic";
      json traits = topic ? json{{"consent", {{"topics", {{claim->topic, false}}}}}}
                          : json{{"consent", {{claim->channel, false}}}};
      json properties = {{"channel", claim->channel}, {"via", "link"}};
      if (topic) properties["topic"] = claim->topic;
      auto result = deps.writer->run([&](Database& db) -> Result<void> {
        return applyConsentChange(db, deps.runner,
                                  {claim->customer_id, std::move(traits), "Unsubscribed", std::move(properties),
                                   "unsubscribe-" + std::to_string(claim->customer_id) + "-" + (topic ? claim->topic : claim->channel) +
                                       "-" + std::to_string(now),
                                   now});
      });
      if (!result) {
        if (result.error().code == ErrorCode::kNotFound) return sendPage(res, 404, "Not found", "We do not know you any more.");
        return sendPage(res, 503, "Try again", "We could not save your choice; please try again.");
      }
      spdlog::info("msg=unsubscribed customer_id={} channel={} topic={}", claim->customer_id, claim->channel,
                   topic ? claim->topic : "");
      if (deps.on_change) deps.on_change();
      sendPage(res, 200, "Unsubscribed",
               topic ? "You will not receive " + claim->topic + " messages from us any more. 您已成功退订。"
                     : "You will not receive marketing " + claim->channel + " from us any more. 您已成功退订。");
    });
  }

  /// STOP / START texted back to our number, posted by the SMS provider's webhook. No API key:
  /// the provider cannot send one. Its Twilio-style signature over the configured URL and the
  /// form, made with the auth token only it and we hold, authenticates the request instead.
  void inboundSmsRoutes() {
    server.Post("/v1/inbound/sms", [this](const httplib::Request& req, httplib::Response& res) {
      const auto cfg = currentConfig();
      if (!cfg->inbound_sms.enabled()) {
        return sendError(res, 404, "not_found", "inbound SMS is not enabled (inbound_sms in the config)");
      }
      // The form body alone: a query string belongs to the signed URL, not to the signed
      // parameters (httplib's req.params mixes both).
      httplib::Params form;
      httplib::detail::parse_query_text(req.body, form);
      const std::string signature = req.get_header_value("X-Twilio-Signature");
      if (!verifyTwilioSignature(cfg->inbound_sms.auth_token, cfg->inbound_sms.url,
                                 FormParams(form.begin(), form.end()), signature)) {
        ++deps.metrics->inbound_sms_refused;
        const char* why = signature.empty() ? "no X-Twilio-Signature" : "X-Twilio-Signature does not match";
        spdlog::warn("msg=\"inbound sms refused\" reason=\"{}\" remote={}", why, req.remote_addr);
        return sendError(res, 403, "forbidden",
                         std::string(why) + ": only the SMS provider configured in inbound_sms may post here");
      }
      auto field = [&](const char* key) {
        auto it = form.find(key);
        return it == form.end() ? std::string() : it->second;
      };
      const std::string phone = normalizePhone(field("From"));
      if (phone.empty()) {
        ++deps.metrics->inbound_sms_refused;
        return sendError(res, 400, "invalid_argument",
                         field("From").empty() ? "From is required" : "From is not a valid phone number", "From");
      }
      std::string keyword;
      const SmsReply reply = smsReply(field("Body"), keyword);
      ++deps.metrics->inbound_sms_accepted;
      if (reply == SmsReply::kOther) {
        spdlog::debug("msg=\"inbound sms without a keyword\" message_sid={}", field("MessageSid"));
        return sendTwiml(res);
      }
      const TimeMs now = deps.clock->now();
      int customers = 0;
      auto result = deps.writer->run([&](Database& db) -> Result<void> {
        auto changed = applySmsReply(db, phone, reply == SmsReply::kStop, keyword, field("MessageSid"), now);
        if (!changed) return fail(changed.error());
        customers = *changed;
        return ok();
      });
      if (!result) {
        ++deps.metrics->store_failures;
        spdlog::error("msg=\"inbound sms not saved\" error=\"{}\"", result.error().message);
        return sendError(res, 503, "unavailable", "the store could not save the reply; retry");
      }
      spdlog::info("msg=\"sms {}\" keyword=\"{}\" customers={} message_sid={}",
                   reply == SmsReply::kStop ? "unsubscribed" : "resubscribed", keyword, customers,
                   field("MessageSid"));
      if (deps.on_change) deps.on_change();
      sendTwiml(res);
    });
  }

  /// STOP suppresses the number itself, so nothing reaches it whoever it belongs to now or
  /// later, and withdraws SMS consent from the customers known by it; returns how many. INSERT
  /// OR IGNORE keeps a suppression made for another reason (a bounce, an admin), which START
  /// must not lift (except the provider's own record of a STOP, 21610).
  Result<int> applySmsReply(Database& db, const std::string& phone, bool stop, const std::string& keyword,
                            const std::string& message_sid, TimeMs now) {
    // The provider retries a webhook it thinks failed: a reply already applied (its events are
    // there) is not applied again, so an old STOP retried after a START changes nothing.
    const std::string sid = message_sid.empty() ? std::to_string(now) : message_sid;
    auto& seen = db.prepare("SELECT 1 FROM events WHERE message_id >= ? AND message_id < ? LIMIT 1");
    seen.bind(1, "sms-reply-" + sid + "-");
    seen.bind(2, "sms-reply-" + sid + ".");  // '.' sorts right after '-'
    const bool applied = seen.executeStep();
    seen.reset();
    if (applied) return 0;
    if (stop) {
      auto& q = db.prepare("INSERT OR IGNORE INTO suppressions (channel, address, reason, at) VALUES ('sms', ?, 'STOP reply', ?)");
      q.bind(1, phone);
      q.bind(2, now);
      q.exec();
    } else {
      // A STOP the provider saw first comes back as a bounce (Twilio 21610): START lifts that too.
      auto& q = db.prepare(
          "DELETE FROM suppressions WHERE channel = 'sms' AND address = ? AND "
          "(reason = 'STOP reply' OR (reason LIKE 'hard bounce:%' AND reason LIKE '%21610%'))");
      q.bind(1, phone);
      q.exec();
    }
    std::vector<std::int64_t> ids;
    auto& owners = db.prepare("SELECT customer_id FROM identities WHERE kind = 'phone' AND value = ?");
    owners.bind(1, phone);
    while (owners.executeStep()) ids.push_back(owners.getColumn(0).getInt64());
    owners.reset();
    for (std::int64_t id : ids) {
      auto r = applyConsentChange(db, deps.runner,
                                  {id, json{{"consent", {{"sms", !stop}}}}, stop ? "Unsubscribed" : "Subscribed",
                                   json{{"channel", "sms"}, {"via", "sms reply"}, {"keyword", keyword}},
                                   "sms-reply-" + sid + "-" + std::to_string(id), now});
      if (!r) return fail(r.error());
    }
    return static_cast<int>(ids.size());
  }

  /// The suppression list: addresses that must not be messaged on a channel.
  void suppressionRoutes() {
    server.Post("/v1/suppressions", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto body = parseBody(req);
      if (!body) return sendError(res, body.error());
      if (!body->is_object()) return sendError(res, 400, "invalid_argument", "the body must be a JSON object");
      const std::string channel = body->value("channel", "");
      if (channel != "email" && channel != "sms") {
        return sendError(res, 400, "invalid_argument", "channel must be email or sms", "channel");
      }
      const std::string raw = body->contains("address") && (*body)["address"].is_string() ? (*body)["address"].get<std::string>() : "";
      const std::string address = channel == "email" ? normalizeEmail(raw) : normalizePhone(raw);
      if (address.empty()) {
        return sendError(res, 400, "invalid_argument",
                         channel == "email" ? "address is not a valid email address" : "address is not a valid phone number",
                         "address");
      }
      const std::string reason = body->value("reason", "manual");
      const TimeMs now = deps.clock->now();
      auto result = deps.writer->run([&](Database& db) -> Result<void> {
        auto& q = db.prepare("INSERT OR REPLACE INTO suppressions (channel, address, reason, at) VALUES (?, ?, ?, ?)");
        q.bind(1, channel);
        q.bind(2, address);
        q.bind(3, reason);
        q.bind(4, now);
        q.exec();
        return ok();
      });
      if (!result) return sendError(res, result.error());
      sendJson(res, 200, json{{"channel", channel}, {"address", address}, {"reason", reason}});
    });
    server.Get("/v1/suppressions", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto db = deps.readers->acquire();
      if (!db) return sendError(res, db.error());
      json list = json::array();
      auto r = guardSql("list suppressions", [&]() -> Result<void> {
        auto& q = (*db)->prepare("SELECT channel, address, reason, at FROM suppressions ORDER BY at DESC LIMIT 1000");
        while (q.executeStep()) {
          list.push_back({{"channel", q.getColumn(0).getString()}, {"address", q.getColumn(1).getString()},
                          {"reason", q.getColumn(2).getString()}, {"at", formatIsoTime(q.getColumn(3).getInt64())}});
        }
        q.reset();
        return ok();
      });
      if (!r) return sendError(res, r.error());
      sendJson(res, 200, json{{"suppressions", list}});
    });
    server.Delete(R"(/v1/suppressions/(email|sms)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      const std::string channel = req.matches[1].str();
      const std::string address = channel == "email" ? normalizeEmail(req.matches[2].str()) : normalizePhone(req.matches[2].str());
      bool removed = false;
      auto result = deps.writer->run([&](Database& db) -> Result<void> {
        auto& q = db.prepare("DELETE FROM suppressions WHERE channel = ? AND address = ?");
        q.bind(1, channel);
        q.bind(2, address);
        q.exec();
        removed = db.sql().getChanges() > 0;
        return ok();
      });
      if (!result) return sendError(res, result.error());
      if (!removed) return sendError(res, 404, "not_found", "that address is not suppressed on " + channel);
      sendJson(res, 200, json{{"removed", true}});
    });
  }

  void journeyRoutes() {
    server.Get("/v1/journeys", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto cat = deps.runner ? deps.runner->catalog() : nullptr;
      json list = json::array();
      auto db = deps.readers->acquire();
      if (!db) return sendError(res, db.error());
      for (const auto& j : cat ? cat->journeys : std::vector<JourneyPtr>{}) {
        list.push_back(journeySummary(**db, *j));
      }
      sendJson(res, 200, json{{"journeys", list}});
    });
    server.Get(R"(/v1/journeys/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto journey = findJourney(req.matches[1].str(), res);
      if (!journey) return;
      auto db = deps.readers->acquire();
      if (!db) return sendError(res, db.error());
      json body = journeySummary(**db, *journey);
      json steps = json::array();
      for (const auto& step : journey->steps) {
        steps.push_back({{"id", step.id}, {"kind", stepKindName(step.kind)}, {"line", step.pos.line}});
      }
      body["steps"] = steps;
      sendJson(res, 200, body);
    });
    server.Get(R"(/v1/journeys/([^/]+)/report)", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      if (!findJourney(req.matches[1].str(), res)) return;
      auto db = deps.readers->acquire();
      if (!db) return sendError(res, db.error());
      auto report = journeyReport(**db, req.matches[1].str());
      if (!report) return sendError(res, report.error());
      sendJson(res, 200, *report);
    });
    server.Post(R"(/v1/journeys/([^/]+)/enroll)", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      auto journey = findJourney(req.matches[1].str(), res);
      if (!journey) return;
      auto body = parseBody(req);
      if (!body) return sendError(res, body.error());
      if (!body->is_object()) return sendError(res, 400, "invalid_argument", "the body must be a JSON object");
      std::string spec = body->value("userId", "");
      if (spec.empty()) return sendError(res, 400, "invalid_argument", "userId is required", "userId");
      json data = body->value("data", json::object());
      if (!data.is_object()) return sendError(res, 400, "invalid_argument", "data must be an object", "data");
      std::int64_t enrollment = 0;
      const TimeMs now = deps.clock->now();
      auto result = deps.writer->run([&](Database& db) -> Result<void> {
        std::int64_t customer = findCustomerBySpec(db, spec);
        if (!customer) return fail(Error::notFound("no customer " + spec));
        auto id = deps.runner->enroll(db, journey->id, customer, data, now);
        if (!id) return fail(id.error());
        enrollment = *id;
        return ok();
      });
      if (!result) return sendError(res, result.error());
      if (deps.on_change) deps.on_change();
      sendJson(res, 200, json{{"enrolled", true}, {"enrollment_id", enrollment}});
    });
    for (const char* action : {"pause", "resume"}) {
      const bool pause = std::string_view(action) == "pause";
      server.Post(std::string(R"(/v1/journeys/([^/]+)/)") + action,
                  [this, pause](const httplib::Request& req, httplib::Response& res) {
                    if (!authorize(req, res, true)) return;
                    auto journey = findJourney(req.matches[1].str(), res);
                    if (!journey) return;
                    const TimeMs now = deps.clock->now();
                    auto result = deps.writer->run([&](Database& db) -> Result<void> {
                      auto& q = db.prepare(
                          "INSERT INTO journey_state (journey_id, paused, changed_at) VALUES (?, ?, ?) "
                          "ON CONFLICT (journey_id) DO UPDATE SET paused = excluded.paused, changed_at = excluded.changed_at");
                      q.bind(1, journey->id);
                      q.bind(2, pause ? 1 : 0);
                      q.bind(3, now);
                      q.exec();
                      return ok();
                    });
                    if (!result) return sendError(res, result.error());
                    spdlog::info("msg=\"journey {}\" journey={}", pause ? "paused" : "resumed", journey->id);
                    if (deps.on_change) deps.on_change();
                    sendJson(res, 200, json{{"journey", journey->id}, {"paused", pause}});
                  });
    }
    server.Post("/v1/clock", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, true)) return;
      if (!deps.virtual_clock) {
        return sendError(res, 404, "not_found", "the clock is real; start serve with --virtual-clock to move it");
      }
      auto body = parseBody(req);
      if (!body) return sendError(res, body.error());
      if (body->contains("advance")) {
        auto d = parseDuration(body->value("advance", ""));
        if (!d) return sendError(res, 400, "invalid_argument", "advance must be a duration like 90s or 3d", "advance");
        deps.virtual_clock->advance(*d);
      } else if (body->contains("set")) {
        auto t = parseIsoTime(body->value("set", ""));
        if (!t) return sendError(res, 400, "invalid_argument", "set must be an ISO-8601 time", "set");
        deps.virtual_clock->set(*t);
      }
      if (deps.on_change) deps.on_change();
      sendJson(res, 200, json{{"now", formatIsoTime(deps.virtual_clock->now())}});
    });
  }

  JourneyPtr findJourney(const std::string& id, httplib::Response& res) {
    auto cat = deps.runner ? deps.runner->catalog() : nullptr;
    auto journey = cat ? cat->find(id) : nullptr;
    if (!journey) sendError(res, 404, "not_found", "no journey " + id);
    return journey;
  }

  json journeySummary(Database& db, const Journey& j) {
    json counts = json::object();
    bool paused = false;
    guardSql("journey summary", [&]() -> Result<void> {
      auto& q = db.prepare("SELECT status, count(*) FROM enrollments WHERE journey_id = ? GROUP BY status");
      q.bind(1, j.id);
      while (q.executeStep()) counts[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
      q.reset();
      auto& p = db.prepare("SELECT paused FROM journey_state WHERE journey_id = ?");
      p.bind(1, j.id);
      paused = p.executeStep() && p.getColumn(0).getInt() != 0;
      p.reset();
      return ok();
    });
    return {{"id", j.id},           {"name", j.name},   {"description", j.description},
            {"version", j.version}, {"file", j.file},   {"trigger", triggerKindName(j.trigger.kind)},
            {"paused", paused},     {"priority", j.priority}, {"enrollments", counts}};
  }

  std::string metricsText() {
    static const char* kTypes[] = {"identify", "track", "page", "screen", "alias", "group"};
    auto* m = deps.metrics;
    std::string out;
    out += "# HELP journeyd_ingest_messages_total Messages accepted by the ingestion API.\n";
    out += "# TYPE journeyd_ingest_messages_total counter\n";
    for (size_t i = 0; i < 6; ++i) {
      out += std::string("journeyd_ingest_messages_total{type=\"") + kTypes[i] + "\"} " +
             std::to_string(m->messages_by_type[i].load()) + "\n";
    }
    auto counter = [&](const char* name, const char* help, std::uint64_t v) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
             " " + std::to_string(v) + "\n";
    };
    counter("journeyd_ingest_duplicates_total", "Messages dropped as repeats of a messageId.",
            m->duplicates.load());
    counter("journeyd_ingest_rejected_total", "Ingestion requests refused as bad input.",
            m->rejected.load());
    counter("journeyd_http_unauthorized_total", "Requests refused for a missing or wrong key.",
            m->unauthorized.load());
    counter("journeyd_ingest_requests_total", "Ingestion requests received.", m->requests.load());
    counter("journeyd_store_failures_total", "Writes the store could not commit.",
            m->store_failures.load());
    counter("journeyd_inbound_sms_accepted_total", "Signed inbound SMS replies taken (with a keyword or not).",
            m->inbound_sms_accepted.load());
    counter("journeyd_inbound_sms_refused_total",
            "Inbound SMS posts refused: unsigned, wrongly signed or without a valid From.",
            m->inbound_sms_refused.load());
    counter("journeyd_store_transactions_total", "Write transactions committed (group commits).",
            deps.writer->transactions());
    counter("journeyd_store_jobs_total", "Write jobs committed.", deps.writer->jobsCommitted());
    if (deps.runner) {
      auto& r = deps.runner->metrics();
      counter("journeyd_journey_entries_total", "Customers who entered a journey.", r.entered.load());
      counter("journeyd_journey_transitions_total", "Enrollments moved on by an event or wake-up.", r.advanced.load());
      counter("journeyd_messages_queued_total", "Messages written to the outbox.", r.messages_queued.load());
      counter("journeyd_messages_not_sent_total", "Messages recorded as skipped or failed before sending.",
              r.messages_skipped.load());
      counter("journeyd_journey_conversions_total", "Enrollments that reached their goal.", r.converted.load());
    }
    if (deps.extra_metrics) out += deps.extra_metrics();
    return out;
  }
};

ApiServer::ApiServer(ApiDeps deps, std::shared_ptr<const Config> config) : impl_(std::make_unique<Impl>()) {
  impl_->deps = std::move(deps);
  impl_->config = std::move(config);
  const auto& http = impl_->config->http;
  int threads = http.threads > 0 ? http.threads : 128;
  impl_->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->server.set_keep_alive_max_count(http.keep_alive_max_requests);
  impl_->server.set_keep_alive_timeout(30);
  impl_->server.set_payload_max_length(http.max_body_bytes);
  impl_->server.set_tcp_nodelay(true);
  impl_->server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
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
  impl_->routes();
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
    return fail(Error::unavailable("cannot listen on " + http.host + ":" + std::to_string(http.port) +
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
