#pragma once
/// `journeyd simulate` (and the tests of the shipped journeys): one customer through journeys
/// on a virtual clock, run by the daemon's own runtime — the same planner, the same store code on
/// a scratch SQLite database, the same claim-time policy — with no network: a message counts as
/// sent at the moment the dispatcher would claim it. The clock jumps from one moment to the
/// next (a scripted event, a wake-up, a message coming due).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/planner/catalog.h"
#include "daemon/store/records.h"

namespace journeyd {

/// One scripted event: `identify` merges `properties` into the traits; anything else is tracked
/// (an order event also updates the order facts).
struct SimulationEvent {
  TimeMs time = 0;
  std::string name;
  nlohmann::json properties = nlohmann::json::object();
};

struct SimulationSetup {
  CatalogPtr catalog;  ///< the journeys (and segments, templates, channel kinds) to run
  PolicySettings policy;
  OrderSettings orders;
  /// The customer: `id` (their number in the store when numeric, for the holdout and control
  /// groups), `user_id`, `email`, `phone`, `timezone`, `locale`, order facts (`orders_count`,
  /// `total_spent`, `first_order_at`, `last_order_at`), and any other trait.
  nlohmann::json customer = nlohmann::json::object();
  std::vector<SimulationEvent> events;
  TimeMs start = 0;
  DurationMs duration = 30 * kDayMs;
};

/// A line of the timeline.
struct SimulationLine {
  TimeMs time = 0;
  std::string journey;
  std::string step;
  std::string text;
};

/// A message a journey decided on, and what became of it by the end.
struct SimulatedMessage {
  TimeMs time = 0;  ///< when it was decided
  std::string step, channel, template_name;
  std::string status;             ///< sent | pending | skipped | failed
  std::optional<TimeMs> send_at;  ///< when it went (sent) or is due (pending)
  std::string reason;             ///< the policy's words (deferral or skip)
  std::string rendered;           ///< the rendered parts (JSON), when the templates were loaded
};

struct SimulatedJourney {
  std::string id;
  bool entered = false;
  std::string entry;               ///< why it did (not) enter
  std::string status;              ///< the last enrollment's status (when entered)
  std::string exit_reason;         ///< when it ended
  std::optional<Enrollment> last;  ///< the last enrollment as stored at the end
  std::vector<SimulatedMessage> messages;
};

struct SimulationRun {
  std::vector<SimulationLine> lines;       ///< in time order
  std::vector<SimulatedJourney> journeys;  ///< in the catalog's order
  std::optional<CustomerRecord> customer;  ///< the customer at the end
};

/// Runs it on a scratch store in a temporary folder (removed afterwards).
Result<SimulationRun> simulate(const SimulationSetup& setup);

/// The customer number the holdout and control groups hash: the `id` when it is a number,
/// else a stable hash of it.
CustomerId simulatedCustomerNumber(const nlohmann::json& customer);

}  // namespace journeyd
