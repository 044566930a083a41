#include "connectors/plugin/plugin_connector.h"

#include <dlfcn.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "connectors/plugin/journeyd_connector.h"
#include "connectors/settings.h"

namespace journeyd {

/// A dlopen'ed plugin and its entry points; the library is closed when the last connector
/// holding it goes. Immutable, so shared freely between threads.
class PluginLibrary {
 public:
  PluginLibrary(void* dl, jd_create_fn create, jd_send_fn send, jd_destroy_fn destroy)
      : dl_(dl), create_(create), send_(send), destroy_(destroy) {}
  ~PluginLibrary() { ::dlclose(dl_); }
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  jd_connector* create(const char* settings_json, jd_settings_error* error) const {
    return create_(settings_json, error);
  }
  int send(jd_connector* handle, const jd_message* message, jd_send_result* result) const {
    return send_(handle, message, result);
  }
  void destroy(jd_connector* handle) const { destroy_(handle); }

 private:
  void* dl_;
  jd_create_fn create_;
  jd_send_fn send_;
  jd_destroy_fn destroy_;
};

namespace {

/// Reports a problem at a node of the channel's settings.
struct Reporter {
  ConnectorConfigContext& ctx;
  bool failed = false;
  void error(const YAML::Node& at, const std::string& message) {
    failed = true;
    if (ctx.diagnostics != nullptr) {
      ctx.diagnostics->error(yamlPos(at, ctx.file),
                             "channel '" + ctx.channel_name + "': " + message);
    }
  }
};

/// A plain (unquoted) YAML scalar as the JSON value it reads as: an integer, a number,
/// true/false or null; nullopt for anything else (which stays a string).
std::optional<nlohmann::json> plainScalarValue(const std::string& text) {
  if (text == "true") return nlohmann::json(true);
  if (text == "false") return nlohmann::json(false);
  if (text == "null" || text == "~") return nlohmann::json(nullptr);
  if (text.empty()) return std::nullopt;
  std::int64_t integer = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (ec == std::errc() && end == text.data() + text.size()) return nlohmann::json(integer);
  double number = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (dec == std::errc() && dend == text.data() + text.size()) return nlohmann::json(number);
  return std::nullopt;
}

/// The plugin's settings as JSON; `${ENV}` in strings is expanded, a missing variable reported.
nlohmann::json yamlToJson(const YAML::Node& node, Reporter& reporter) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          reporter.error(entry.first, "'settings' keys must be plain names");
          continue;
        }
        out[entry.first.Scalar()] = yamlToJson(entry.second, reporter);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(yamlToJson(item, reporter));
      return out;
    }
    case YAML::NodeType::Scalar: {
      if (node.Tag() == "?") {
        if (auto value = plainScalarValue(node.Scalar())) return *value;
      }
      std::string missing;
      auto expanded = expandEnvironment(node.Scalar(), &missing);
      if (!expanded) {
        reporter.error(node, "environment variable '" + missing + "' is not set");
        return "";
      }
      return *expanded;
    }
    default:
      return nullptr;
  }
}

