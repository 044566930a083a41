#pragma once
/// Delivery policy decisions that do not need the store: the global holdout group and quiet
/// hours in the customer's own timezone. Pure functions of their inputs.
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/core/time.h"

namespace journeyd {

/// Whether a customer is in the global holdout (no marketing messages, for lift measurement).
/// Stable: the same customer is always in or always out for a given percentage.
[[nodiscard]] bool inHoldout(std::int64_t customer_id, double percent);

/// When a message due at `now` falls inside quiet hours [start, end) in `timezone` (an IANA
/// name; UTC when unknown), the moment quiet hours end; nullopt when it may go out now. The
/// window may cross midnight (21:00–08:00). Minutes are local minutes of the day.
[[nodiscard]] std::optional<TimeMs> quietHoursEnd(TimeMs now, const std::string& timezone, int start_minute,
                                                  int end_minute);

}  // namespace journeyd
