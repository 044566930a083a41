// `journeyd render` and `journeyd simulate`: what a marketer runs before a journey goes live.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
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

int runSimulate(const SimulateCommand& cmd) {
  auto source = readText(cmd.journey);
  if (!source) {
    std::fprintf(stderr, "%s: error: cannot read file\n", cmd.journey.c_str());
    return 1;
  }
  Diagnostics diags;
  auto journey = loadJourneyText(*source, cmd.journey, {}, diags);
  if (!diags.empty()) std::fputs(diags.format().c_str(), stderr);
  if (!journey) return 1;
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
  auto result = simulateJourney(*journey, *customer, std::move(events), options);
  if (cmd.json) {
    for (const auto& line : result.trace) {
      std::printf("%s\n", json{{"time", formatIsoTime(line.time)}, {"step", line.step_id}, {"text", line.text}}
                              .dump()
                              .c_str());
    }
    json end = {{"entered", result.entered},
                {"entry", result.entry_reason},
                {"status", enrollmentStatusName(result.enrollment.status)}};
    if (result.enrollment.finished()) end["exit_reason"] = exitReasonName(result.enrollment.exit_reason);
    json sends = json::array();
    for (const auto& te : result.effects) {
      if (te.effect.kind != EffectKind::kSend) continue;
      sends.push_back({{"time", formatIsoTime(te.time)}, {"step", te.effect.step_id},
                       {"channel", te.effect.channel}, {"template", te.effect.template_name}});
    }
    end["messages"] = sends;
    std::printf("%s\n", end.dump().c_str());
  } else {
    std::fputs(formatTimeline(result).c_str(), stdout);
  }
  return 0;
}

}  // namespace journeyd