/// The node at a dotted key path (`auth.token`) under `root`, or `root` when there is none.
YAML::Node nodeAt(const YAML::Node& root, const std::string& dotted) {
  YAML::Node node = root;
  size_t start = 0;
  while (!dotted.empty() && start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string part =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const YAML::Node& current = node;  // const lookups never insert into the document
    if (!current.IsMap() || !current[part].IsDefined()) return node;
    node.reset(current[part]);  // rebind; `node = ...` would overwrite the document's node
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

std::string bounded(const char* buffer, size_t size) {
  return std::string(buffer, strnlen(buffer, size));
}

}  // namespace

std::optional<PluginConfig> parsePluginConfig(const YAML::Node& settings,
                                              ConnectorConfigContext& ctx) {
  SettingsReader reader(settings, ctx, {"path", "kind", "settings"});
  PluginConfig config;
  if (auto path = reader.string("path", true)) {
    config.path = *path;
    std::error_code ec;
    if (path->empty()) {
      reader.error("path", "'path' must name the plugin's .so file");
    } else if (!std::filesystem::is_regular_file(*path, ec)) {
      reader.error("path", "plugin file '" + *path + "' does not exist");
    }
  }
  const std::string kind = reader.choice("kind", {"email", "sms", "webhook"}, "webhook");
  config.kind = kind == "sms"     ? MessageKind::kSms
                : kind == "email" ? MessageKind::kEmail
                                  : MessageKind::kWebhook;
  Reporter reporter{ctx};
  if (reader.has("settings")) {
    const YAML::Node plugin_settings = settings["settings"];
    if (!plugin_settings.IsMap()) {
      reader.error("settings", "'settings' must be a map of the plugin's own settings");
    } else {
      config.settings_json = yamlToJson(plugin_settings, reporter)
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  if (!reader.ok() || reporter.failed) return std::nullopt;
  return config;
}

std::shared_ptr<const PluginLibrary> loadPluginLibrary(const std::string& path,
                                                       std::string* error) {
  // RTLD_LOCAL: two plugins may use the same symbol names (they all do) without clashing.
  void* dl = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) {
    const char* why = ::dlerror();
    *error = "cannot load plugin '" + path + "': " + (why != nullptr ? why : "unknown error");
    return nullptr;
  }
  auto symbol = [&](const char* name) -> void* {
    void* found = ::dlsym(dl, name);
    if (found == nullptr && error->empty()) {
      *error = "plugin '" + path + "' lacks the symbol '" + name +
               "': it is not a journeyd connector plugin (see connectors/plugin/"
               "journeyd_connector.h)";
    }
    return found;
  };
  error->clear();
  auto abi_version = reinterpret_cast<jd_abi_version_fn>(symbol(JD_SYMBOL_ABI_VERSION));
  if (abi_version != nullptr && abi_version() != JD_CONNECTOR_ABI_VERSION) {
    *error = "plugin '" + path + "' speaks connector ABI version " + std::to_string(abi_version()) +
             " but this journeyd speaks version " + std::to_string(JD_CONNECTOR_ABI_VERSION) +
             ": rebuild it against this release's connectors/plugin/journeyd_connector.h";
    ::dlclose(dl);
    return nullptr;
  }
  auto create = reinterpret_cast<jd_create_fn>(symbol(JD_SYMBOL_CREATE));
  auto send = reinterpret_cast<jd_send_fn>(symbol(JD_SYMBOL_SEND));
  auto destroy = reinterpret_cast<jd_destroy_fn>(symbol(JD_SYMBOL_DESTROY));
  if (!error->empty()) {
    ::dlclose(dl);
    return nullptr;
  }
  return std::make_shared<const PluginLibrary>(dl, create, send, destroy);
}

PluginConnector::PluginConnector(std::shared_ptr<const PluginLibrary> library, void* handle,
                                 MessageKind kind)
    : library_(std::move(library)), handle_(handle), kind_(kind) {}

PluginConnector::~PluginConnector() { library_->destroy(static_cast<jd_connector*>(handle_)); }

SendResult PluginConnector::send(const OutboundMessage& message) {
  std::vector<jd_pair> headers;
  headers.reserve(message.headers.size());
  for (const auto& [name, value] : message.headers)
    headers.push_back({name.c_str(), value.c_str()});
  std::vector<jd_pair> metadata;
  metadata.reserve(message.metadata.size());
  for (const auto& [name, value] : message.metadata) {
    metadata.push_back({name.c_str(), value.c_str()});
  }
  const jd_message c_message{message.id.c_str(),      message.channel.c_str(), message.to.c_str(),
                             message.subject.c_str(), message.html.c_str(),    message.text.c_str(),
                             message.body.c_str(),    headers.data(),          headers.size(),
                             metadata.data(),         metadata.size(),         message.created_at};
  jd_send_result result{};
  const int status = library_->send(static_cast<jd_connector*>(handle_), &c_message, &result);
  std::string reason = bounded(result.reason, sizeof result.reason);
  switch (status) {
    case JD_SEND_SENT:
      return SendResult::sent(bounded(result.provider_id, sizeof result.provider_id));
    case JD_SEND_RETRY:
      return SendResult::retry(std::move(reason),
                               result.retry_after_ms > 0 ? result.retry_after_ms : 0);
    case JD_SEND_FAILED:
      return SendResult::failed(std::move(reason));
    case JD_SEND_BOUNCED:
      return SendResult::bounced(std::move(reason));
    default:
      return SendResult::retry("plugin answered an unknown status " + std::to_string(status) +
                               (reason.empty() ? "" : ": " + reason));
  }
}

void registerPlugin(ConnectorRegistry& registry) {
  registry.add(
      "plugin",
      [](const YAML::Node& settings, ConnectorConfigContext& ctx) -> std::unique_ptr<Connector> {
        auto config = parsePluginConfig(settings, ctx);
        if (!config) return nullptr;
        Reporter reporter{ctx};
        std::string error;
        auto library = loadPluginLibrary(config->path, &error);
        if (!library) {
          reporter.error(settings["path"], error);
          return nullptr;
        }
        jd_settings_error refused{};
        jd_connector* handle = library->create(config->settings_json.c_str(), &refused);
        if (handle == nullptr) {
          const std::string key = bounded(refused.setting, sizeof refused.setting);
          const std::string why = bounded(refused.message, sizeof refused.message);
          const YAML::Node plugin_settings = settings["settings"];
          const YAML::Node at =
              plugin_settings.IsDefined() ? nodeAt(plugin_settings, key) : settings["path"];
          reporter.error(at, "plugin refused its settings: " +
                                 (why.empty() ? std::string("no reason given") : why));
          return nullptr;
        }
        return std::make_unique<PluginConnector>(std::move(library), handle, config->kind);
      });
}

}  // namespace journeyd
