// `journeyd render` and `journeyd simulate`: what a marketer runs before a journey goes live.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/catalog_setup.h"
#include "daemon/cli/commands.h"
#include "daemon/config/config.h"
#include "daemon/customers/inbound_message.h"
#include "daemon/delivery/policy.h"
#include "daemon/engine/simulation.h"
#include "daemon/journeys/loader.h"
#include "daemon/render/message_template.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

std::optional<std::string> readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<json> readJsonFile(const std::string& path) {
  auto text = readText(path);
  if (!text) {
    std::fprintf(stderr, "%s: error: cannot read file\n", path.c_str());
    return std::nullopt;
  }
  try {
    return json::parse(*text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    std::fprintf(stderr, "%s:1:%zu: error: malformed JSON: %s\n", path.c_str(), e.byte,
                 what.substr(what.find(':') + 2).c_str());
    return std::nullopt;
  }
}

bool isYaml(const std::string& path) { return path.ends_with(".yaml") || path.ends_with(".yml"); }

}  // namespace

int runRender(const RenderCommand& cmd) {
  auto context = readJsonFile(cmd.context);
  if (!context) return 1;
  if (!context->is_object()) {
    std::fprintf(stderr, "%s: error: the context must be a JSON object\n", cmd.context.c_str());
    return 1;
  }
  RenderOptions options;
  options.now = cmd.now;
  if (context->contains("customer") && (*context)["customer"].is_object()) {
    options.timezone = (*context)["customer"].value("timezone", "UTC");
  }
  Diagnostics diags;

  if (isYaml(cmd.file)) {
    auto tmpl = MessageTemplate::loadFile(cmd.file, cmd.file, diags);
    if (!tmpl) {
      std::fputs(diags.format().c_str(), stderr);
      return 1;
    }
    if (!cmd.channel.empty() && cmd.channel != channelName(tmpl->channel())) {
      std::fprintf(stderr, "%s: error: this template is for %s, not %s\n", cmd.file.c_str(),
                   channelName(tmpl->channel()), cmd.channel.c_str());
      return 1;
    }
    std::string locale = cmd.locale;
    if (locale.empty() && context->contains("customer") && (*context)["customer"].is_object()) {
      locale = (*context)["customer"].value("locale", "");
    }
    auto r = tmpl->render(*context, locale, options);
    if (!r) {
      std::fprintf(stderr, "%s: error: %s\n", cmd.file.c_str(), r.error().message.c_str());
      return 1;
    }
    json out = {{"channel", channelName(tmpl->channel())}, {"locale", r->locale}};
    switch (tmpl->channel()) {
      case Channel::kEmail:
        out["subject"] = r->subject;
        out["html"] = r->html;
        out["text"] = r->text;
        break;
      case Channel::kSms:
        out["body"] = r->body;
        if (r->sms) {
          out["encoding"] = r->sms->encoding;
          out["segments"] = r->sms->segments;
          out["characters"] = r->sms->characters;
        }
        break;
      case Channel::kWebhook: out["body"] = r->body; break;
    }
    if (cmd.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else if (tmpl->channel() == Channel::kEmail) {
      std::printf("Subject: %s\nLocale: %s\n\n--- text ---\n%s\n--- html ---\n%s\n", r->subject.c_str(),
                  r->locale.c_str(), r->text.c_str(), r->html.c_str());
    } else if (tmpl->channel() == Channel::kSms) {
      std::printf("%s\n--- %s, %zu characters, %zu segment(s) ---\n", r->body.c_str(),
                  r->sms ? r->sms->encoding.c_str() : "", r->sms ? r->sms->characters : 0,
                  r->sms ? r->sms->segments : 0);
    } else {
      std::printf("%s\n", r->body.c_str());
    }
    return 0;
  }

  // A plain Liquid file: rendered exactly, nothing added (or as an SMS body with --channel sms).
  auto source = readText(cmd.file);
  if (!source) {
    std::fprintf(stderr, "%s: error: cannot read file\n", cmd.file.c_str());
    return 1;
  }
  auto tmpl = LiquidTemplate::compile(*source, SourcePos{cmd.file, 1, 1}, diags);
  if (!tmpl) {
    std::fputs(diags.format().c_str(), stderr);
    return 1;
  }
  options.escape_html = cmd.channel.empty() && (cmd.file.ends_with(".html") || cmd.file.ends_with(".htm"));
  auto text = tmpl->render(*context, options);
  if (!text) {
    std::fprintf(stderr, "%s: error: %s\n", cmd.file.c_str(), text.error().message.c_str());
    return 1;
  }
  if (cmd.channel == "sms") {
    auto info = analyzeSms(*text);
    if (cmd.json) {
      std::printf("%s\n", json{{"body", *text}, {"encoding", info.encoding}, {"segments", info.segments},
                               {"characters", info.characters}}.dump(2).c_str());
    } else {
      std::printf("%s\n--- %s, %zu characters, %zu segment(s) ---\n", text->c_str(), info.encoding.c_str(),
                  info.characters, info.segments);
    }
  } else if (cmd.json) {
    std::printf("%s\n", json{{"body", *text}}.dump(2).c_str());
  } else {
    std::fwrite(text->data(), 1, text->size(), stdout);
  }
  return 0;
}

namespace {

/// One message a simulated journey asked for, and what the delivery policy made of it.
struct SimMessage {
  size_t journey = 0;
  const TimedEffect* fx = nullptr;
  std::int64_t id = 0;
  std::string status = "queued";  ///< queued | skipped
  std::string reason;
  TimeMs send_at = 0;
  std::string decided;  ///< the policy line at send time (a later message may still displace it)
};

/// A line of the merged timeline: trace lines of every journey, policy lines after each send.
struct SimLine {
  TimeMs time = 0;
  size_t journey = 0;
  std::int64_t order = 0;
  std::string step;
  std::string text;
};

/// The customer number the holdout and control groups hash: the store's id when the customer
/// JSON carries it (GET /v1/customers shows it as "id"), else a stable hash of the given id.
std::int64_t customerNumber(const json& customer) {
  const std::string id = customer.contains("id") && customer["id"].is_string() ? customer["id"].get<std::string>() : "";
  if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos && id.size() < 18) return std::stoll(id);
  return static_cast<std::int64_t>(fnv1a64(id) >> 1);
}

/// The message kind of a channel: the config's, else the channel's own name when it is a kind.
std::string kindOf(const std::map<std::string, Channel>& kinds, const std::string& channel) {
  auto it = kinds.find(channel);
  if (it != kinds.end()) return channelName(it->second);
  return parseChannel(channel) ? channel : "email";
}

/// Runs every planned message through the delivery policy in time order, as the daemon would:
/// earlier messages count against caps and may give way to later higher-priority ones.
std::vector<SimMessage> applyPolicy(const PolicySettings& policy, const std::map<std::string, Channel>& kinds,
                                    std::int64_t customer_number, const std::vector<JourneyPtr>& journeys,
                                    const std::vector<SimulationResult>& results, std::vector<SimLine>& lines) {
  std::vector<SimMessage> messages;
  for (size_t j = 0; j < results.size(); ++j) {
    for (const auto& fx : results[j].effects) {
      if (fx.effect.kind == EffectKind::kSend) messages.push_back({j, &fx});
    }
  }
  std::stable_sort(messages.begin(), messages.end(),
                   [](const SimMessage& a, const SimMessage& b) { return a.fx->time < b.fx->time; });
  for (size_t i = 0; i < messages.size(); ++i) messages[i].id = static_cast<std::int64_t>(i + 1);
  for (auto& m : messages) {
    const Journey& journey = *journeys[m.journey];
    const Effect& effect = m.fx->effect;
    const Step* step = journey.step(effect.step_id);
    static const Step kSend = [] { Step s; s.kind = StepKind::kSend; return s; }();
    const std::string kind = kindOf(kinds, effect.channel);
    MessageRequest request;
    request.customer_id = customer_number;
    request.customer = &m.fx->customer;
    request.journey = &journey;
    request.step = step ? step : &kSend;
    request.channel = effect.channel;
    request.kind = kind;
    request.now = m.fx->time;
    if (kind != "webhook") {
      const char* field = kind == "email" ? "email" : "phone";
      const json& c = m.fx->customer;
      if (c.contains(field) && c[field].is_string()) {
        request.raw_address = c[field].get<std::string>();
        request.recipient = kind == "email" ? normalizeEmail(request.raw_address) : normalizePhone(request.raw_address);
      }
    }
    std::vector<RecentMessage> recent;
    if (!request.step->rules.transactional) {
      for (const auto& other : messages) {
        if (&other == &m) break;
        const Step* os = journeys[other.journey]->step(other.fx->effect.step_id);
        if (other.status != "queued" || (os && os->rules.transactional)) continue;
        RecentMessage r;
        r.id = other.id;
        r.journey_id = journeys[other.journey]->id;
        r.step_id = other.fx->effect.step_id;
        r.channel = other.fx->effect.channel;
        r.kind = kindOf(kinds, r.channel);
        r.priority = journeys[other.journey]->priority;
        r.at = other.send_at;
        r.displaceable = other.send_at > request.now + 1000;
        recent.push_back(std::move(r));
      }
    }
    auto decision = decideDelivery(policy, request, recent);
    m.send_at = decision.send_at;
    m.reason = decision.reason;
    if (!decision.send) m.status = "skipped";
    m.decided = !decision.send ? "policy: skipped — " + m.reason
                : m.send_at > request.now ? "policy: queued, " + m.reason
                                          : "policy: queued";
    for (const auto& [id, why] : decision.displaced) {
      auto& gone = messages[static_cast<size_t>(id - 1)];
      gone.status = "skipped";
      gone.reason = why;
      lines.push_back({m.fx->time, gone.journey, std::numeric_limits<std::int64_t>::max(), gone.fx->effect.step_id,
                       "message " + gone.fx->effect.channel + " " + gone.fx->effect.template_name +
                           " → skipped: " + why});
    }
  }
  return messages;
}

}  // namespace

