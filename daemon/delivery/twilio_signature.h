#pragma once
/// Twilio-style webhook request signing: the provider signs the URL it calls plus the form
/// parameters it posts with its auth token, and sends the result in X-Twilio-Signature. Only a
/// holder of the token can make a signature that verifies, so a signed inbound SMS really came
/// from the provider. Pure functions: no I/O, no clock.
#include <string>
#include <utility>
#include <vector>

namespace journeyd {

using FormParams = std::vector<std::pair<std::string, std::string>>;

/// base64(HMAC-SHA1(auth_token, url + every key + value, sorted by key then value)); `url` is
/// the full URL the provider was configured to call, query string included.
std::string twilioSignature(const std::string& auth_token, const std::string& url,
                            const FormParams& form_params);

/// Whether `signature` is the one for these inputs; compared in constant time, so the time a
/// refusal takes does not reveal how much of a guessed signature was right.
bool verifyTwilioSignature(const std::string& auth_token, const std::string& url,
                           const FormParams& form_params, const std::string& signature);

}  // namespace journeyd
