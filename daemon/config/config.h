#pragma once
/// The daemon's configuration (etc/journeyd.yaml): parsed and validated once at start-up and on
/// SIGHUP, immutable afterwards. Relative paths are resolved against the config file's folder.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/diagnostic.h"

namespace YAML {
class Node;
}

namespace journeyd {

/// Settings for the HTTP server.
struct HttpSettings {
  std::string host = "127.0.0.1";            ///< listen address
  int port = 8700;                           ///< listen port; 0 picks a free one (printed at start)
  int threads = 0;                           ///< worker threads; 0 = 4 × cores, at least 8
  int keep_alive_max_requests = 10000;       ///< requests served per keep-alive connection
  std::int64_t max_body_bytes = 512 * 1024;  ///< larger request bodies get 413 (Segment: 500 KB)
  bool metrics_require_key = false;          ///< whether GET /metrics needs the admin key
};

/// Secrets that authorize API calls. Never logged.
struct ApiKeys {
  std::vector<std::string> write;  ///< ingestion keys (Segment write keys)
  std::vector<std::string> admin;  ///< admin API keys
};

/// Storage settings.
struct StoreSettings {
  std::string data_dir = "var";        ///< folder for the database and other state
  std::string synchronous = "normal";  ///< SQLite durability: off | normal | full
  int group_commit_max = 2000;         ///< most ingest requests committed in one transaction
  int max_unrecorded_sends =
      256;  ///< sends done but not yet recorded, at most (a crash may repeat them)
  std::int64_t journey_log_retention_ms =
      180LL * 24 * 3600 * 1000;  ///< how long `explain` history is kept
};

/// Which events are orders, and where their amount is.
struct OrderSettings {
  std::vector<std::string> events = {"Order Completed"};
  std::vector<std::string> revenue_properties = {"revenue", "total"};
};

/// How customers' data is read.
struct CustomerSettings {
  /// ISO 3166 region (e.g. US, CN) for phone numbers written without a country code:
  /// "415-555-0100" becomes +14155550100. Empty: such numbers are kept as their digits.
  std::string default_region;
};

struct LogSettings {
  std::string level = "info";  ///< trace | debug | info | warn | error
  std::string file;            ///< empty = stderr (the journal under systemd); reopened on SIGHUP
};

/// Unsubscribe links (RFC 8058 one-click) in marketing messages.
struct UnsubscribeSettings {
  std::string base_url;    ///< where customers reach this daemon; empty: http://LISTEN-ADDRESS
  SourcePos base_url_pos;  ///< where base_url is set (or the section, or the file), for warnings
  std::string
      secret;  ///< HMAC key for the links; empty: one generated on first start, kept in the store
  std::int64_t link_ttl_ms =
      180LL * 24 * 3600 * 1000;  ///< how long a link stays valid (default 180d)
};

/// Inbound SMS replies (STOP / 退订) posted by the SMS provider's webhook, Twilio-style signed.
struct InboundSmsSettings {
  std::string auth_token;  ///< the provider's auth token, which signs its webhooks. Never logged.
  std::string url;         ///< the public URL the provider calls: the signature covers it
  /// Without the section the endpoint answers 404: an unsigned endpoint would let anyone
  /// unsubscribe any number.
  [[nodiscard]] bool enabled() const { return !auth_token.empty(); }
};

/// Rules every marketing message passes before it is queued.
struct PolicySettings {
  std::string timezone = "UTC";  ///< business timezone, for customers without their own (waits,
                                 ///< dates, templates, quiet hours)
  int quiet_start_minute = -1;   ///< quiet hours start (local minute of day); -1 = no quiet hours
  int quiet_end_minute = -1;     ///< quiet hours end; a message due inside is deferred to it
  double holdout_percent = 0;    ///< stable share of customers who get no marketing (for lift)
  /// Frequency caps across all journeys: at most `max` messages on `channel` (empty: all
  /// channels together) per `window_ms`, per customer.
  struct Cap {
    std::string channel;
    int max = 0;
    std::int64_t window_ms = 0;
  };
  std::vector<Cap> caps;
  /// How long a capped marketing message waits in the outbox before it goes, so that a
  /// higher-priority message due within this time can still take its place (0: first come).
  std::int64_t arbitration_ms = 0;
};

struct Config {
  std::string file;  ///< where it was read from
  HttpSettings http;
  ApiKeys keys;
  StoreSettings store;
  OrderSettings orders;
  CustomerSettings customers;
  LogSettings log;
  UnsubscribeSettings unsubscribe;
  InboundSmsSettings inbound_sms;
  PolicySettings policy;
  std::string journeys_dir = "journeys";
  std::string templates_dir = "templates";
  std::string segments_dir;                    ///< empty = segments live beside the journeys
  std::shared_ptr<const YAML::Node> channels;  ///< raw channel settings, parsed by connectors

  /// Path of the SQLite database inside data_dir.
  [[nodiscard]] std::string databasePath() const;
};

/// Reads and validates a config file; reports every problem as FILE:LINE:COL into diags and
/// returns nullptr when there is an error. Keys from the environment (JOURNEYD_WRITE_KEY,
/// JOURNEYD_ADMIN_KEY: comma-separated lists) are added; JOURNEYD_INBOUND_SMS_TOKEN, when set,
/// is the inbound_sms auth token.
std::shared_ptr<const Config> loadConfig(const std::string& path, Diagnostics& diags);

/// Same from text (for tests); `file` names it in diagnostics and anchors relative paths.
std::shared_ptr<const Config> parseConfig(const std::string& text, const std::string& file,
                                          Diagnostics& diags);

/// Settings that work but leave something off the user probably wants, as warnings (for
/// `validate` and the daemon's start): an unsubscribe base_url that is not https, which leaves
/// one-click unsubscribe (List-Unsubscribe-Post, RFC 8058) out of every message.
void warnAboutConfig(const Config& config, Diagnostics& diags);

}  // namespace journeyd
