#include "daemon/delivery/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace journeyd {

DurationMs retryDelay(int attempts_made, DurationMs retry_after, double random_unit,
                      const BackoffPolicy& policy) {
  DurationMs ceiling = policy.base;
  // Doubling stops at the cap; counting the steps avoids overflowing for large attempt counts.
  for (int i = 1; i < attempts_made && ceiling < policy.cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.cap);
  const double unit = std::clamp(random_unit, 0.0, 1.0);
  const auto jittered = static_cast<DurationMs>(std::llround(unit * static_cast<double>(ceiling)));
  return std::max(jittered, retry_after);
}

DeliveryOutcome decideOutcome(std::int64_t message_id, const SendResult& result,
                              int attempts_before, TimeMs created_at, TimeMs now,
                              const ChannelSettings& settings, const BackoffPolicy& policy,
                              double random_unit) {
  DeliveryOutcome out;
  out.message_id = message_id;
  out.attempt_result = attemptOf(result.status);
  out.retries_before = attempts_before;
  out.at = now;
  out.detail = result.status == SendResult::Status::kSent ? result.provider_id : result.reason;
  const int attempts = attempts_before + 1;
  switch (result.status) {
    case SendResult::Status::kSent:
      out.status = DeliveryOutcome::Status::kSent;
      out.provider_id = result.provider_id;
      return out;
    case SendResult::Status::kFailed:
      out.status = DeliveryOutcome::Status::kFailed;
      out.reason = result.reason;
      return out;
    case SendResult::Status::kRetry:
      break;
  }
  const DurationMs delay = retryDelay(attempts, result.retry_after, random_unit, policy);
  const TimeMs deadline = created_at + settings.max_age;
  if (attempts >= settings.max_attempts) {
    out.status = DeliveryOutcome::Status::kDead;
    out.reason = "gave up after " + std::to_string(attempts) + " attempts: " + result.reason;
  } else if (now >= deadline || now + delay > deadline) {
    // A retry that could only happen after max_age would be thrown away then; say so now.
    out.status = DeliveryOutcome::Status::kDead;
    out.reason = "expired: no attempt possible within max_age " + formatDuration(settings.max_age) +
                 " after " + std::to_string(attempts) + " attempts: " + result.reason;
  } else {
    out.status = DeliveryOutcome::Status::kRetry;
    out.next_attempt_at = now + delay;
    out.reason = result.reason;
  }
  return out;
}

DeliveryOutcome failedWithoutAttempt(std::int64_t message_id, std::string reason, TimeMs now) {
  DeliveryOutcome out;
  out.message_id = message_id;
  out.status = DeliveryOutcome::Status::kFailed;
  out.attempted = false;
  out.at = now;
  out.reason = std::move(reason);
  return out;
}

DeliveryOutcome::Attempt attemptOf(SendResult::Status status) {
  switch (status) {
    case SendResult::Status::kSent:
      return DeliveryOutcome::Attempt::kSent;
    case SendResult::Status::kRetry:
      return DeliveryOutcome::Attempt::kRetry;
    case SendResult::Status::kFailed:
      return DeliveryOutcome::Attempt::kFailed;
  }
  return DeliveryOutcome::Attempt::kFailed;
}

}  // namespace journeyd
