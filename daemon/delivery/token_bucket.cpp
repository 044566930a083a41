#include "daemon/delivery/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace journeyd {

TokenBucket::TokenBucket(RateLimit limit, TimeMs now)
    : limit_(limit),
      capacity_(static_cast<double>(limit.burst())),
      tokens_per_ms_(limit.unlimited() ? 0.0 : limit.perSecond() / kSecondMs),
      tokens_(capacity_),
      last_(now) {}

void TokenBucket::refill(TimeMs now) {
  // A clock set backwards refills nothing rather than draining the bucket.
  if (now <= last_) return;
  tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now - last_) * tokens_per_ms_);
  last_ = now;
}

DurationMs TokenBucket::take(TimeMs now) {
  if (limit_.unlimited()) return 0;
  refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  return std::max<DurationMs>(1,
                              static_cast<DurationMs>(std::ceil((1.0 - tokens_) / tokens_per_ms_)));
}

}  // namespace journeyd
