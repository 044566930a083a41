// The customer's own consent pages and replies: unsubscribe links (GET shows a page, POST acts,
// RFC 8058 one-click) and STOP/START texted back to our number (posted by the SMS provider,
// Twilio-signed). No API key: the signed link, or the provider's signature, is the credential.
#include <spdlog/spdlog.h>

#include "daemon/api/server_impl.h"
#include "daemon/customers/consent.h"
#include "daemon/delivery/twilio_signature.h"
#include "daemon/delivery/unsubscribe.h"
#include "daemon/journeys/journey.h"
#include "daemon/scheduler/journey_runtime.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

std::string escapeHtml(const std::string& in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// A small page for people, not machines. `forms`: (action, button label) pairs, each a
/// one-click POST form.
void sendPage(httplib::Response& res, int status, const std::string& title, const std::string& text,
              const std::vector<std::pair<std::string, std::string>>& forms = {}) {
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>" +
      escapeHtml(title) +
      "</title></head><body style=\""
      "font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>" +
      escapeHtml(title) + "</h1><p>" + escapeHtml(text) + "</p>";
  for (const auto& [action, label] : forms) {
    html += "<form method=\"post\" action=\"" + escapeHtml(action) +
            "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
            "<button type=\"submit\">" +
            escapeHtml(label) + "</button></form>";
  }
  html += "</body></html>";
  res.status = status;
  res.set_content(html, "text/html; charset=utf-8");
}

/// What an unsubscribe link withdraws: its topic's consent (a newsletter link stops the
/// newsletter), or with ?scope=all / a link without a topic, all marketing on its channel.
/// Transactional messages (receipts, resets) still go; a global opt-out is `unsubscribed: true`.
bool wholeChannel(const UnsubscribeClaim& claim, const httplib::Request& req) {
  return claim.topic.empty() || req.get_param_value("scope") == "all";
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
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');  // ASCII only: 退订 stays as it is
  }
  for (const char* k :
       {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD", "T"}) {
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

void ApiServer::Impl::unsubscribeRoutes() {
  server.Get(
      R"(/u/([A-Za-z0-9_.\-]+))", [this](const httplib::Request& req, httplib::Response& res) {
        if (!deps.unsubscribe)
          return sendPage(res, 404, "Not found", "Unsubscribe links are not enabled.");
        auto claim = deps.unsubscribe->verify(req.matches[1].str(), deps.clock->now());
        if (!claim) return sendPage(res, 400, "Link not valid", claim.error().message);
        const std::string action = "/u/" + req.matches[1].str();
        const std::string all = "Unsubscribe from all marketing " + claim->channel +
                                " · 退订全部营销" + (claim->channel == "sms" ? "短信" : "邮件");
        if (claim->topic.empty()) {
          return sendPage(
              res, 200, "Unsubscribe",
              "Stop receiving marketing " + claim->channel + " from us? 不再接收我们的营销消息？",
              {{action, all}});
        }
        sendPage(res, 200, "Unsubscribe",
                 "Stop receiving " + claim->topic + " messages, or all our marketing " +
                     claim->channel + "? 退订此类消息，或全部营销消息？",
                 {{action, "Unsubscribe from " + claim->topic + " · 退订“" + claim->topic + "”"},
                  {action + "?scope=all", all}});
      });
  // RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" here without a page.
  server.Post(R"(/u/([A-Za-z0-9_.\-]+))", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
    if (!deps.unsubscribe)
      return sendPage(res, 404, "Not found", "Unsubscribe links are not enabled.");
    const TimeMs now = deps.clock->now();
    const std::string token = req.matches[1].str();
    auto claim = deps.unsubscribe->verify(token, now);
    if (!claim) {
      spdlog::warn("msg=\"unsubscribe refused\" reason=\"{}\"", claim.error().message);
      return sendPage(res, 400, "Link not valid", claim.error().message);
    }
    const bool all = wholeChannel(*claim, req);
    json traits = all ? json{{"consent", {{claim->channel, false}}}}
                      : json{{"consent", {{"topics", {{claim->topic, false}}}}}};
    json properties = {{"channel", claim->channel}, {"via", "link"}};
    if (!all) properties["topic"] = claim->topic;
    // The same link used again (a mail client's retry, a second click) is the same change: its
    // event id comes from the link itself, so the replay records and changes nothing.
    const std::string message_id =
        "unsubscribe-" + hex64(fnv1a64(token)) + (all ? "-all" : "-topic");
    auto result = deps.store->write([&](Tx& tx) -> Result<void> {
      auto changed = applyConsentChange(tx, {claim->customer_id, std::move(traits), "Unsubscribed",
                                             std::move(properties), message_id, now});
      if (!changed) return fail(changed.error());
      if (*changed && deps.runtime)
        deps.runtime->queueWork(tx, (*changed)->applied, (*changed)->message);
      return ok();
    });
    if (!result) {
      if (result.error().code == ErrorCode::kNotFound)
        return sendPage(res, 404, "Not found", "We do not know you any more.");
      return sendPage(res, 503, "Try again", "We could not save your choice; please try again.");
    }
    spdlog::info("msg=unsubscribed customer_id={} channel={} topic={}", claim->customer_id,
                 claim->channel, all ? "" : claim->topic);
    changed();
    sendPage(res, 200, "Unsubscribed",
             all ? "You will not receive marketing " + claim->channel +
                       " from us any more. 您已成功退订。"
                 : "You will not receive " + claim->topic +
                       " messages from us any more. 您已成功退订。");
  });
}

void ApiServer::Impl::inboundSmsRoutes() {
  server.Post("/v1/inbound/sms", [this](const httplib::Request& req, httplib::Response& res) {
    const auto cfg = currentConfig();
    if (!cfg->inbound_sms.enabled()) {
      return sendError(res, 404, "not_found",
                       "inbound SMS is not enabled (inbound_sms in the config)");
    }
    // The form body alone: a query string belongs to the signed URL, not to the signed
    // parameters (httplib's req.params mixes both).
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    const std::string signature = req.get_header_value("X-Twilio-Signature");
    if (!verifyTwilioSignature(cfg->inbound_sms.auth_token, cfg->inbound_sms.url,
                               FormParams(form.begin(), form.end()), signature)) {
      ++deps.metrics->inbound_sms_refused;
      const char* why =
          signature.empty() ? "no X-Twilio-Signature" : "X-Twilio-Signature does not match";
      spdlog::warn("msg=\"inbound sms refused\" reason=\"{}\" remote={}", why, req.remote_addr);
      return sendError(
          res, 403, "forbidden",
          std::string(why) + ": only the SMS provider configured in inbound_sms may post here");
    }
    auto field = [&](const char* key) {
      auto it = form.find(key);
      return it == form.end() ? std::string() : it->second;
    };
    const std::string phone = normalizePhone(field("From"));
    if (phone.empty()) {
      ++deps.metrics->inbound_sms_refused;
      return sendError(
          res, 400, "invalid_argument",
          field("From").empty() ? "From is required" : "From is not a valid phone number", "From");
    }
    std::string keyword;
    const SmsReply reply = smsReply(field("Body"), keyword);
    ++deps.metrics->inbound_sms_accepted;
    if (reply == SmsReply::kOther) {
      spdlog::debug("msg=\"inbound sms without a keyword\" message_sid={}", field("MessageSid"));
      return sendTwiml(res);
    }
    const SmsReplyCommand command{phone, reply == SmsReply::kStop, keyword, field("MessageSid"),
                                  deps.clock->now()};
    size_t customers = 0;
    auto result = deps.store->write([&](Tx& tx) -> Result<void> {
      auto changed = applySmsReply(tx, command);
      if (!changed) return fail(changed.error());
      customers = changed->size();
      if (deps.runtime) {
        for (const auto& c : *changed) deps.runtime->queueWork(tx, c.applied, c.message);
      }
      return ok();
    });
    if (!result) {
      ++deps.metrics->store_failures;
      spdlog::error("msg=\"inbound sms not saved\" error=\"{}\"", result.error().message);
      return sendError(res, 503, "unavailable", "the store could not save the reply; retry");
    }
    spdlog::info("msg=\"sms {}\" keyword=\"{}\" customers={} message_sid={}",
                 command.stop ? "unsubscribed" : "resubscribed", keyword, customers,
                 field("MessageSid"));
    changed();
    sendTwiml(res);
  });
}

}  // namespace journeyd
