#include "daemon/delivery/twilio_signature.h"

#include <doctest/doctest.h>

using namespace journeyd;

namespace {

// Twilio's worked example (twilio.com/docs/usage/security), in the two variants its docs and
// libraries have printed over time. Both expected values were checked independently with
// `printf %s "$URL$SORTED_KEYS_AND_VALUES" | openssl dgst -sha1 -hmac 12345 -binary | base64`.
const std::string kToken = "12345";
const std::string kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";

FormParams example(const std::string& caller) {
  // Deliberately not in key order: the signature sorts them.
  return {{"To", "+18005551212"},
          {"Digits", "1234"},
          {"From", caller},
          {"CallSid", "CA1234567890ABCDE"},
          {"Caller", caller}};
}

}  // namespace

TEST_CASE("the signature matches Twilio's documented examples") {
  CHECK(twilioSignature(kToken, kUrl, example("+12349013030")) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  CHECK(twilioSignature(kToken, kUrl, example("+14158675310")) == "GvWf1cFY/Q7PnoempGyD5oXAezc=");
  CHECK(
      verifyTwilioSignature(kToken, kUrl, example("+12349013030"), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
}

TEST_CASE("any change to the token, URL, parameters or signature fails verification") {
  const std::string good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
  const FormParams params = example("+12349013030");
  CHECK_FALSE(verifyTwilioSignature("54321", kUrl, params, good));
  CHECK_FALSE(
      verifyTwilioSignature(kToken, "https://mycompany.com/myapp.php?foo=1&bar=3", params, good));
  CHECK_FALSE(
      verifyTwilioSignature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2", params, good));

  FormParams tampered = params;
  tampered[1].second = "9999";  // Digits
  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, tampered, good));
  FormParams added = params;
  added.emplace_back("Body", "STOP");
  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, added, good));
  FormParams dropped(params.begin() + 1, params.end());
  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, dropped, good));

  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, params, ""));
  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, params, good.substr(0, good.size() - 1)));
  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, params, good + "="));
  std::string flipped = good;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(verifyTwilioSignature(kToken, kUrl, params, flipped));
}

TEST_CASE(
    "parameters are sorted by key, then by value, so their order on the wire does not matter") {
  const FormParams a = {
      {"Body", "退订"}, {"MediaUrl", "b"}, {"MediaUrl", "a"}, {"From", "+8613800000000"}};
  const FormParams b = {
      {"MediaUrl", "a"}, {"From", "+8613800000000"}, {"MediaUrl", "b"}, {"Body", "退订"}};
  CHECK(twilioSignature(kToken, kUrl, a) == twilioSignature(kToken, kUrl, b));
  // Keys and values are concatenated without separators, exactly as the provider does.
  CHECK(twilioSignature(kToken, "https://x", {{"ab", "c"}}) ==
        twilioSignature(kToken, "https://x", {{"a", "bc"}}));
}
