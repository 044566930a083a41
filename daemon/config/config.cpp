#include "daemon/config/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/core/time.h"
#include "daemon/core/time_zone.h"

namespace journeyd {

namespace fs = std::filesystem;

std::string Config::databasePath() const {
  return (fs::path(store.data_dir) / "journeyd.db").string();
}

namespace {

SourcePos posOf(const std::string& file, const YAML::Node& node) {
  const auto mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

/// Walks one mapping, checking keys against a known list and reading typed values.
class Reader {
 public:
  Reader(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  bool expectMap(const YAML::Node& node, const std::string& what) {
    if (node.IsMap()) return true;
    diags_.error(posOf(file_, node), what + " must be a mapping of key: value");
    return false;
  }

  void checkKeys(const YAML::Node& node, const std::vector<std::string>& known,
                 const std::string& section) {
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string msg = "unknown key '" + key + "'" + (section.empty() ? "" : " in " + section);
      if (auto near = closestMatch(key, known); !near.empty())
        msg += " (did you mean '" + near + "'?)";
      diags_.error(posOf(file_, kv.first), msg);
    }
  }

  void str(const YAML::Node& node, const char* key, std::string& out) {
    if (auto v = node[key]) {
      if (!v.IsScalar()) return error(v, std::string(key) + " must be a string");
      out = v.Scalar();
    }
  }

  template <typename Int>
  void integer(const YAML::Node& node, const char* key, Int& out, Int min, Int max) {
    if (auto v = node[key]) {
      Int value{};
      if (!v.IsScalar() || !YAML::convert<Int>::decode(v, value)) {
        return error(v, std::string(key) + " must be a whole number");
      }
      if (value < min || value > max) {
        return error(v, std::string(key) + " must be between " + std::to_string(min) + " and " +
                            std::to_string(max));
      }
      out = value;
    }
  }

  void boolean(const YAML::Node& node, const char* key, bool& out) {
    if (auto v = node[key]) {
      bool value{};
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, value)) {
        return error(v, std::string(key) + " must be true or false");
      }
      out = value;
    }
  }

  void strings(const YAML::Node& node, const char* key, std::vector<std::string>& out) {
    if (auto v = node[key]) {
      out.clear();
      if (v.IsScalar()) {
        out.push_back(v.Scalar());
      } else if (v.IsSequence()) {
        for (const auto& item : v) {
          if (!item.IsScalar()) return error(item, std::string(key) + " must hold strings");
          out.push_back(item.Scalar());
        }
      } else {
        error(v, std::string(key) + " must be a string or a list of strings");
      }
    }
  }

  void oneOf(const YAML::Node& node, const char* key, std::string& out,
             const std::vector<std::string>& allowed) {
    std::string value = out;
    str(node, key, value);
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return error(node[key],
                   std::string(key) + " must be one of " + list + ", not '" + value + "'");
    }
    out = value;
  }

  void error(const YAML::Node& node, const std::string& message) {
    diags_.error(posOf(file_, node), message);
  }

 private:
  const std::string& file_;
  Diagnostics& diags_;
};

std::string resolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

void addEnvKeys(const char* var, std::vector<std::string>& out) {
  const char* value = std::getenv(var);
  if (!value) return;
  std::stringstream ss(value);
  std::string key;
  while (std::getline(ss, key, ',')) {
    if (!key.empty()) out.push_back(key);
  }
}

/// Reads keys from a file: one per line, blank lines and # comments ignored.
void readKeyFile(const std::string& path, std::vector<std::string>& out, Reader& reader,
                 const YAML::Node& node) {
  std::ifstream in(path);
  if (!in) return reader.error(node, "cannot read key file '" + path + "'");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
}

