#pragma once
/// Header-only glue for connectors built on cpp-httplib (webhook, sms_http): one keep-alive
/// client per sending thread, and an httplib answer mapped to a SendResult. Include only from
/// a connector that links PkgConfig::HTTPLIB itself.
#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "connectors/client_pool.h"
#include "connectors/http_answer.h"

namespace journeyd {

/// Connection settings shared by HTTP connectors.
struct HttpClientOptions {
  std::string origin;  ///< "https://host:port"
  DurationMs timeout = 10 * kSecondMs;
  DurationMs connect_timeout = 5 * kSecondMs;
  bool verify_tls = true;
  std::string ca_file;
};

inline std::unique_ptr<httplib::Client> makeHttpClient(const HttpClientOptions& options) {
  auto client = std::make_unique<httplib::Client>(options.origin);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);  // headers and body go out in separate writes: avoid Nagle stalls
  client->set_connection_timeout(std::chrono::milliseconds(options.connect_timeout));
  client->set_read_timeout(std::chrono::milliseconds(options.timeout));
  client->set_write_timeout(std::chrono::milliseconds(options.timeout));
  client->set_follow_location(false);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  client->enable_server_certificate_verification(options.verify_tls);
  if (!options.ca_file.empty()) client->set_ca_cert_path(options.ca_file);
#endif
  return client;
}

/// Sends `body` with a pooled client and maps the outcome; `provider_id_of` reads the
/// provider's id out of a 2xx response body; `is_bounce`, when given, says whether a failed 4xx
/// response body blames the recipient's address (a hard bounce).
template <typename ProviderId>
SendResult postAndMap(ClientPool<httplib::Client>& pool, const std::string& path,
                      const httplib::Headers& headers, const std::string& body,
                      const std::string& content_type, ProviderId provider_id_of,
                      const std::function<bool(const std::string& body)>& is_bounce = {}) {
  auto client = pool.acquire();
  auto result = client->Post(path, headers, body, content_type);
  if (!result) {
    client.discard();
    return SendResult::retry("HTTP request failed: " + httplib::to_string(result.error()));
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const int status = result->status;
  std::string provider_id =
      status >= 200 && status < 300 ? provider_id_of(result->body) : std::string{};
  SendResult mapped = mapHttpAnswer(status, result->body, result->get_header_value("Retry-After"),
                                    now, std::move(provider_id));
  mapped.hard_bounce = mapped.status == SendResult::Status::kFailed && status >= 400 &&
                       status < 500 && is_bounce && is_bounce(result->body);
  return mapped;
}

}  // namespace journeyd
