#include "connectors/webhook/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace journeyd {

std::optional<std::string> decodeWebhookSecret(const std::string& secret) {
  const std::string prefix = "whsec_";
  if (secret.rfind(prefix, 0) != 0) return std::nullopt;
  std::string encoded = secret.substr(prefix.size());
  if (encoded.empty() || encoded.size() % 4 != 0) return std::nullopt;
  for (char c : encoded) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
      return std::nullopt;
    }
  }
  std::string key(encoded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(encoded.data()),
                          static_cast<int>(encoded.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  if (encoded.back() == '=') ++padding;
  if (encoded.size() > 1 && encoded[encoded.size() - 2] == '=') ++padding;
  key.resize(static_cast<size_t>(n) - padding);
  if (key.empty()) return std::nullopt;
  return key;
}

std::string signWebhook(const std::string& key, const std::string& id, long long timestamp_s,
                        const std::string& body) {
  std::string content = id + "." + std::to_string(timestamp_s) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len);
  std::string encoded(4 * ((mac_len + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), mac, static_cast<int>(mac_len));
  return "v1," + encoded;
}

}  // namespace journeyd