/// The token may come from the config, a token file or the environment (which wins, as secrets
/// are often injected that way); the section is only useful with both a token and a URL.
void parseInboundSms(const YAML::Node& in, const std::string& base, InboundSmsSettings& out,
                     Reader& r) {
  r.checkKeys(in, {"auth_token", "auth_token_file", "url"}, "inbound_sms");
  r.str(in, "url", out.url);
  r.str(in, "auth_token", out.auth_token);
  if (auto f = in["auth_token_file"]) {
    if (in["auth_token"]) r.error(f, "use auth_token or auth_token_file, not both");
    std::vector<std::string> lines;
    readKeyFile(resolvePath(base, f.Scalar()), lines, r, f);
    if (!lines.empty()) out.auth_token = lines.front();
  }
  if (const char* env = std::getenv("JOURNEYD_INBOUND_SMS_TOKEN"); env && *env)
    out.auth_token = env;
  if (out.url.rfind("https://", 0) != 0 && out.url.rfind("http://", 0) != 0) {
    r.error(in["url"] ? in["url"] : in,
            "inbound_sms.url must be the full public URL the SMS provider calls (it signs it), "
            "e.g. https://news.example.com/v1/inbound/sms");
  }
  if (!out.enabled()) {
    r.error(in,
            "inbound_sms needs the provider's auth token: auth_token_file (or auth_token, or the "
            "environment variable JOURNEYD_INBOUND_SMS_TOKEN)");
  }
}

