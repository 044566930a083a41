#pragma once
/// A plan: what the planner decided for one customer, as a list of operations in the order they
/// happened, to be committed in one transaction (apply_plan.h) or recorded (simulate, tests).
/// Plain data: no behaviour beyond small helpers.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/delivery/policy.h"
#include "daemon/engine/enrollment.h"
#include "daemon/store/records.h"

namespace journeyd {

/// New enrollments get their row id when the plan is applied; operations refer to an
/// enrollment by its slot: the index of the EnrollmentWrite that introduced it in the plan.
using EnrollmentSlot = int;
inline constexpr EnrollmentSlot kNoEnrollment = -1;

/// Inserts (id 0, the first write of a new enrollment) or updates an enrollment.
struct EnrollmentWrite {
  EnrollmentSlot slot = kNoEnrollment;
  std::int64_t id = 0;  ///< the stored row; 0: a new enrollment
  Enrollment enrollment;
  std::string state_json;  ///< the enrollment encoded by the planner (off the writer)
};

/// Stores a message in the outbox. The idempotency key is made when the enrollment's row id is
/// known (see messageKey in apply_plan.h).
struct MessageInsert {
  NewMessage message;
  EnrollmentSlot enrollment = kNoEnrollment;
  std::int64_t sequence = 0;  ///< the step's run number within the enrollment
  std::int64_t temp_id = 0;   ///< negative: how later operations of the plan name it
};

/// A waiting message gives way to a higher-priority one (only if still waiting when applied).
struct MessageDisplace {
  std::int64_t message_id = 0;  ///< a stored message (positive) or one of this plan (temp_id)
  std::string reason;
};

/// Withdraws the pending messages an enrollment queued before (an early exit).
struct MessagesWithdraw {
  EnrollmentSlot enrollment = kNoEnrollment;
  std::string reason;
};

/// A journey's update step on the customer.
struct CustomerUpdate {
  TraitUpdate update;
};

/// An event a journey emitted (stored like a tracked one).
struct EventEmit {
  EnrollmentSlot enrollment = kNoEnrollment;
  std::string step_id;
  std::int64_t sequence = 0;
  std::string name;
  nlohmann::json properties = nlohmann::json::object();
};

/// Enters or leaves a materialized segment.
struct SegmentChange {
  std::string segment;
  bool entered = false;
};

/// When the customer's time-based segment rules must be looked at again (nullopt: never).
struct SegmentRecheck {
  std::optional<TimeMs> at;
};

/// Sets (or with nullopt removes) a journey's next date-attribute entry for the customer.
struct ScheduleEntry {
  std::string journey_id;
  std::optional<TimeMs> due_at;
};

/// Lines of the customer's story in one journey (`explain`), told in one row.
struct LogLines {
  std::string journey_id;
  EnrollmentSlot enrollment = kNoEnrollment;
  struct Line {
    TimeMs at = 0;
    std::string step_id;
    std::string text;
  };
  std::vector<Line> lines;
  std::string encoded;  ///< the lines as the store keeps them, made by the planner (off the writer)
};

using PlanOp =
    std::variant<EnrollmentWrite, MessageInsert, MessageDisplace, MessagesWithdraw, CustomerUpdate,
                 EventEmit, SegmentChange, SegmentRecheck, ScheduleEntry, LogLines>;

/// A journey's entry, conversion or end (with its reason), for the per-journey metrics.
struct JourneyEvent {
  enum class What : std::uint8_t { kEntered, kConverted, kExited };
  std::string journey_id;
  What what = What::kEntered;
  ExitReason reason = ExitReason::kNone;  ///< with kExited (kCompleted included)
};

/// A message that will not go, by channel and kind of rule, for the per-channel metrics.
struct SkippedMessage {
  std::string channel;
  SkipKind kind = SkipKind::kOther;
};

/// What happened, for the metrics (added once the plan is committed).
struct PlanCounters {
  std::int64_t entered = 0, advanced = 0, messages_queued = 0, messages_skipped = 0, converted = 0,
               exited = 0, completed = 0, segment_entries = 0, segment_exits = 0;
  std::vector<JourneyEvent> journeys;   ///< one per entry, conversion and end
  std::vector<SkippedMessage> skipped;  ///< one per message the policy (or a displacement) skipped
  PlanCounters& operator+=(const PlanCounters& o);
};

/// Everything decided for one customer at one moment, from one snapshot.
struct CustomerPlan {
  CustomerId customer_id = 0;
  /// The customer's plan revision in the snapshot; the plan applies only if it is unchanged.
  /// nullopt: the customer is gone; only the bookkeeping below is applied.
  std::optional<std::int64_t> revision;
  TimeMs now = 0;
  std::vector<PlanOp> ops;
  std::vector<std::int64_t> inbox_done;        ///< work items handled (removed with the plan)
  std::vector<std::int64_t> enrollments_gone;  ///< enrollments of an erased customer (removed)
  PlanCounters counters;

  [[nodiscard]] bool empty() const {
    return ops.empty() && inbox_done.empty() && enrollments_gone.empty();
  }
};

}  // namespace journeyd
