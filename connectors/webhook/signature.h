#pragma once
/// Standard Webhooks signing (https://www.standardwebhooks.com): secrets written
/// `whsec_BASE64`, signature `v1,BASE64(HMAC-SHA256(key, id + "." + timestamp + "." + body))`.
#include <optional>
#include <string>

namespace journeyd {

/// The signing key from a `whsec_BASE64` secret; nullopt when the prefix or base64 is wrong.
std::optional<std::string> decodeWebhookSecret(const std::string& secret);

/// The `webhook-signature` header value for one delivery.
std::string signWebhook(const std::string& key, const std::string& id, long long timestamp_s,
                        const std::string& body);

}  // namespace journeyd
