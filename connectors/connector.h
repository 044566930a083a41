#pragma once
/// The Connector extension point: how a rendered message leaves journeyd.
///
/// A connector type (smtp, sms_http, webhook, log, plugin, ...) registers a factory under its name
/// in a ConnectorRegistry. Each channel in the config names a connector type and carries its
/// settings; at start-up the factory parses and validates those settings once (reporting problems
/// with file:line:col) and returns a Connector. Several channels may use the same connector type.
///
/// send() is called from the dispatcher's worker threads; an implementation must be safe to call
/// from several threads at once (keep per-thread or pooled connections inside).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/channel_kind.h"
#include "daemon/core/diagnostic.h"
#include "daemon/core/time.h"

namespace YAML {
class Node;
}

namespace journeyd {

/// Which rendered parts a channel carries: the daemon's one channel-kind type (email, SMS,
/// webhook), under the name this interface has always used.
using MessageKind = ChannelKind;

/// A message ready to go out: rendered once, stored with its outbox row, so a retry sends the
/// same bytes.
struct OutboundMessage {
  std::string id;       ///< idempotency key, stable across retries (webhook-id, Message-ID, header)
  std::string channel;  ///< channel name from config, e.g. "email", "sms-cn"
  std::string to;       ///< email address, E.164 phone number, or empty for webhooks
  // email
  std::string subject;
  std::string html;
  std::string text;
  // sms body, or webhook JSON body
  std::string body;
  /// Extra headers to carry (e.g. List-Unsubscribe, List-Unsubscribe-Post for email).
  std::vector<std::pair<std::string, std::string>> headers;
  /// Who and why, for logs and providers that want it: customer_id, journey, step.
  std::map<std::string, std::string> metadata;
  TimeMs created_at = 0;
};

/// What a send attempt came to.
struct SendResult {
  enum class Status { kSent, kRetry, kFailed };
  Status status = Status::kFailed;
  std::string provider_id;     ///< the provider's id for the message, when sent
  DurationMs retry_after = 0;  ///< with kRetry: the provider's Retry-After, 0 when not given
  std::string reason;          ///< with kRetry/kFailed: why, for the message's record
  /// With kFailed: the recipient's address itself is permanently undeliverable (no such
  /// mailbox, not a valid or reachable number, the recipient opted out at the provider). The
  /// dispatcher then suppresses the address on the channel, so only say it when the provider
  /// said so about this recipient; failures of our own (credentials, sender, content,
  /// configuration) are plain kFailed.
  bool hard_bounce = false;

  static SendResult sent(std::string provider_id = {}) {
    return {Status::kSent, std::move(provider_id), 0, {}};
  }
  static SendResult retry(std::string reason, DurationMs after = 0) {
    return {Status::kRetry, {}, after, std::move(reason)};
  }
  static SendResult failed(std::string reason) {
    return {Status::kFailed, {}, 0, std::move(reason)};
  }
  static SendResult bounced(std::string reason) {
    return {Status::kFailed, {}, 0, std::move(reason), true};
  }
};

class Connector {
 public:
  virtual ~Connector() = default;
  /// Sends one message. Blocking; bounded by the connector's own timeouts.
  virtual SendResult send(const OutboundMessage& message) = 0;
  /// The kind of message this connector sends (log connectors say so in their settings).
  [[nodiscard]] virtual MessageKind kind() const = 0;
};

/// Everything a factory gets: the channel's settings node (with marks for file:line:col) and
/// where to report problems.
struct ConnectorConfigContext {
  std::string channel_name;
  std::string file;  ///< the config file the node came from
  Diagnostics* diagnostics = nullptr;
};

/// Channel settings keys the dispatcher owns; a connector ignores them and rejects any other
/// key it does not know (with a did-you-mean).
inline const std::vector<std::string>& dispatcherSettingKeys() {
  static const std::vector<std::string> keys = {"connector", "rate_limit", "concurrency",
                                                "max_attempts", "max_age"};
  return keys;
}

/// Parses and validates a channel's settings once, and builds the connector; returns nullptr
/// (with diagnostics) when the settings are wrong.
using ConnectorFactory = std::function<std::unique_ptr<Connector>(const YAML::Node& settings,
                                                                  ConnectorConfigContext& ctx)>;

/// Connector types by name. Registration is explicit (see connectors/builtin.cpp); an unknown or
/// duplicate name is a loud error.
class ConnectorRegistry {
 public:
  /// Registers a type; returns false if the name is already taken.
  bool add(const std::string& type, ConnectorFactory factory);
  [[nodiscard]] const ConnectorFactory* find(const std::string& type) const;
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::map<std::string, ConnectorFactory> factories_;
};

/// Registers every connector shipped with journeyd: smtp, sms_http, webhook, log, and plugin
/// (an out-of-tree connector loaded from a shared library, see connectors/plugin/).
void registerBuiltinConnectors(ConnectorRegistry& registry);

}  // namespace journeyd