void parseRoot(const YAML::Node& root, const std::string& file, Config& cfg, Diagnostics& diags) {
  Reader r(file, diags);
  if (!r.expectMap(root, "the config file")) return;
  r.checkKeys(root,
              {"http", "keys", "store", "orders", "customers", "log", "unsubscribe", "inbound_sms",
               "policy", "journeys", "templates", "segments", "channels"},
              "");
  const std::string base = fs::path(file).parent_path().string();

  if (auto http = root["http"]; http && r.expectMap(http, "http")) {
    r.checkKeys(
        http,
        {"listen", "threads", "keep_alive_max_requests", "max_body_bytes", "metrics_require_key"},
        "http");
    if (auto listen = http["listen"]) {
      std::string text = listen.IsScalar() ? listen.Scalar() : "";
      auto colon = text.rfind(':');
      int port = -1;
      if (colon != std::string::npos) {
        try {
          port = std::stoi(text.substr(colon + 1));
        } catch (...) {
        }
      }
      if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
        r.error(listen, "listen must be HOST:PORT, e.g. 127.0.0.1:8700");
      } else {
        cfg.http.host = text.substr(0, colon);
        cfg.http.port = port;
      }
    }
    r.integer(http, "threads", cfg.http.threads, 0, 1024);
    r.integer(http, "keep_alive_max_requests", cfg.http.keep_alive_max_requests, 1, 1 << 30);
    r.integer<std::int64_t>(http, "max_body_bytes", cfg.http.max_body_bytes, 1024, 1LL << 30);
    r.boolean(http, "metrics_require_key", cfg.http.metrics_require_key);
  }

  if (auto keys = root["keys"]; keys && r.expectMap(keys, "keys")) {
    r.checkKeys(keys, {"write", "admin", "write_file", "admin_file"}, "keys");
    r.strings(keys, "write", cfg.keys.write);
    r.strings(keys, "admin", cfg.keys.admin);
    if (auto f = keys["write_file"])
      readKeyFile(resolvePath(base, f.Scalar()), cfg.keys.write, r, f);
    if (auto f = keys["admin_file"])
      readKeyFile(resolvePath(base, f.Scalar()), cfg.keys.admin, r, f);
  }

  if (auto store = root["store"]; store && r.expectMap(store, "store")) {
    r.checkKeys(store,
                {"data_dir", "synchronous", "group_commit_max", "max_unrecorded_sends",
                 "journey_log_retention"},
                "store");
    if (auto k = store["journey_log_retention"]) {
      auto d = k.IsScalar() ? parseDuration(k.Scalar()) : std::nullopt;
      if (!d || *d < kDayMs) {
        r.error(k, "journey_log_retention must be a duration of at least 1d, like 180d");
      } else {
        cfg.store.journey_log_retention_ms = *d;
      }
    }
    r.str(store, "data_dir", cfg.store.data_dir);
    r.oneOf(store, "synchronous", cfg.store.synchronous, {"off", "normal", "full"});
    r.integer(store, "group_commit_max", cfg.store.group_commit_max, 1, 1000000);
    r.integer(store, "max_unrecorded_sends", cfg.store.max_unrecorded_sends, 1, 1000000);
  }

  if (auto orders = root["orders"]; orders && r.expectMap(orders, "orders")) {
    r.checkKeys(orders, {"events", "revenue_properties"}, "orders");
    r.strings(orders, "events", cfg.orders.events);
    r.strings(orders, "revenue_properties", cfg.orders.revenue_properties);
  }

  if (auto customers = root["customers"]; customers && r.expectMap(customers, "customers")) {
    r.checkKeys(customers, {"default_region"}, "customers");
    if (auto region = customers["default_region"]) {
      const std::string text = region.IsScalar() ? region.Scalar() : std::string();
      const bool code = text.size() == 2 && std::isupper(static_cast<unsigned char>(text[0])) &&
                        std::isupper(static_cast<unsigned char>(text[1]));
      if (code || text.empty()) {
        cfg.customers.default_region = text;
      } else {
        r.error(region,
                "default_region must be a two-letter ISO 3166 region code such as US or CN");
      }
    }
  }

  if (auto log = root["log"]; log && r.expectMap(log, "log")) {
    r.checkKeys(log, {"level", "file"}, "log");
    r.oneOf(log, "level", cfg.log.level, {"trace", "debug", "info", "warn", "error"});
    r.str(log, "file", cfg.log.file);
  }

  if (auto u = root["unsubscribe"]; u && r.expectMap(u, "unsubscribe")) {
    r.checkKeys(u, {"base_url", "secret", "secret_file", "link_ttl"}, "unsubscribe");
    r.str(u, "base_url", cfg.unsubscribe.base_url);
    cfg.unsubscribe.base_url_pos = posOf(file, u["base_url"] ? u["base_url"] : u);
    r.str(u, "secret", cfg.unsubscribe.secret);
    if (auto f = u["secret_file"]) {
      std::vector<std::string> lines;
      readKeyFile(resolvePath(base, f.Scalar()), lines, r, f);
      if (!lines.empty()) cfg.unsubscribe.secret = lines.front();
    }
    if (auto ttl = u["link_ttl"]) {
      auto d = ttl.IsScalar() ? parseDuration(ttl.Scalar()) : std::nullopt;
      if (!d || *d <= 0) {
        r.error(ttl, "link_ttl must be a duration like 90d");
      } else {
        cfg.unsubscribe.link_ttl_ms = *d;
      }
    }
    if (!cfg.unsubscribe.secret.empty() && cfg.unsubscribe.secret.size() < 16) {
      r.error(u["secret"] ? u["secret"] : u,
              "the unsubscribe secret must be at least 16 characters");
    }
  }

  if (auto in = root["inbound_sms"]; in && r.expectMap(in, "inbound_sms")) {
    parseInboundSms(in, base, cfg.inbound_sms, r);
  }

  if (auto p = root["policy"]; p && r.expectMap(p, "policy")) {
    r.checkKeys(p, {"timezone", "quiet_hours", "holdout_percent", "caps", "arbitration_window"},
                "policy");
    if (auto a = p["arbitration_window"]) {
      auto d = a.IsScalar() ? parseDuration(a.Scalar()) : std::nullopt;
      if (!d || *d < 0 || *d > kDayMs) {
        r.error(a, "arbitration_window must be a duration from 0s to 1d, like 15m");
      } else {
        cfg.policy.arbitration_ms = *d;
      }
    }
    if (auto caps = p["caps"]) {
      if (!caps.IsSequence()) {
        r.error(caps, "caps must be a list, e.g. [{channel: email, max: 3, per: 7d}]");
      } else {
        for (const auto& c : caps) {
          if (!r.expectMap(c, "a cap")) continue;
          r.checkKeys(c, {"channel", "max", "per"}, "a cap");
          PolicySettings::Cap cap;
          r.str(c, "channel", cap.channel);
          r.integer(c, "max", cap.max, 1, 1000);
          auto per =
              c["per"] && c["per"].IsScalar() ? parseDuration(c["per"].Scalar()) : std::nullopt;
          if (!per || *per <= 0) {
            r.error(c["per"] ? c["per"] : c, "a cap needs per: a duration like 7d");
            continue;
          }
          if (!c["max"]) {
            r.error(c, "a cap needs max: the most messages in the window");
            continue;
          }
          cap.window_ms = *per;
          cfg.policy.caps.push_back(cap);
        }
      }
    }
    r.str(p, "timezone", cfg.policy.timezone);
    if (cfg.policy.timezone != "UTC" && !findTimeZone(cfg.policy.timezone)) {
      r.error(p["timezone"], "unknown timezone '" + cfg.policy.timezone +
                                 "' (use an IANA name like Asia/Shanghai)");
    }
    if (auto q = p["quiet_hours"]; q && r.expectMap(q, "quiet_hours")) {
      r.checkKeys(q, {"start", "end"}, "quiet_hours");
      auto minute = [&](const char* key) {
        auto v = q[key];
        int h = -1, m = -1;
        char extra;
        if (!v || !v.IsScalar() ||
            std::sscanf(v.Scalar().c_str(), "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 ||
            m < 0 || m > 59) {
          r.error(v ? v : q,
                  std::string("quiet_hours.") + key + " must be a time of day like \"21:00\"");
          return -1;
        }
        return h * 60 + m;
      };
      cfg.policy.quiet_start_minute = minute("start");
      cfg.policy.quiet_end_minute = minute("end");
    }
    if (auto h = p["holdout_percent"]) {
      double v = -1;
      if (!h.IsScalar() || !YAML::convert<double>::decode(h, v) || v < 0 || v > 50) {
        r.error(h, "holdout_percent must be a number from 0 to 50");
      } else {
        cfg.policy.holdout_percent = v;
      }
    }
  }

  r.str(root, "journeys", cfg.journeys_dir);
  r.str(root, "templates", cfg.templates_dir);
  r.str(root, "segments", cfg.segments_dir);
  if (auto channels = root["channels"]) {
    if (!channels.IsNull() && r.expectMap(channels, "channels")) {
      cfg.channels = std::make_shared<const YAML::Node>(YAML::Clone(channels));
    }
  }

  cfg.store.data_dir = resolvePath(base, cfg.store.data_dir);
  cfg.journeys_dir = resolvePath(base, cfg.journeys_dir);
  cfg.templates_dir = resolvePath(base, cfg.templates_dir);
  cfg.segments_dir = resolvePath(base, cfg.segments_dir);
  cfg.log.file = resolvePath(base, cfg.log.file);
}

}  // namespace

