#pragma once
/// The plugin connector: adapts an out-of-tree connector, a shared library speaking the C ABI of
/// `journeyd_connector.h`, to the Connector interface. The library is loaded with dlopen by path
/// from the channel config; the channel's `settings:` map is handed to it as JSON text.
#include <memory>
#include <optional>
#include <string>

#include "connectors/connector.h"

namespace journeyd {

/// Settings of a plugin channel, parsed and validated once (the library is not loaded yet).
struct PluginConfig {
  std::string path;                          ///< the plugin's .so file; required
  MessageKind kind = MessageKind::kWebhook;  ///< which rendered parts the channel carries
  /// the `settings:` map as a JSON object (plain YAML numbers and booleans as JSON ones, all
  /// else as strings, `${ENV}` expanded); "{}" when absent
  std::string settings_json = "{}";
};

/// Parses a plugin channel's settings; nullopt (with diagnostics) when they are wrong.
std::optional<PluginConfig> parsePluginConfig(const YAML::Node& settings,
                                              ConnectorConfigContext& ctx);

/// A loaded plugin library with its entry points; shared by the channels that use it and
/// closed when the last of them goes.
class PluginLibrary;

/// Loads the library at `path` and checks its ABI version and entry points; nullptr with
/// `*error` set (missing file, not loadable, missing symbol, ABI version mismatch).
std::shared_ptr<const PluginLibrary> loadPluginLibrary(const std::string& path, std::string* error);

/// Sends through a plugin's handle; thread-safe as far as the plugin's send() is (which its
/// contract requires).
class PluginConnector final : public Connector {
 public:
  /// Takes ownership of `handle`, made by `library`'s create().
  PluginConnector(std::shared_ptr<const PluginLibrary> library, void* handle, MessageKind kind);
  ~PluginConnector() override;
  PluginConnector(const PluginConnector&) = delete;
  PluginConnector& operator=(const PluginConnector&) = delete;
  SendResult send(const OutboundMessage& message) override;
  [[nodiscard]] MessageKind kind() const override { return kind_; }

 private:
  std::shared_ptr<const PluginLibrary> library_;
  void* handle_;
  MessageKind kind_;
};

/// Registers the `plugin` connector type.
void registerPlugin(ConnectorRegistry& registry);

}  // namespace journeyd
