// `journeyd render` and `journeyd simulate`: what a marketer runs before a journey goes live.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/cli/commands.h"
#include "daemon/config/config.h"
#include "daemon/customers/inbound_message.h"
#include "daemon/delivery/policy.h"
#include "daemon/engine/step_machine.h"
#include "daemon/journeys/loader.h"
#include "daemon/render/message_template.h"
#include "daemon/scheduler/catalog_loader.h"
#include "daemon/scheduler/simulation.h"

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
      case Channel::kWebhook:
        out["body"] = r->body;
        break;
    }
    if (cmd.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else if (tmpl->channel() == Channel::kEmail) {
      std::printf("Subject: %s\nLocale: %s\n\n--- text ---\n%s\n--- html ---\n%s\n",
                  r->subject.c_str(), r->locale.c_str(), r->text.c_str(), r->html.c_str());
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
  options.escape_html =
      cmd.channel.empty() && (cmd.file.ends_with(".html") || cmd.file.ends_with(".htm"));
  auto text = tmpl->render(*context, options);
  if (!text) {
    std::fprintf(stderr, "%s: error: %s\n", cmd.file.c_str(), text.error().message.c_str());
    return 1;
  }
  if (cmd.channel == "sms") {
    auto info = analyzeSms(*text);
    if (cmd.json) {
      std::printf("%s\n", json{{"body", *text},
                               {"encoding", info.encoding},
                               {"segments", info.segments},
                               {"characters", info.characters}}
                              .dump(2)
                              .c_str());
    } else {
      std::printf("%s\n--- %s, %zu characters, %zu segment(s) ---\n", text->c_str(),
                  info.encoding.c_str(), info.characters, info.segments);
    }
  } else if (cmd.json) {
    std::printf("%s\n", json{{"body", *text}}.dump(2).c_str());
  } else {
    std::fwrite(text->data(), 1, text->size(), stdout);
  }
  return 0;
}

namespace {

/// What the simulated journeys run with: the journey files given, and with a config its
/// templates, channel kinds, segments and scores (else the channel kinds the steps' channel names
/// say, and the segments file beside the first journey, if there is one).
CatalogPtr simulationCatalog(const std::vector<JourneyPtr>& journeys, const Config* config,
                             const std::string& first_file, Diagnostics& diags) {
  auto catalog = std::make_shared<RuntimeCatalog>();
  if (config) {
    Diagnostics ignored;  // problems of the config's own journeys are not this command's
    LoadedCatalog loaded = loadCatalog(*config, ignored);
    catalog->templates = loaded.catalog->templates;
    catalog->channels = loaded.catalog->channels;
    catalog->segments = loaded.catalog->segments;
    catalog->scores = loaded.catalog->scores;
  } else {
    const auto beside = std::filesystem::path(first_file).parent_path() / "segments.yaml";
    if (std::filesystem::exists(beside)) {
      auto text = readText(beside.string());
      if (text) {
        auto defs = loadDefinitionsText(*text, beside.string(), {}, diags);
        catalog->segments = std::move(defs.segments);
        catalog->scores = std::move(defs.scores);
      }
    }
  }
  for (const auto& j : journeys) {
    catalog->journeys.push_back(j);
    catalog->current[j->id] = j;
    catalog->versions[{j->id, j->version}] = j;
    for (const auto& step : j->steps) {
      if (step.kind != StepKind::kSend || catalog->channels.count(step.channel)) continue;
      catalog->channels[step.channel] =
          parseChannelKind(step.channel).value_or(ChannelKind::kEmail);
    }
  }
  catalog->index();
  return catalog;
}

}  // namespace

int runSimulate(const SimulateCommand& cmd) {
  Diagnostics diags;
  SimulationSetup setup;
  std::shared_ptr<const Config> config;
  if (!cmd.config.empty()) {
    config = loadConfig(cmd.config, diags);
    if (!config) {
      std::fputs(diags.format().c_str(), stderr);
      return 1;
    }
    setup.policy = config->policy;
    setup.orders = config->orders;
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
  auto customer = readJsonFile(cmd.customer);
  if (!customer) return 1;
  if (!customer->is_object()) {
    std::fprintf(stderr, "%s: error: the customer must be a JSON object\n", cmd.customer.c_str());
    return 1;
  }
  auto start = parseIsoTime(cmd.start);
  if (!start) {
    std::fprintf(stderr, "journeyd: error: --start must be an ISO-8601 time, not '%s'\n",
                 cmd.start.c_str());
    return 1;
  }
  auto duration = parseDuration(cmd.duration);
  if (!duration) {
    std::fprintf(stderr, "journeyd: error: bad duration '%s' (use s, m, h, d or w, e.g. 30d)\n",
                 cmd.duration.c_str());
    return 1;
  }
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
        return bad(
            "an event needs \"after\" (e.g. \"2d\" after the start) or an ISO \"timestamp\"");
      }
      setup.events.push_back(std::move(ev));
    }
  }
  setup.catalog = simulationCatalog(journeys, config.get(), cmd.journeys.front(), diags);
  if (!diags.empty()) std::fputs(diags.format().c_str(), stderr);
  setup.customer = *customer;
  setup.start = *start;
  setup.duration = *duration;
  auto run = simulate(setup);
  if (!run) {
    std::fprintf(stderr, "journeyd: error: %s\n", run.error().message.c_str());
    return 1;
  }
  const bool several = journeys.size() > 1;
  if (cmd.json) {
    for (const auto& line : run->lines) {
      json out = {{"time", formatIsoTime(line.time)}, {"step", line.step}, {"text", line.text}};
      if (several) out["journey"] = line.journey;
      std::printf("%s\n", out.dump().c_str());
    }
    for (const auto& j : run->journeys) {
      json end = {{"journey", j.id}, {"entered", j.entered}, {"entry", j.entry}};
      if (j.entered) end["status"] = j.status;
      if (!j.exit_reason.empty()) end["exit_reason"] = j.exit_reason;
      json sends = json::array();
      for (const auto& m : j.messages) {
        json s = {{"time", formatIsoTime(m.time)},
                  {"step", m.step},
                  {"channel", m.channel},
                  {"template", m.template_name},
                  {"status", m.status}};
        if (m.send_at) s["send_at"] = formatIsoTime(*m.send_at);
        if (!m.reason.empty()) s["reason"] = m.reason;
        sends.push_back(std::move(s));
      }
      end["messages"] = sends;
      std::printf("%s\n", end.dump().c_str());
    }
    return 0;
  }
  for (const auto& line : run->lines) {
    TraceLine t{line.time, line.step, line.text};
    std::printf("%s%s\n", several ? ("[" + line.journey + "] ").c_str() : "", t.format().c_str());
  }
  for (const auto& j : run->journeys) {
    if (!j.entered)
      std::printf("%sdid not enter: %s\n", several ? ("[" + j.id + "] ").c_str() : "",
                  j.entry.c_str());
  }
  return 0;
}

}  // namespace journeyd
