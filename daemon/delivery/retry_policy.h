#pragma once
/// What a send attempt means for its outbox row: sent, retried later (exponential backoff with
/// full jitter, never sooner than the provider's Retry-After), failed, or dead (out of attempts
/// or past max_age). Pure functions: the caller passes the time and the random draw.
#include <cstdint>
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "daemon/delivery/channels.h"
#include "daemon/store/records.h"

namespace journeyd {

/// Backoff bounds: the n-th retry waits up to min(cap, base * 2^(n-1)).
struct BackoffPolicy {
  DurationMs base = kSecondMs;
  DurationMs cap = kHourMs;
};

/// The wait before the next attempt after `attempts_made` attempts (≥ 1): uniform over
/// [0, min(cap, base·2^(attempts_made-1))] scaled by `random_unit` in [0, 1], then raised to
/// `retry_after`.
DurationMs retryDelay(int attempts_made, DurationMs retry_after, double random_unit,
                      const BackoffPolicy& policy);

/// Decides the outcome of `result` for a row that had `attempts_before` attempts and was
/// created at `created_at`; `now` is when the attempt ended.
DeliveryOutcome decideOutcome(std::int64_t message_id, const SendResult& result,
                              int attempts_before, TimeMs created_at, TimeMs now,
                              const ChannelSettings& settings, const BackoffPolicy& policy,
                              double random_unit);

/// An outcome decided without sending (e.g. "channel not configured").
DeliveryOutcome failedWithoutAttempt(std::int64_t message_id, std::string reason, TimeMs now);

/// What the connector said, as message_attempts records it.
DeliveryOutcome::Attempt attemptOf(SendResult::Status status);

}  // namespace journeyd
