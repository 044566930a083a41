#pragma once
/// The compiled journey model: what a journey file means once loaded and validated. Immutable
/// after loading and shared as shared_ptr<const Journey>; hot reload swaps the pointer.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/core/diagnostic.h"
#include "daemon/core/time.h"
#include "daemon/expr/expression.h"
#include "daemon/journeys/cron.h"

namespace journeyd {

using ExprPtr = std::shared_ptr<const Expression>;

enum class JourneyStatus { kActive, kPaused, kDraft };
enum class TriggerKind {
  kEvent,
  kSegmentEntered,
  kSegmentExited,
  kAttributeChanged,
  kDateAttribute,
  kSchedule,
  kApi
};
enum class ReentryRule { kNever, kAlways, kAfter };
enum class OnChange { kMigrate, kPin, kRestart };
enum class StepKind {
  kSend,
  kWait,
  kWaitUntil,
  kWaitFor,
  kIf,
  kSplit,
  kUpdate,
  kEmit,
  kExit,
  kGoto
};

[[nodiscard]] const char* triggerKindName(TriggerKind kind);
[[nodiscard]] const char* stepKindName(StepKind kind);
[[nodiscard]] const char* onChangeName(OnChange on_change);

/// `trigger.date_attribute`: a date in the customer's (or the event's) data, shifted by an offset,
/// at a local time of day; yearly for birthdays and anniversaries.
struct DateAttributeTrigger {
  ExprPtr attribute;           ///< evaluates to the date (ISO-8601 text or epoch ms)
  DurationMs offset = 0;       ///< e.g. -3d: three days before the date
  int minute_of_day = 9 * 60;  ///< `at`, local time in the customer's timezone
  bool yearly = true;          ///< repeat every year on the date's month and day
};

/// What starts a journey for a customer.
struct Trigger {
  TriggerKind kind = TriggerKind::kApi;
  std::string name;  ///< event name, segment name or attribute path, by kind
  ExprPtr where;     ///< optional extra condition on the triggering event
  DateAttributeTrigger date;
  std::shared_ptr<const CronSchedule> schedule;
  std::string timezone = "UTC";  ///< for schedule triggers
  SourcePos pos;
};

struct Entry {
  ExprPtr when;  ///< audience filter; null = everyone
  ReentryRule reentry = ReentryRule::kNever;
  DurationMs reentry_after = 0;  ///< for kAfter
};

struct Goal {
  bool present = false;
  std::string event;      ///< goal reached when this event arrives (with the enrollment's key)
  ExprPtr where;          ///< optional condition on that event
  ExprPtr when;           ///< or when this condition on the customer becomes true
  DurationMs within = 0;  ///< window from entry; 0 = no limit
  bool exit_on_expiry = false;  ///< end the journey (goal_window_expired) when the window closes
};

/// One branch of an `if` step; `when` is null for `else`.
struct Branch {
  ExprPtr when;
  int target = -1;    ///< index of the first step of the branch (or the step after the if)
  std::string label;  ///< "then", "elif 1", "else"
};

/// One variant of a `split` step.
struct Variant {
  std::string name;
  int basis_points = 0;  ///< share of 10,000
  bool control = false;  ///< the control group: held out, leaves the journey
  int target = -1;
};

struct WaitUntilSpec {
  std::optional<int> minute_of_day;  ///< `time: "10:00"`
  std::uint8_t weekday_mask = 0x7f;  ///< bit 0 = Sunday … bit 6 = Saturday
  ExprPtr date;                      ///< `date: data.event_date`
  DurationMs offset = 0;             ///< added to `date`
};

enum class WhenCapped { kSkip, kDefer };

/// What becomes of an enrollment's messages still waiting in the outbox (deferred by quiet
/// hours, a send window or a cap) when it exits early (exit_when, an exit step, the goal).
enum class PendingOnExit { kCancel, kSend };

/// How a journey's messages meet the delivery policy; a send step may override each field.
struct MessageRules {
  bool transactional =
      false;  ///< receipts, password resets: no marketing consent, caps, quiet hours or holdout
  std::string topic;  ///< subscription topic (consent.topics.<topic>), e.g. newsletter
  std::optional<SendWindow> send_window;
  WhenCapped when_capped = WhenCapped::kSkip;
};

/// A frequency cap on one journey's own messages: at most `max` on `channel` (empty: any) per
/// window.
struct JourneyCap {
  std::string channel;
  int max = 0;
  DurationMs window = 0;
};

/// One step, flattened: nested step lists live in Journey::steps too and steps point at each
/// other by index, so the machine never walks a tree.
struct Step {
  std::string id;
  bool id_given = false;  ///< false: derived from the position (changes when steps move)
  StepKind kind = StepKind::kExit;
  SourcePos pos;
  int next = -1;  ///< the step that follows when this one is done; -1 = end of journey

