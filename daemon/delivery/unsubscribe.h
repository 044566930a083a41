#pragma once
/// Signed, expiring unsubscribe links (RFC 8058 one-click). A token names the customer, the
/// channel (and the message's subscription topic, if any) and carries an expiry; an HMAC-SHA256
/// over them with the server's secret makes it tamper-evident. Nothing is stored per link, so a
/// link works until it expires, and using it twice is harmless (the second time the customer is
/// already unsubscribed).
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

struct UnsubscribeClaim {
  std::int64_t customer_id = 0;
  std::string channel;
  std::string
      topic;  ///< the subscription topic of the message it came with; empty: the whole channel
  TimeMs expires_at = 0;
};

class UnsubscribeSigner {
 public:
  /// `secret`: raw key bytes (at least 16); `base_url`: where the daemon is reachable, e.g.
  /// https://news.example.com (links are base_url + "/u/" + token).
  UnsubscribeSigner(std::string secret, std::string base_url, DurationMs ttl);

  [[nodiscard]] std::string token(std::int64_t customer_id, const std::string& channel,
                                  const std::string& topic, TimeMs now) const;
  [[nodiscard]] std::string url(std::int64_t customer_id, const std::string& channel,
                                const std::string& topic, TimeMs now) const;
  /// The claim of a valid, unexpired token; an InvalidArgument error saying why otherwise.
  [[nodiscard]] Result<UnsubscribeClaim> verify(const std::string& token, TimeMs now) const;

  /// A new random secret (32 bytes, hex) for a first start.
  static std::string randomSecret();

 private:
  std::string sign(const std::string& payload) const;

  std::string secret_;
  std::string base_url_;
  DurationMs ttl_;
};

}  // namespace journeyd
