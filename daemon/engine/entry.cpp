#include "daemon/engine/entry.h"

#include "daemon/engine/journey_context.h"
#include "daemon/journeys/cron.h"

namespace journeyd {

namespace {
const nlohmann::json kEmptyObject = nlohmann::json::object();
}

bool triggerMatches(const Journey& journey, const TriggerInput& input,
                    const EvalContext& customer) {
  const Trigger& t = journey.trigger;
  if (t.kind != input.kind) return false;
  bool named = t.kind == TriggerKind::kEvent || t.kind == TriggerKind::kSegmentEntered ||
               t.kind == TriggerKind::kSegmentExited || t.kind == TriggerKind::kAttributeChanged;
  if (named && t.name != input.event.name) return false;
  if (!t.where) return true;
  nlohmann::json ev = eventJson(input.event);
  nlohmann::json journey_json = {{"id", journey.id}};
  JourneyEvalContext ctx(customer, input.event.time, &ev, &input.event.properties, &journey_json);
  return t.where->truthy(ctx);
}

EntryDecision decideEntry(const Journey& journey, const TriggerInput& input,
                          const EvalContext& customer, const std::vector<PastEnrollment>& past,
                          TimeMs now) {
  EntryDecision d;
  if (journey.status != JourneyStatus::kActive) {
    d.reason =
        journey.status == JourneyStatus::kPaused ? "journey is paused" : "journey is a draft";
    return d;
  }
  if (!triggerMatches(journey, input, customer)) {
    d.reason = "not this journey's trigger";
    return d;
  }
  d.key = eventKey(journey, input.event);
  if (journey.key && d.key.empty()) {
    d.reason = "the event has no key (" + journey.key->source() + ")";
    return d;
  }
  std::optional<TimeMs> last;
  for (const auto& p : past) {
    if (journey.key && p.key != d.key) continue;
    if (p.active) {
      d.reason = "already in the journey" + (d.key.empty() ? std::string() : " for key " + d.key);
      return d;
    }
    if (!last || p.entered_at > *last) last = p.entered_at;
  }
  if (last) {
    if (journey.entry.reentry == ReentryRule::kNever) {
      d.reason = "reentry never: entered " + formatIsoTime(*last);
      return d;
    }
    if (journey.entry.reentry == ReentryRule::kAfter && now < *last + journey.entry.reentry_after) {
      d.reason = "reentry after " + formatDuration(journey.entry.reentry_after) + ": entered " +
                 formatIsoTime(*last) + ", again from " +
                 formatIsoTime(*last + journey.entry.reentry_after);
      return d;
    }
  }
  if (journey.entry.when) {
    nlohmann::json ev = eventJson(input.event);
    nlohmann::json journey_json = {
        {"id", journey.id}, {"name", journey.name}, {"version", journey.version}};
    const nlohmann::json& data =
        input.event.properties.is_object() ? input.event.properties : kEmptyObject;
    JourneyEvalContext ctx(customer, now, &ev, &data, &journey_json);
    std::string explained = journey.entry.when->explain(ctx);
    if (!journey.entry.when->truthy(ctx)) {
      d.reason = "entry.when " + explained;
      return d;
    }
    d.reason = "entry.when " + explained;
  } else {
    d.reason = "trigger " + input.event.name;
  }
  d.enter = true;
  return d;
}

std::optional<TimeMs> nextScheduledEntry(const Journey& journey, const EvalContext& customer,
                                         TimeMs after, const nlohmann::json* event) {
  const Trigger& t = journey.trigger;
  if (t.kind == TriggerKind::kSchedule) {
    if (!t.schedule) return std::nullopt;
    return t.schedule->nextAfter(after, findTimeZone(t.timezone));
  }
  if (t.kind != TriggerKind::kDateAttribute || !t.date.attribute) return std::nullopt;
  const nlohmann::json& data =
      event && event->contains("properties") ? (*event)["properties"] : kEmptyObject;
  JourneyEvalContext ctx(customer, after, event, &data, nullptr);
  // Read as UTC on purpose: nextDateOccurrence takes the date's UTC calendar day (a calendar date
  // is that very day) and places it in the customer's zone, else the business's.
  auto date = t.date.attribute->evaluate(ctx).asTime();
  if (!date) return std::nullopt;
  return nextDateOccurrence(*date, t.date.yearly, t.date.offset, t.date.minute_of_day, after,
                            customer.timeZone());
}

}  // namespace journeyd
