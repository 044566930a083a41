#include "daemon/scheduler/catalog_loader.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/journeys/loader.h"

namespace journeyd {

namespace fs = std::filesystem;

std::map<std::string, Channel> channelKinds(const Config& config) {
  std::map<std::string, Channel> kinds;
  if (!config.channels) return kinds;
  try {
    for (const auto& kv : *config.channels) {
      const auto name = kv.first.as<std::string>();
      const auto& settings = kv.second;
      std::string type = settings["connector"] ? settings["connector"].as<std::string>() : "";
      std::optional<Channel> kind;
      if (type == "smtp") kind = Channel::kEmail;
      if (type == "sms_http") kind = Channel::kSms;
      if (type == "webhook") kind = Channel::kWebhook;
      if (type == "log")
        kind = parseChannel(settings["kind"] ? settings["kind"].as<std::string>() : "email");
      if (kind) kinds[name] = *kind;
    }
  } catch (const YAML::Exception&) {
    // Malformed channel settings are reported by the connectors' own validation.
  }
  return kinds;
}

LoadedCatalog loadCatalog(const Config& config, Diagnostics& diags) {
  auto catalog = std::make_shared<RuntimeCatalog>();
  LoadedCatalog out;
  std::error_code ec;
  if (fs::exists(config.templates_dir, ec)) {
    catalog->templates = TemplateSet::load(config.templates_dir, diags);
  } else {
    diags.warning({config.templates_dir, 0, 0}, "templates folder not found");
  }
  catalog->channels = channelKinds(config);

  JourneyCatalog known;
  if (catalog->templates) known.templates = catalog->templates->names();
  for (const auto& [name, _] : catalog->channels) known.channels.push_back(name);
  if (known.channels.empty()) known.channels = {"email", "sms", "webhook"};

  JourneyDefinitions defs;
  if (fs::exists(config.journeys_dir, ec)) {
    defs = loadDefinitions(config.journeys_dir, known, diags);
  } else {
    diags.warning({config.journeys_dir, 0, 0}, "journeys folder not found");
  }
  if (!config.segments_dir.empty() && fs::exists(config.segments_dir, ec)) {
    auto more = loadDefinitions(config.segments_dir, known, diags);
    defs.segments.insert(defs.segments.end(), more.segments.begin(), more.segments.end());
    defs.scores.insert(defs.scores.end(), more.scores.begin(), more.scores.end());
  }
  for (const auto& j : defs.journeys) {
    catalog->journeys.push_back(j);
    catalog->current[j->id] = j;
    catalog->versions[{j->id, j->version}] = j;
    std::ifstream in(j->file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.sources[j->file] = ss.str();
  }
  catalog->segments = std::move(defs.segments);
  catalog->scores = std::move(defs.scores);
  catalog->index();
  out.catalog = std::move(catalog);
  return out;
}

}  // namespace journeyd
