#pragma once
/// A customer's own change of mind about our messages (an unsubscribe link, an SMS reply): their
/// traits are patched, the change is recorded as an event, and journeys react at once. Runs in
/// the caller's writer job, so it commits together with whatever else the request changes.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

class Database;
class JourneyRunner;

struct ConsentChange {
  std::int64_t customer_id = 0;
  nlohmann::json traits;      ///< merged into the customer's traits (json_patch)
  std::string event;          ///< the track event recorded, e.g. "Unsubscribed"
  nlohmann::json properties;  ///< the event's properties
  std::string message_id;     ///< the event's dedup key: a replay records the event once
  TimeMs at = 0;
};

/// NotFound when there is no such customer. `runner` may be null (no journeys loaded).
Result<void> applyConsentChange(Database& db, JourneyRunner* runner, const ConsentChange& change);

}  // namespace journeyd
