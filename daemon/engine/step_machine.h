#pragma once
/// The pure step machine: (journey, enrollment, customer view, now, what happened) → (new
/// enrollment, effects, trace). No I/O, no clock: everything arrives as arguments, so the daemon,
/// `simulate` and the tests run the very same code.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/engine/enrollment.h"
#include "daemon/expr/eval_context.h"
#include "daemon/journeys/journey.h"

namespace journeyd {

/// An event as the engine sees it: a tracked event, or a synthetic one for non-event triggers
/// (`segment_entered` with the segment as name, …).
struct EventArrived {
  std::string name;
  nlohmann::json properties = nlohmann::json::object();
  TimeMs time = 0;
};

enum class InputKind {
  kWake,             ///< the scheduler's wake-up at Enrollment::wake_at (or later)
  kEvent,            ///< the customer did something
  kCustomerChanged,  ///< the customer's profile or computed values changed
};

struct Input {
  InputKind kind = InputKind::kWake;
  TimeMs now = 0;
  EventArrived event;  ///< for kEvent
};

enum class EffectKind {
  kSend,
  kUpdateCustomer,
  kEmitEvent,
  kWakeAt,
  kWaitForEvent,
  kConverted,
  kExit
};

/// Something the caller must do (in the same transaction as storing the new enrollment).
struct Effect {
  EffectKind kind = EffectKind::kExit;
  std::string step_id;
  std::int64_t sequence =
      0;  ///< Enrollment::steps_run of the step: with the enrollment, an idempotency key
  // kSend
  std::string channel;
  std::string template_name;
  nlohmann::json data = nlohmann::json::object();  ///< send: template data; emit: properties
  // kUpdateCustomer
  nlohmann::json set = nlohmann::json::object();  ///< trait → value
  std::vector<std::string> unset, add_tags, remove_tags;
  // kEmitEvent (name), kWaitForEvent (name, key)
  std::string name;
  std::string key;
  // kWakeAt (time), kWaitForEvent (until), kConverted (when)
  TimeMs time = 0;
  // kExit
  ExitReason reason = ExitReason::kNone;
  std::string detail;
};

/// One line of the timeline `simulate` and `explain` print.
struct TraceLine {
  TimeMs time = 0;
  std::string step_id;
  std::string
      text;  ///< what happened and why, e.g. `if → then: customer.orders_count (0) == 0 → true`
  int effect = -1;  ///< the index in Transition::effects of the send this line announces, else -1

  [[nodiscard]] std::string format() const;
};

struct Transition {
  Enrollment enrollment;
  std::vector<Effect> effects;
  std::vector<TraceLine> trace;
};

/// Most steps one advance() may run before it stops the enrollment (a goto loop with no wait).
inline constexpr int kMaxStepsPerAdvance = 1000;

/// Enrolls a customer (entry already decided, see entry.h) and runs the first steps until a wait.
[[nodiscard]] Transition startEnrollment(const Journey& journey, const std::string& customer_id,
                                         const EventArrived& trigger, const EvalContext& customer,
                                         TimeMs now);

/// Moves an enrollment on after an input. `journey` must be the version the enrollment runs on
/// (Enrollment::version; see migration.h for moving it to another), and the customer view's
/// now() must equal input.now. Goal and exit_when are checked first on every input, also in
/// the middle of a wait. An input that changes nothing returns the enrollment as it was and no
/// effects. Updates made by this call's own UpdateCustomer effects are not yet visible to its
/// later conditions: the caller applies them and may send kCustomerChanged.
[[nodiscard]] Transition advance(const Journey& journey, const Enrollment& enrollment,
                                 const EvalContext& customer, const Input& input);

/// The journey key of an event (the value of the journey's `key` over `event`), "" without a key
/// or when the event lacks it.
[[nodiscard]] std::string eventKey(const Journey& journey, const EventArrived& event);

/// `{name, properties, time}`: how an event appears as the `event` root of expressions.
[[nodiscard]] nlohmann::json eventJson(const EventArrived& event);

/// Deterministic bucket in [0, 10000) of a customer for a split step: the same customer always
/// lands in the same variant, independent customers spread uniformly.
[[nodiscard]] int splitBucket(const std::string& customer_id, const std::string& journey_id,
                              const std::string& step_id);

}  // namespace journeyd
