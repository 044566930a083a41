#include "daemon/delivery/channels.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <set>

#include "connectors/settings.h"

namespace journeyd {

namespace {

std::optional<std::int64_t> parseCount(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// Reads the dispatcher-owned keys of one channel; reports into `diagnostics`.
class DispatcherSettingsReader {
 public:
  DispatcherSettingsReader(const YAML::Node& settings, const std::string& channel,
                           const std::string& file, Diagnostics& diagnostics)
      : settings_(settings), channel_(channel), file_(file), diagnostics_(diagnostics) {}

  ChannelSettings read() {
    ChannelSettings out;
    if (auto text = scalar("rate_limit")) {
      if (auto limit = parseRateLimit(*text)) {
        out.rate_limit = *limit;
      } else {
        error("rate_limit",
              "'rate_limit' must be a count per unit like 100/s, 6000/m or 10/h, not '" + *text +
                  "'");
      }
    }
    out.concurrency = integer("concurrency", out.concurrency, 1, 1024);
    out.max_attempts = integer("max_attempts", out.max_attempts, 1, 1000);
    if (auto text = scalar("max_age")) {
      auto age = parseDuration(*text);
      if (!age || *age <= 0) {
        error("max_age",
              "'max_age' must be a positive duration like 24h or 3d, not '" + *text + "'");
      } else {
        out.max_age = *age;
      }
    }
    return out;
  }

 private:
  std::optional<std::string> scalar(const char* key) {
    YAML::Node node = settings_[key];
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    if (!node.IsScalar()) {
      error(key, std::string("'") + key + "' must be a single value");
      return std::nullopt;
    }
    return node.Scalar();
  }

  int integer(const char* key, int fallback, int min, int max) {
    auto text = scalar(key);
    if (!text) return fallback;
    auto value = parseCount(*text);
    if (!value || *value < min || *value > max) {
      error(key, std::string("'") + key + "' must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not '" + *text + "'");
      return fallback;
    }
    return static_cast<int>(*value);
  }

  void error(const char* key, const std::string& message) {
    diagnostics_.error(yamlPos(settings_[key], file_), "channel '" + channel_ + "': " + message);
  }

  const YAML::Node& settings_;
  const std::string& channel_;
  const std::string& file_;
  Diagnostics& diagnostics_;
};

}  // namespace

std::int64_t RateLimit::burst() const {
  if (unlimited()) return 0;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(perSecond())));
}

std::optional<RateLimit> parseRateLimit(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto count = parseCount(text.substr(0, slash));
  if (!count || *count <= 0) return std::nullopt;
  std::string_view unit = text.substr(slash + 1);
  DurationMs window = 0;
  if (unit == "s") {
    window = kSecondMs;
  } else if (unit == "m") {
    window = kMinuteMs;
  } else if (unit == "h") {
    window = kHourMs;
  } else if (unit == "d") {
    window = kDayMs;
  } else if (auto d = parseDuration(unit)) {
    window = *d;
  }
  if (window <= 0) return std::nullopt;
  return RateLimit{*count, window};
}

std::shared_ptr<const Channels> Channels::build(const YAML::Node& channels, const std::string& file,
                                                Diagnostics& diagnostics) {
  ConnectorRegistry registry;
  registerBuiltinConnectors(registry);
  return build(channels, file, diagnostics, registry);
}

std::shared_ptr<const Channels> Channels::build(const YAML::Node& channels, const std::string& file,
                                                Diagnostics& diagnostics,
                                                const ConnectorRegistry& registry) {
  auto out = std::make_shared<Channels>();
  bool failed = false;
  auto report = [&](const YAML::Node& at, std::string message) {
    diagnostics.error(yamlPos(at, file), std::move(message));
    failed = true;
  };
  try {
    if (!channels.IsDefined() || channels.IsNull()) return out;
    if (!channels.IsMap()) {
      report(channels, "'channels' must be a map of channel name to settings");
      return nullptr;
    }
    const std::vector<std::string> types = registry.names();
    std::set<std::string> names;
    for (const auto& entry : channels) {
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string{};
      if (name.empty()) {
        report(entry.first, "a channel name must be a non-empty string");
        continue;
      }
      if (!names.insert(name).second) {
        report(entry.first, "channel '" + name + "' is defined twice");
        continue;
      }
      const YAML::Node& settings = entry.second;
      if (!settings.IsMap()) {
        report(settings.IsNull() ? entry.first : settings,
               "channel '" + name + "': settings must be a map with at least 'connector'");
        continue;
      }
      // yaml-cpp keeps the first of two equal keys; a second one is a mistake to point out.
      std::set<std::string> keys;
      bool duplicate = false;
      for (const auto& setting : settings) {
        if (setting.first.IsScalar() && !keys.insert(setting.first.Scalar()).second) {
          report(setting.first,
                 "channel '" + name + "': setting '" + setting.first.Scalar() + "' is given twice");
          duplicate = true;
        }
      }
      if (duplicate) continue;
      const YAML::Node type_node = settings["connector"];
      if (!type_node.IsDefined() || type_node.IsNull()) {
        report(entry.first, "channel '" + name +
                                "': missing required setting 'connector' (one of " +
                                joinNames(types) + ")");
        continue;
      }
      if (!type_node.IsScalar()) {
        report(type_node, "channel '" + name + "': 'connector' must be a connector type name");
        continue;
      }
      const std::string type = type_node.Scalar();
      const ConnectorFactory* factory = registry.find(type);
      if (factory == nullptr) {
        std::string hint = closestMatch(type, types);
        report(type_node, "channel '" + name + "': unknown connector '" + type + "'" +
                              (hint.empty() ? " (known: " + joinNames(types) + ")"
                                            : "; did you mean '" + hint + "'?"));
        continue;
      }

      const size_t errors_before = diagnostics.items().size();
      ChannelSettings channel_settings =
          DispatcherSettingsReader(settings, name, file, diagnostics).read();
      ConnectorConfigContext ctx{name, file, &diagnostics};
      std::unique_ptr<Connector> connector = (*factory)(settings, ctx);
      bool channel_failed = false;
      for (size_t i = errors_before; i < diagnostics.items().size(); ++i) {
        channel_failed = channel_failed || diagnostics.items()[i].severity == Severity::kError;
      }
      if (connector == nullptr && !channel_failed) {
        report(type_node, "channel '" + name + "': connector '" + type + "' rejected its settings");
      }
      if (connector == nullptr || channel_failed) {
        failed = true;
        continue;
      }
      DeliveryChannel channel{name, type, connector.get(), connector->kind(), channel_settings};
      out->connectors_.push_back(std::move(connector));
      out->channels_.emplace(name, std::move(channel));
    }
  } catch (const std::exception& e) {
    // yaml-cpp throws on malformed nodes; a connector factory should not, but must not escape.
    report(channels, std::string("malformed channels: ") + e.what());
  }
  if (failed) return nullptr;
  return out;
}

const DeliveryChannel* Channels::find(std::string_view name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : &it->second;
}

}  // namespace journeyd
