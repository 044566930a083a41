#pragma once
/// One customer's passage through one journey version: a plain value the store keeps as a row
/// (the scalar fields, with wake_at indexed) plus JSON. The step machine reads one and returns
/// the next; it never holds on to it.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/core/time.h"

namespace journeyd {

enum class EnrollmentStatus {
  kActive,     ///< running steps (only inside advance(); never stored)
  kWaiting,    ///< in a wait, wait_until or wait_for step
  kCompleted,  ///< ran off the end of the journey
  kConverted,  ///< reached the goal while in the journey
  kExited,     ///< left early: exit_when, an exit step, control group, …
};

/// Why an enrollment ended.
enum class ExitReason {
  kNone,
  kCompleted,
  kConverted,
  kExitWhen,
  kExitStep,
  kControlGroup,
  kGoalWindowExpired,
  kStepLimit,
  kJourneyChanged,
  kStepMissing,
  kMissingData
};

[[nodiscard]] const char* enrollmentStatusName(EnrollmentStatus status);
[[nodiscard]] const char* exitReasonName(ExitReason reason);

/// An early exit the customer's behaviour caused (the goal, exit_when, an exit step, the goal
/// window closing): messages of the enrollment still waiting in the outbox are withdrawn when
/// the journey says `pending_on_exit: cancel` (the default).
[[nodiscard]] bool exitWithdrawsPending(ExitReason reason);

struct Enrollment {
  std::string journey_id;
  std::string version;  ///< the journey version (content hash) it runs on
  std::string customer_id;
  std::string key;  ///< value of the journey's key (e.g. the cart id); empty without a key
  EnrollmentStatus status = EnrollmentStatus::kActive;
  std::string step_id;  ///< the current step (the wait), or the last one run when finished
  TimeMs entered_at = 0;

  /// When the scheduler must call advance() with a Wake input next; nullopt = only on events.
  std::optional<TimeMs> wake_at;
  /// When the current wait step resumes by itself (end of wait, wait_until moment, wait_for
  /// timeout).
  std::optional<TimeMs> due_at;
  std::string wait_event;  ///< wait_for: the event name awaited
  std::string wait_key;    ///< wait_for: only events with this key count

  std::optional<TimeMs> goal_deadline;  ///< entered_at + goal.within
  std::optional<TimeMs> converted_at;
  std::optional<TimeMs> finished_at;
  ExitReason exit_reason = ExitReason::kNone;
  std::string exit_detail;  ///< the exit step's reason, the step that went missing, …

  std::map<std::string, std::string> variants;              ///< split step id → variant name
  nlohmann::json trigger_event = nlohmann::json::object();  ///< {name, properties, time}
  nlohmann::json data =
      nlohmann::json::object();  ///< trigger properties + events received in wait_for
  std::int64_t steps_run = 0;    ///< steps executed so far; numbers sends for idempotency keys

  [[nodiscard]] bool finished() const {
    return status == EnrollmentStatus::kCompleted || status == EnrollmentStatus::kConverted ||
           status == EnrollmentStatus::kExited;
  }
  /// Still interested in this customer's events and changes: in flight, or completed with the
  /// goal window still open (conversions after the last step count too).
  [[nodiscard]] bool listening() const {
    return !finished() ||
           (status == EnrollmentStatus::kCompleted && !converted_at && goal_deadline.has_value());
  }

  [[nodiscard]] nlohmann::json toJson() const;
  [[nodiscard]] static Enrollment fromJson(const nlohmann::json& j);
};

}  // namespace journeyd