std::shared_ptr<const Config> parseConfig(const std::string& text, const std::string& file,
                                          Diagnostics& diags) {
  auto cfg = std::make_shared<Config>();
  cfg->file = file;
  cfg->unsubscribe.base_url_pos = {file, 1, 1};
  Diagnostics local;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsNull()) parseRoot(root, file, *cfg, local);
  } catch (const YAML::Exception& e) {
    local.error({file, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  addEnvKeys("JOURNEYD_WRITE_KEY", cfg->keys.write);
  addEnvKeys("JOURNEYD_ADMIN_KEY", cfg->keys.admin);
  diags.append(local);
  if (local.hasErrors()) return nullptr;
  return cfg;
}

void warnAboutConfig(const Config& config, Diagnostics& diags) {
  if (config.unsubscribe.base_url.rfind("https://", 0) != 0) {
    diags.warning(
        config.unsubscribe.base_url_pos,
        "unsubscribe.base_url " +
            (config.unsubscribe.base_url.empty()
                 ? std::string("is not set")
                 : "'" + config.unsubscribe.base_url + "' is not https") +
            ": messages carry an unsubscribe link but not one-click unsubscribe "
            "(List-Unsubscribe-Post, RFC 8058, needs https), which Gmail and Yahoo require "
            "of bulk senders; set it to the https address customers reach this daemon at");
  }
}

std::shared_ptr<const Config> loadConfig(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({path, 0, 0}, "cannot read config file");
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), path, diags);
}

}  // namespace journeyd
