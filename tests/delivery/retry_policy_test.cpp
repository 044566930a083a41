#include "daemon/delivery/retry_policy.h"

#include <doctest/doctest.h>

#include "daemon/delivery/token_bucket.h"

using namespace journeyd;
using Status = DeliveryOutcome::Status;

TEST_CASE("the backoff doubles from one second up to an hour, with full jitter") {
  const BackoffPolicy policy;
  struct Case {
    int attempts;
    double random;
    DurationMs retry_after;
    DurationMs delay;
  };
  for (const Case& c :
       {Case{1, 1.0, 0, 1000}, Case{2, 1.0, 0, 2000}, Case{3, 1.0, 0, 4000}, Case{2, 0.5, 0, 1000},
        Case{1, 0.0, 0, 0}, Case{12, 1.0, 0, 2048000}, Case{13, 1.0, 0, kHourMs},
        Case{200, 1.0, 0, kHourMs}, Case{1, 1.0, 30000, 30000}, Case{5, 1.0, 3000, 16000},
        Case{30, 0.25, 0, kHourMs / 4}}) {
    INFO("attempts=" << c.attempts << " random=" << c.random);
    CHECK(retryDelay(c.attempts, c.retry_after, c.random, policy) == c.delay);
  }
}

TEST_CASE("an attempt's result decides the row's next state") {
  ChannelSettings settings;
  settings.max_attempts = 3;
  settings.max_age = kHourMs;
  const BackoffPolicy policy;
  const TimeMs created = 1000000;
  const TimeMs now = created + kMinuteMs;

  auto sent = decideOutcome(1, SendResult::sent("p-1"), 0, created, now, settings, policy, 1.0);
  CHECK(sent.status == Status::kSent);
  CHECK(sent.provider_id == "p-1");
  CHECK(sent.attempted);

  auto failed =
      decideOutcome(1, SendResult::failed("HTTP 400: bad"), 0, created, now, settings, policy, 1.0);
  CHECK(failed.status == Status::kFailed);
  CHECK(failed.reason == "HTTP 400: bad");

  auto retry =
      decideOutcome(1, SendResult::retry("HTTP 503"), 1, created, now, settings, policy, 1.0);
  CHECK(retry.status == Status::kRetry);
  CHECK(retry.next_attempt_at == now + 2000);
  CHECK(retry.attempt_result == DeliveryOutcome::Attempt::kRetry);

  auto dead =
      decideOutcome(1, SendResult::retry("HTTP 503"), 2, created, now, settings, policy, 1.0);
  CHECK(dead.status == Status::kDead);
  CHECK(dead.reason == "gave up after 3 attempts: HTTP 503");

  auto old = decideOutcome(1, SendResult::retry("HTTP 503"), 0, created, created + kHourMs,
                           settings, policy, 0.0);
  CHECK(old.status == Status::kDead);
  CHECK(old.reason.rfind("expired", 0) == 0);

  // a Retry-After that lands past max_age cannot be honoured in time
  auto late = decideOutcome(1, SendResult::retry("HTTP 429", 2 * kHourMs), 0, created, now,
                            settings, policy, 0.0);
  CHECK(late.status == Status::kDead);

  auto none = failedWithoutAttempt(9, "channel not configured", now);
  CHECK_FALSE(none.attempted);
  CHECK(none.status == Status::kFailed);
}

TEST_CASE("a token bucket lets one burst through, then one token per interval") {
  TokenBucket bucket(*parseRateLimit("5/s"), 0);
  for (int i = 0; i < 5; ++i) CHECK(bucket.take(0) == 0);
  CHECK(bucket.take(0) == 200);
  CHECK(bucket.take(150) == 50);
  CHECK(bucket.take(200) == 0);
  CHECK(bucket.take(200) == 200);
  // a long pause refills only up to the burst
  for (int i = 0; i < 5; ++i) CHECK(bucket.take(60000) == 0);
  CHECK(bucket.take(60000) > 0);
  // a clock set backwards takes nothing away and gives nothing
  CHECK(bucket.take(1000) > 0);

  TokenBucket unlimited(RateLimit{}, 0);
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.take(0) == 0);
}
