#include "daemon/delivery/unsubscribe.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>

#include "daemon/core/base64.h"

namespace journeyd {

UnsubscribeSigner::UnsubscribeSigner(std::string secret, std::string base_url, DurationMs ttl)
    : secret_(std::move(secret)), base_url_(std::move(base_url)), ttl_(ttl) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

std::string UnsubscribeSigner::sign(const std::string& payload) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  return base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string UnsubscribeSigner::token(std::int64_t customer_id, const std::string& channel,
                                     const std::string& topic, TimeMs now) const {
  const std::string scope = topic.empty() ? channel : channel + ":" + topic;
  const std::string payload =
      std::to_string(customer_id) + "." + scope + "." + std::to_string(now + ttl_);
  return base64UrlEncode(payload) + "." + sign(payload);
}

std::string UnsubscribeSigner::url(std::int64_t customer_id, const std::string& channel,
                                   const std::string& topic, TimeMs now) const {
  return base_url_ + "/u/" + token(customer_id, channel, topic, now);
}

Result<UnsubscribeClaim> UnsubscribeSigner::verify(const std::string& token, TimeMs now) const {
  auto dot = token.find('.');
  if (dot == std::string::npos) return fail(Error::invalid("this unsubscribe link is malformed"));
  auto payload = base64UrlDecode(token.substr(0, dot));
  if (!payload) return fail(Error::invalid("this unsubscribe link is malformed"));
  const std::string expected = sign(*payload);
  const std::string given = token.substr(dot + 1);
  if (expected.size() != given.size() ||
      CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0) {
    return fail(
        Error::invalid("this unsubscribe link is not valid (it was changed or not issued by us)"));
  }
  UnsubscribeClaim claim;
  auto first = payload->find('.');
  auto last = payload->rfind('.');
  if (first == std::string::npos || last == first)
    return fail(Error::invalid("this unsubscribe link is malformed"));
  try {
    claim.customer_id = std::stoll(payload->substr(0, first));
    claim.expires_at = std::stoll(payload->substr(last + 1));
  } catch (...) {
    return fail(Error::invalid("this unsubscribe link is malformed"));
  }
  claim.channel = payload->substr(first + 1, last - first - 1);
  if (auto colon = claim.channel.find(':'); colon != std::string::npos) {
    claim.topic = claim.channel.substr(colon + 1);
    claim.channel.resize(colon);
  }
  if (claim.expires_at < now) return fail(Error::invalid("this unsubscribe link has expired"));
  return claim;
}

std::string UnsubscribeSigner::randomSecret() {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  std::string hex;
  char buf[3];
  for (unsigned char b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

}  // namespace journeyd
