#include "daemon/delivery/unsubscribe.h"

#include <doctest/doctest.h>

using namespace journeyd;

TEST_CASE(
    "unsubscribe tokens carry customer, channel and topic; forged, expired and malformed ones are "
    "refused") {
  const TimeMs now = *parseIsoTime("2026-03-02T01:00:00Z");
  UnsubscribeSigner signer("0123456789abcdef0123456789abcdef", "https://news.example.com/",
                           30 * kDayMs);

  const std::string url = signer.url(42, "email", "newsletter.weekly", now);
  CHECK(url.rfind("https://news.example.com/u/", 0) == 0);
  const std::string token = url.substr(url.rfind('/') + 1);
  auto claim = signer.verify(token, now + kDayMs);
  REQUIRE(claim);
  CHECK(claim->customer_id == 42);
  CHECK(claim->channel == "email");
  CHECK(claim->topic == "newsletter.weekly");
  CHECK(claim->expires_at == now + 30 * kDayMs);

  auto whole = signer.verify(signer.token(7, "sms", "", now), now);
  REQUIRE(whole);
  CHECK(whole->channel == "sms");
  CHECK(whole->topic.empty());

  // Expired: one millisecond past its time.
  auto expired = signer.verify(token, now + 30 * kDayMs + 1);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().message == "this unsubscribe link has expired");

  // Another customer's id in the payload, with the old signature: refused.
  const std::string other = UnsubscribeSigner("0123456789abcdef0123456789abcdef", "", 30 * kDayMs)
                                .token(43, "email", "newsletter.weekly", now);
  const std::string spliced = other.substr(0, other.find('.')) + token.substr(token.find('.'));
  auto forged = signer.verify(spliced, now);
  REQUIRE_FALSE(forged);
  CHECK(forged.error().message.find("not valid") != std::string::npos);

  // Signed with another secret: refused.
  UnsubscribeSigner stranger("fedcba9876543210fedcba9876543210", "", 30 * kDayMs);
  CHECK_FALSE(signer.verify(stranger.token(42, "email", "", now), now));

  for (const char* bad : {"", "no-dot-here", "!!!.abc", "."}) {
    CAPTURE(bad);
    CHECK_FALSE(signer.verify(bad, now));
  }
}
