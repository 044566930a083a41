#pragma once
/// Read-side views of customers for the admin API and the CLI. Works on any connection
/// (readers use their own read-only connections).
#include <nlohmann/json_fwd.hpp>

#include "daemon/core/result.h"
#include "daemon/store/database.h"

namespace journeyd {

/// The profile of customer `customer_id`: identities, traits, timezone/locale, order facts and
/// the most recent `recent_events` events (newest first). NotFound when there is none.
Result<nlohmann::json> customerProfile(Database& db, std::int64_t customer_id, int recent_events = 50);

/// Counts for health and metrics.
struct StoreCounts {
  std::int64_t customers = 0;
  std::int64_t events = 0;
};
Result<StoreCounts> storeCounts(Database& db);

}  // namespace journeyd
