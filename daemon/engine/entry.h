#pragma once
/// Pure entry decisions: does this trigger start this journey for this customer now?
#include <string>
#include <vector>

#include "daemon/engine/step_machine.h"

namespace journeyd {

/// What triggered a possible entry. For an event trigger, `event` is the tracked event; for the
/// others the caller builds a synthetic one: segment_entered/exited → name = segment name;
/// attribute_changed → name = attribute path, properties {old, new}; date_attribute and
/// schedule → name = the journey's trigger name; api → properties = the request's data.
struct TriggerInput {
  TriggerKind kind = TriggerKind::kEvent;
  EventArrived event;
};

/// One of the customer's earlier enrollments in the journey (any version), as the store knows it.
struct PastEnrollment {
  std::string key;
  TimeMs entered_at = 0;
  bool active = false;  ///< not finished yet
};

struct EntryDecision {
  bool enter = false;
  std::string key;  ///< the enrollment key (journey key of the event)
  std::string
      reason;  ///< why (not): `reentry never: entered 2024-01-02T…`, the entry.when explanation, …
};

/// Whether the trigger input is this journey's trigger (kind, name and trigger.where).
[[nodiscard]] bool triggerMatches(const Journey& journey, const TriggerInput& input,
                                  const EvalContext& customer);

/// The whole entry decision: journey active, trigger matches, key present when the journey has
/// one, not already in the journey with that key (never twice at the same time), the reentry
/// rule (per key when the journey has a key), and entry.when.
[[nodiscard]] EntryDecision decideEntry(const Journey& journey, const TriggerInput& input,
                                        const EvalContext& customer,
                                        const std::vector<PastEnrollment>& past, TimeMs now);

/// For date_attribute and schedule triggers: the next moment strictly after `after` at which
/// the journey triggers for this customer. date_attribute: from the date the attribute gives
/// (customer.* dates, or event.* with `event` = {name, properties, time} for a date carried by
/// an event), in customer.timeZone() (the customer's zone, else the business's); schedule: the
/// cron in the trigger's timezone, the same moment for everyone. nullopt for other triggers
/// and when the date is missing or past.
[[nodiscard]] std::optional<TimeMs> nextScheduledEntry(const Journey& journey,
                                                       const EvalContext& customer, TimeMs after,
                                                       const nlohmann::json* event = nullptr);

}  // namespace journeyd
