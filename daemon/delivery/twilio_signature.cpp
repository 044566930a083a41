#include "daemon/delivery/twilio_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace journeyd {

std::string twilioSignature(const std::string& auth_token, const std::string& url,
                            const FormParams& form_params) {
  FormParams sorted = form_params;
  std::sort(sorted.begin(), sorted.end());
  std::string data = url;
  for (const auto& [key, value] : sorted) data += key + value;

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  unsigned char base64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(base64, mac, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(base64), static_cast<size_t>(n));
}

bool verifyTwilioSignature(const std::string& auth_token, const std::string& url,
                           const FormParams& form_params, const std::string& signature) {
  const std::string expected = twilioSignature(auth_token, url, form_params);
  return expected.size() == signature.size() &&
         CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace journeyd