int runSimulate(const SimulateCommand& cmd) {
  Diagnostics diags;
  PolicySettings policy;
  std::map<std::string, Channel> kinds;
  if (!cmd.config.empty()) {
    auto config = loadConfig(cmd.config, diags);
    if (!config) {
      std::fputs(diags.format().c_str(), stderr);
      return 1;
    }
    policy = config->policy;
    kinds = channelKinds(*config);
  }
  std::vector<JourneyPtr> journeys;
  for (const auto& file : cmd.journeys) {
    auto source = readText(file);
    if (!source) {
      std::fprintf(stderr, "%s: error: cannot read file\n", file.c_str());
      return 1;
    }
    auto journey = loadJourneyText(*source, file, {}, diags);
    if (!journey) {
      std::fputs(diags.format().c_str(), stderr);
      return 1;
    }
    journeys.push_back(journey);
  }
  if (!diags.empty()) std::fputs(diags.format().c_str(), stderr);
  auto customer = readJsonFile(cmd.customer);
  if (!customer) return 1;
  auto start = parseIsoTime(cmd.start);
  if (!start) {
    std::fprintf(stderr, "journeyd: error: --start must be an ISO-8601 time, not '%s'\n", cmd.start.c_str());
    return 1;
  }
  auto duration = parseDuration(cmd.duration);
  if (!duration) {
    std::fprintf(stderr, "journeyd: error: bad duration '%s' (use s, m, h, d or w, e.g. 30d)\n", cmd.duration.c_str());
    return 1;
  }
  std::vector<SimulationEvent> events;
  if (!cmd.events.empty()) {
    std::ifstream in(cmd.events);
    if (!in) {
      std::fprintf(stderr, "%s: error: cannot read file\n", cmd.events.c_str());
      return 1;
    }
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json e = json::parse(line, nullptr, false);
      auto bad = [&](const std::string& why) {
        std::fprintf(stderr, "%s:%d:1: error: %s\n", cmd.events.c_str(), line_no, why.c_str());
        return 1;
      };
      if (!e.is_object()) return bad("each line must be a JSON object");
      SimulationEvent ev;
      ev.name = e.value("event", e.value("name", e.value("type", std::string())));
      if (ev.name.empty()) return bad("an event needs \"event\" (its name)");
      if (e.contains("properties") && e["properties"].is_object()) ev.properties = e["properties"];
      if (e.value("type", "") == "identify" && e.contains("traits")) {
        ev.name = "identify";
        ev.properties = e["traits"];
      }
      if (e.contains("after")) {
        auto d = parseDuration(e.value("after", ""));
        if (!d) return bad("\"after\" must be a duration like 2d");
        ev.time = *start + *d;
      } else if (auto t = parseIsoTime(e.value("timestamp", ""))) {
        ev.time = *t;
      } else {
        return bad("an event needs \"after\" (e.g. \"2d\" after the start) or an ISO \"timestamp\"");
      }
      events.push_back(std::move(ev));
    }
  }
  SimulationOptions options;
  options.start = *start;
  options.duration = *duration;
  if (customer->contains("id") && (*customer)["id"].is_string()) options.customer_id = (*customer)["id"];
  std::vector<SimulationResult> results;
  for (const auto& journey : journeys) results.push_back(simulateJourney(*journey, *customer, events, options));

  // One timeline: every journey's lines, each send followed by the policy's decision.
  std::vector<SimLine> lines;
  auto messages = applyPolicy(policy, kinds, customerNumber(*customer), journeys, results, lines);
  for (size_t j = 0; j < results.size(); ++j) {
    size_t next_send = 0;
    std::vector<const SimMessage*> sends;
    for (const auto& m : messages) {
      if (m.journey == j) sends.push_back(&m);
    }
    std::stable_sort(sends.begin(), sends.end(), [](const SimMessage* a, const SimMessage* b) { return a->id < b->id; });
    for (size_t i = 0; i < results[j].trace.size(); ++i) {
      const auto& t = results[j].trace[i];
      lines.push_back({t.time, j, static_cast<std::int64_t>(2 * i), t.step_id, t.text});
      if (next_send < sends.size() && t.text.rfind("send ", 0) == 0 && sends[next_send]->fx->effect.step_id == t.step_id) {
        const SimMessage& m = *sends[next_send++];
        lines.push_back({t.time, j, static_cast<std::int64_t>(2 * i + 1), t.step_id, m.decided});
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const SimLine& a, const SimLine& b) {
    return a.time != b.time ? a.time < b.time : a.journey != b.journey ? a.journey < b.journey : a.order < b.order;
  });
  const bool several = journeys.size() > 1;
  if (cmd.json) {
    for (const auto& line : lines) {
      json out = {{"time", formatIsoTime(line.time)}, {"step", line.step}, {"text", line.text}};
      if (several) out["journey"] = journeys[line.journey]->id;
      std::printf("%s\n", out.dump().c_str());
    }
    for (size_t j = 0; j < results.size(); ++j) {
      const auto& result = results[j];
      json end = {{"journey", journeys[j]->id},
                  {"entered", result.entered},
                  {"entry", result.entry_reason},
                  {"status", enrollmentStatusName(result.enrollment.status)}};
      if (result.enrollment.finished()) end["exit_reason"] = exitReasonName(result.enrollment.exit_reason);
      json sends = json::array();
      for (const auto& m : messages) {
        if (m.journey != j) continue;
        json s = {{"time", formatIsoTime(m.fx->time)}, {"step", m.fx->effect.step_id},
                  {"channel", m.fx->effect.channel}, {"template", m.fx->effect.template_name}, {"status", m.status}};
        if (m.status != "skipped") s["send_at"] = formatIsoTime(m.send_at);
        if (!m.reason.empty()) s["reason"] = m.reason;
        sends.push_back(std::move(s));
      }
      end["messages"] = sends;
      std::printf("%s\n", end.dump().c_str());
    }
  } else {
    for (const auto& line : lines) {
      TraceLine t{line.time, line.step, line.text};
      std::printf("%s%s\n", several ? ("[" + journeys[line.journey]->id + "] ").c_str() : "", t.format().c_str());
    }
  }
  return 0;
}

}  // namespace journeyd