  // send
  std::string channel;
  std::string template_name;
  MessageRules rules;  ///< the journey's rules with this step's overrides
  // send (extra template data), emit (properties)
  nlohmann::json data = nlohmann::json::object();
  // wait
  DurationMs duration = 0;
  // wait_until
  WaitUntilSpec until;
  // wait_for (event), emit (event), exit (reason), goto (target id)
  std::string name;
  ExprPtr where;
  DurationMs timeout = 0;
  int on_event = -1;
  int on_timeout = -1;
  // if
  std::vector<Branch> branches;
  // split
  std::vector<Variant> variants;
  // update
  nlohmann::json set = nlohmann::json::object();
  std::vector<std::string> unset, add_tags, remove_tags;
  // goto
  int target = -1;
};

/// A compiled journey, one version (identified by the hash of its file text).
struct Journey {
  std::string id;
  std::string name;
  std::string description;
  JourneyStatus status = JourneyStatus::kActive;
  int priority = 0;    ///< when a frequency cap allows only some messages, higher wins
  MessageRules rules;  ///< defaults for the send steps
  std::vector<JourneyCap> caps;
  int control_basis_points =
      0;  ///< `control_group: 10%`: share of entrants held out of every message
  Trigger trigger;
  Entry entry;
  Goal goal;
  ExprPtr exit_when;
  OnChange on_change = OnChange::kMigrate;
  PendingOnExit pending_on_exit = PendingOnExit::kCancel;
  ExprPtr key;              ///< over `event`: one enrollment per key value; null = one per customer
  std::vector<Step> steps;  ///< steps[0] is the first step (when there is any)
  std::string file;
  SourcePos pos;  ///< of the `journey:` id
  std::uint64_t content_hash = 0;
  std::string version;  ///< content_hash as 16 hex digits

  /// Index of the step with this id, or -1.
  [[nodiscard]] int stepIndex(std::string_view id) const;
  [[nodiscard]] const Step* step(std::string_view id) const;

  std::unordered_map<std::string, int> index_by_id;
};

using JourneyPtr = std::shared_ptr<const Journey>;

/// A segment declared in a segments file: membership is a condition on the customer.
struct SegmentDefinition {
  std::string name;
  std::string description;
  ExprPtr when;
  SourcePos pos;
};

/// A custom weighted score declared in a segments file.
struct ScoreDefinition {
  std::string name;
  std::string description;
  ExprPtr value;
  SourcePos pos;
};

/// Names a journey may refer to, for validation. An empty list means "not checked".
struct JourneyCatalog {
  std::vector<std::string> templates;  ///< e.g. "newcomer/welcome"
  std::vector<std::string> channels;   ///< e.g. "email", "sms", "webhook"
  std::vector<std::string> segments;   ///< segment names for segment triggers
};

/// 64-bit FNV-1a: content hashes of journey files, split buckets. Stable across builds.
[[nodiscard]] std::uint64_t fnv1a64(std::string_view text,
                                    std::uint64_t seed = 0xcbf29ce484222325ULL);
[[nodiscard]] std::string hex64(std::uint64_t value);

/// The expression roots journey conditions may use.
[[nodiscard]] const CompileOptions& journeyExpressionOptions();
/// The roots segment and score expressions may use.
[[nodiscard]] const CompileOptions& segmentExpressionOptions();

}  // namespace journeyd
