#pragma once
/// A token bucket for a channel's rate limit, driven by times the caller reads from its Clock
/// (so a ManualClock freezes it in tests). Not thread-safe: the dispatcher guards it.
#include <cstdint>

#include "daemon/core/time.h"
#include "daemon/delivery/channels.h"

namespace journeyd {

/// Starts full (one burst may go out at once), refills at the configured rate.
class TokenBucket {
 public:
  TokenBucket(RateLimit limit, TimeMs now);

  /// Takes one token at `now`: 0 when taken (or unlimited), else how long until one is due.
  DurationMs take(TimeMs now);

 private:
  void refill(TimeMs now);

  const RateLimit limit_;
  const double capacity_;
  const double tokens_per_ms_;
  double tokens_;
  TimeMs last_ = 0;
};

}  // namespace journeyd
