#include "daemon/delivery/unsubscribe.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>

namespace journeyd {

namespace {

std::string base64url(const unsigned char* data, size_t n) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = data[i] << 16;
    if (i + 1 < n) v |= data[i + 1] << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    if (i + 1 < n) out += kChars[(v >> 6) & 63];
    if (i + 2 < n) out += kChars[v & 63];
  }
  return out;
}

std::optional<std::string> unbase64url(const std::string& in) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    int d;
    if (c >= 'A' && c <= 'Z') d = c - 'A';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
    else if (c >= '0' && c <= '9') d = c - '0' + 52;
    else if (c == '-') d = 62;
    else if (c == '_') d = 63;
    else return std::nullopt;
    v = (v << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

UnsubscribeSigner::UnsubscribeSigner(std::string secret, std::string base_url, DurationMs ttl)
    : secret_(std::move(secret)), base_url_(std::move(base_url)), ttl_(ttl) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

std::string UnsubscribeSigner::sign(const std::string& payload) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  return base64url(mac, len);
}

std::string UnsubscribeSigner::token(std::int64_t customer_id, const std::string& channel, const std::string& topic,
                                     TimeMs now) const {
  const std::string scope = topic.empty() ? channel : channel + ":" + topic;
  const std::string payload = std::to_string(customer_id) + "." + scope + "." + std::to_string(now + ttl_);
  return base64url(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) + "." + sign(payload);
}

std::string UnsubscribeSigner::url(std::int64_t customer_id, const std::string& channel, const std::string& topic,
                                   TimeMs now) const {
  return base_url_ + "/u/" + token(customer_id, channel, topic, now);
}

Result<UnsubscribeClaim> UnsubscribeSigner::verify(const std::string& token, TimeMs now) const {
  auto dot = token.find('.');
  if (dot == std::string::npos) return fail(Error::invalid("this unsubscribe link is malformed"));
  auto payload = unbase64url(token.substr(0, dot));
  if (!payload) return fail(Error::invalid("this unsubscribe link is malformed"));
  const std::string expected = sign(*payload);
  const std::string given = token.substr(dot + 1);
  if (expected.size() != given.size() || CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0) {
    return fail(Error::invalid("this unsubscribe link is not valid (it was changed or not issued by us)"));
  }
  UnsubscribeClaim claim;
  auto first = payload->find('.');
  auto last = payload->rfind('.');
  if (first == std::string::npos || last == first) return fail(Error::invalid("this unsubscribe link is malformed"));
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
