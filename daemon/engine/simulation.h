#pragma once
/// `journeyd simulate`: one customer through one journey on a virtual timeline, with the real
/// step machine. Pure: the customer lives in memory (order events update its order facts,
/// `identify` events and UpdateCustomer effects its traits) and time jumps straight to the next
/// wake-up or scripted event.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/engine/entry.h"
#include "daemon/engine/step_machine.h"

namespace journeyd {

/// One scripted event. `identify` merges its properties into the customer; `Order Completed`
/// also bumps orders_count, last_order_at, first_order_at and total_spent (revenue or total).
struct SimulationEvent {
  TimeMs time = 0;
  std::string name;
  nlohmann::json properties = nlohmann::json::object();
};

struct SimulationOptions {
  std::string customer_id = "simulated-customer";
  TimeMs start = 0;                   ///< the timeline starts here
  DurationMs duration = 30 * kDayMs;  ///< `--for`
};

/// An effect and when it happened.
struct TimedEffect {
  TimeMs time = 0;
  Effect effect;
  nlohmann::json customer;  ///< sends: the customer as it was at that moment (for the delivery policy)
};

struct SimulationResult {
  bool entered = false;
  std::string entry_reason;  ///< why it did (not) enter
  Enrollment enrollment;     ///< the final state
  std::vector<TraceLine> trace;
  std::vector<TimedEffect> effects;
  nlohmann::json customer;  ///< the customer at the end
};

[[nodiscard]] SimulationResult simulateJourney(const Journey& journey, nlohmann::json customer,
                                               std::vector<SimulationEvent> events, const SimulationOptions& options);

/// The timeline as printed by `simulate`: one line per trace line.
[[nodiscard]] std::string formatTimeline(const SimulationResult& result);

/// Applies an UpdateCustomer effect to a customer JSON (traits under `traits`, tags under `tags`).
void applyCustomerUpdate(nlohmann::json& customer, const Effect& update);

}  // namespace journeyd
