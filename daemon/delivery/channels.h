#pragma once
/// The configured message channels: each `channels:` entry names a connector type (built once
/// through the ConnectorRegistry, which validates the connector's own settings) and carries the
/// settings the dispatcher owns: rate_limit, concurrency, max_attempts, max_age.
///
/// ```yaml
/// channels:
///   email:
///     connector: smtp          # connector type; required (log, smtp, sms_http, webhook, plugin)
///     rate_limit: 100/s        # sends per second/minute/hour (N/s, N/m, N/h, N/10s); unlimited
///     concurrency: 8           # sends in progress at once on this channel; 8
///     max_attempts: 8          # attempts before a retried message is dead; 8
///     max_age: 24h             # no retry later than this after the message was queued; 24h
/// ```
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "daemon/core/diagnostic.h"
#include "daemon/core/time.h"

namespace YAML {
class Node;
}

namespace journeyd {

/// `count` sends per `window`; count 0 means unlimited.
struct RateLimit {
  std::int64_t count = 0;
  DurationMs window = kSecondMs;

  [[nodiscard]] bool unlimited() const { return count <= 0; }
  [[nodiscard]] double perSecond() const {
    return static_cast<double>(count) * kSecondMs / static_cast<double>(window);
  }
  /// Tokens the bucket holds when full: one second's worth of sends, at least one, so `6000/m`
  /// goes out as a steady 100/s rather than 6000 at once.
  [[nodiscard]] std::int64_t burst() const;
};

/// Parses `100/s`, `6000/m`, `10/h`, `1/d` or a count over a duration (`5/10s`); nullopt when
/// malformed or not positive.
std::optional<RateLimit> parseRateLimit(std::string_view text);

/// Settings of one channel that the dispatcher (not the connector) applies.
struct ChannelSettings {
  RateLimit rate_limit;         ///< unlimited unless configured
  int concurrency = 8;          ///< worker threads sending on this channel at once
  int max_attempts = 8;         ///< a message retried this many times is dead
  DurationMs max_age = kDayMs;  ///< a message is not retried past created_at + max_age
};

/// One configured channel. The connector is owned by Channels.
struct DeliveryChannel {
  std::string name;            ///< key under `channels:`
  std::string connector_type;  ///< e.g. "webhook"
  Connector* connector = nullptr;
  MessageKind kind = MessageKind::kEmail;
  ChannelSettings settings;
};

/// Every configured channel with its connector; immutable after build, shared read-only by the
/// dispatcher's threads (connectors are themselves thread-safe).
class Channels {
 public:
  /// Builds every channel of a `channels:` mapping (null or absent means none) with the built-in
  /// connectors. Reports every problem as FILE:LINE:COL into `diagnostics`; nullptr when any is
  /// an error.
  static std::shared_ptr<const Channels> build(const YAML::Node& channels, const std::string& file,
                                               Diagnostics& diagnostics);
  /// The same with a given registry (tests, extra connector types).
  static std::shared_ptr<const Channels> build(const YAML::Node& channels, const std::string& file,
                                               Diagnostics& diagnostics,
                                               const ConnectorRegistry& registry);

  /// The channel called `name`, or nullptr when it is not configured.
  [[nodiscard]] const DeliveryChannel* find(std::string_view name) const;
  [[nodiscard]] const std::map<std::string, DeliveryChannel, std::less<>>& all() const {
    return channels_;
  }
  [[nodiscard]] bool empty() const { return channels_.empty(); }

 private:
  std::map<std::string, DeliveryChannel, std::less<>> channels_;
  std::vector<std::unique_ptr<Connector>> connectors_;
};

}  // namespace journeyd
