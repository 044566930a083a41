#pragma once
/// What a send attempt means for its outbox row: sent, retried later (exponential backoff with
/// full jitter, never sooner than the provider's Retry-After), failed, or dead (out of attempts
/// or past max_age). Pure functions: the caller passes the time and the random draw.
#include <cstdint>
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "daemon/delivery/channels.h"

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

/// A `suppressions` row: an address not to message again on a channel kind.
struct Suppression {
  std::string channel;  ///< "email" | "sms"
  std::string address;  ///< normalized
  std::string reason;
};

/// Where a message row goes after an attempt (or a decision made without one).
struct AttemptOutcome {
  /// kWithdrawn: taken back unsent when claimed (see withdrawAtClaim); recorded as skipped.
  enum class Status { kSent, kRetry, kFailed, kDead, kWithdrawn };
  std::int64_t message_id = 0;
  Status status = Status::kFailed;
  /// False when no send was tried (channel not configured, unreadable row): attempts stays
  /// and no message_attempts row is written.
  bool attempted = true;
  SendResult::Status attempt_result = SendResult::Status::kFailed;  ///< message_attempts.result
  TimeMs at = 0;                                                    ///< when the attempt ended
  TimeMs next_attempt_at = 0;                                       ///< with kRetry
  std::string provider_id;                                          ///< with kSent
  std::string reason;  ///< the row's reason (failed/dead/last retry), empty when sent
  std::string detail;  ///< message_attempts.detail: the connector's own words
  /// With a hard bounce: the recipient to suppress, recorded with the outcome.
  std::optional<Suppression> suppression;
  /// A line for the customer's journey log (`explain`), written with the outcome.
  struct LogLine {
    std::int64_t customer_id = 0;
    std::string journey_id;
    std::int64_t enrollment_id = 0;
    std::string step_id;
    std::string text;
  };
  std::optional<LogLine> log;
};

/// Decides the outcome of `result` for a row that had `attempts_before` attempts and was
/// created at `created_at`; `now` is when the attempt ended.
AttemptOutcome decideOutcome(std::int64_t message_id, const SendResult& result, int attempts_before,
                             TimeMs created_at, TimeMs now, const ChannelSettings& settings,
                             const BackoffPolicy& policy, double random_unit);

/// An outcome decided without sending (e.g. "channel not configured").
AttemptOutcome failedWithoutAttempt(std::int64_t message_id, std::string reason, TimeMs now);

/// "sent" | "retry" | "failed", as stored in message_attempts.result.
const char* attemptResultName(SendResult::Status status);

}  // namespace journeyd
