#pragma once
/// Plain values that cross the store boundary: what the rest of journeyd reads from and writes
/// to the store, with no SQL and no behaviour. Times are epoch milliseconds (UTC).
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/channel_kind.h"
#include "daemon/core/time.h"
#include "daemon/engine/enrollment.h"

namespace journeyd {

using CustomerId = std::int64_t;

/// The identifiers a person is known by (OneID).
enum class IdentityKind { kUser, kAnonymous, kEmail, kPhone };
[[nodiscard]] const char* identityKindName(IdentityKind kind);  ///< user | anon | email | phone

/// A customer's stored profile: what the `customer` root of expressions is built from.
struct CustomerRecord {
  CustomerId id = 0;
  nlohmann::json traits = nlohmann::json::object();  ///< Segment traits
  nlohmann::json tags = nlohmann::json::array();     ///< strings
  std::string timezone;                              ///< IANA name; empty when none is known
  std::string locale;                                ///< empty when none is known
  TimeMs created_at = 0;
  std::int64_t orders_count = 0;
  std::int64_t purchase_days = 0;  ///< distinct days with an order
  double total_spent = 0;
  std::optional<TimeMs> first_order_at;
  std::optional<TimeMs> last_order_at;
  std::string user_id, email, phone;          ///< the latest identity of each kind; empty when none
  std::vector<std::string> segments;          ///< materialized memberships, sorted
  std::int64_t revision = 0;                  ///< bumped by every plan committed for the customer
  std::optional<TimeMs> segments_recheck_at;  ///< when time-based segment rules can next change
};

/// An event as stored (a Segment message, or one a journey emitted).
struct NewEvent {
  CustomerId customer_id = 0;
  std::string message_id;  ///< dedup key: a second event with it is not stored
  std::string type;        ///< track | page | screen | identify | alias | group
  std::string name;        ///< empty for identify/alias/group
  TimeMs ts = 0;           ///< when it happened
  TimeMs received_at = 0;
  std::optional<std::string> properties;  ///< JSON object text
  std::optional<std::string> context;     ///< JSON object text
};

/// What a journey's update step changes on a customer, applied to the row as it is at commit.
struct TraitUpdate {
  nlohmann::json set = nlohmann::json::object();
  std::vector<std::string> unset, add_tags, remove_tags;
};

/// Customers and events stored, for health and metrics.
struct StoreCounts {
  std::int64_t customers = 0;
  std::int64_t events = 0;
};

/// An enrollment as stored: the engine's value plus its row id and customer.
struct StoredEnrollment {
  std::int64_t id = 0;
  CustomerId customer_id = 0;
  Enrollment enrollment;
};

/// Which customers a worker owns: those with `customer_id % count == index`.
struct Partition {
  int index = 0;
  int count = 1;
  [[nodiscard]] bool owns(CustomerId id) const { return count <= 1 || id % count == index; }
};

/// Where an outbox row stands.
enum class MessageStatus { kPending, kSent, kFailed, kSkipped, kDead };
[[nodiscard]] const char* messageStatusName(
    MessageStatus status);  ///< pending | sent | failed | skipped | dead
[[nodiscard]] std::optional<MessageStatus> parseMessageStatus(std::string_view name);

/// An outbox row as a plan writes it: the message rendered once, with its policy decision.
struct NewMessage {
  std::string idempotency_key;
  CustomerId customer_id = 0;
  std::string journey_id;
  std::string step_id;
  std::int64_t enrollment_id = 0;
  std::string enrollment_key;  ///< the journey key of the enrollment (cart id, order id), if any
  std::string channel;         ///< channel name
  std::string template_name;
  std::string recipient;  ///< normalized address; empty for webhooks and missing addresses
  MessageStatus status = MessageStatus::kPending;
  std::string rendered;                   ///< JSON object text; empty when nothing was rendered
  std::optional<TimeMs> next_attempt_at;  ///< pending: when it may go
  TimeMs created_at = 0;
  std::string reason;  ///< why skipped / failed / deferred
  bool transactional = false;
  std::string topic;
};

/// A message as stored: what was decided, and what became of it.
struct StoredMessage {
  std::int64_t id = 0;
  NewMessage message;  ///< as written (status, reason and next attempt as they are now)
  std::optional<TimeMs> sent_at;
  int attempts = 0;
};

/// A message that counts against frequency caps: marketing, sent or waiting.
struct CountedMessage {
  std::int64_t id = 0;
  std::string journey_id;
  std::string step_id;
  std::string channel;
  MessageStatus status = MessageStatus::kPending;
  int attempts = 0;
  TimeMs at = 0;  ///< when it went, or is due to go
};

/// A pending outbox row read for sending, with what the claim-time policy decides on, read in
/// the same snapshot.
struct ClaimedMessage {
  std::int64_t id = 0;
  std::string idempotency_key;
  CustomerId customer_id = 0;
  std::string journey_id;
  std::string step_id;
  std::int64_t enrollment_id = 0;
  std::string enrollment_key;
  std::string channel;
  std::string template_name;
  std::string recipient;
  std::string rendered;
  int attempts = 0;
  TimeMs created_at = 0;
  TimeMs due_at = 0;  ///< when it came due: queued, the end of a deferral, or the retry time
  bool transactional = false;
  std::string topic;
  std::optional<std::string> customer_traits;  ///< JSON now; nullopt: the customer was erased
  std::string suppressed;  ///< the suppression list's reason for the recipient now
};

/// What the dispatcher says of a due row: claim it (with what the claim-time policy needs to
/// decide again, for a message to a person), pass over it (already in flight), or leave it for a
/// later read (its channel has no room now).
enum class ClaimDecision { kTake, kTakeForPerson, kPass, kLater };

/// Where a read of due outbox rows stopped (due time, then id), so the next read goes on from
/// there instead of passing again over the rows already claimed.
struct OutboxCursor {
  TimeMs at = std::numeric_limits<TimeMs>::min();
  std::int64_t id = 0;
};

/// A message taken back (displaced, withdrawn): enough to log it on the customer's story.
struct MessageRef {
  std::int64_t id = 0;
  std::string journey_id;
  std::int64_t enrollment_id = 0;
  std::string step_id;
  std::string channel;
  std::string template_name;
};

/// What a send attempt (or a decision made without one) does to an outbox row.
struct DeliveryOutcome {
  /// kWithdrawn: taken back unsent when claimed; recorded as skipped.
  enum class Status { kSent, kRetry, kFailed, kDead, kWithdrawn };
  /// message_attempts.result: what the connector said.
  enum class Attempt { kSent, kRetry, kFailed };
  std::int64_t message_id = 0;
  Status status = Status::kFailed;
  /// False when no send was tried: attempts stays and no message_attempts row is written.
  bool attempted = true;
  Attempt attempt_result = Attempt::kFailed;
  TimeMs at = 0;               ///< when the attempt ended
  TimeMs next_attempt_at = 0;  ///< with kRetry
  std::string provider_id;     ///< with kSent
  std::string reason;          ///< the row's reason (failed/dead/last retry/withdrawn)
  std::string detail;          ///< message_attempts.detail: the connector's own words
  int retries_before = 0;      ///< attempts made before this one
  /// With a hard bounce: the address to suppress (channel kind, normalized address, reason).
  struct Suppress {
    ChannelKind channel = ChannelKind::kEmail;
    std::string address;
    std::string reason;
  };
  std::optional<Suppress> suppression;
};
[[nodiscard]] const char* attemptName(DeliveryOutcome::Attempt attempt);  ///< sent | retry | failed

/// Outbox figures for health, metrics and the console.
struct OutboxStats {
  std::int64_t pending = 0;             ///< waiting rows, due or not
  std::int64_t due = 0;                 ///< pending rows due now
  std::optional<TimeMs> oldest_due_at;  ///< the longest-waiting due row's due time
  std::optional<TimeMs> next_due_at;    ///< the soonest pending row's due time (due or not)
};

/// The store's side of the operators' gauges (GET /metrics), read at one moment. Every figure
/// is found through an index: due rows through the pending outbox index, wake-ups through the
/// wake-up, schedule and re-check indexes, enrollments in flight through the partial index of
/// unfinished enrollments (one row lookup each: the costly part with millions in flight).
struct LiveFigures {
  struct ChannelBacklog {
    std::string channel;
    std::int64_t due = 0;  ///< pending rows due now (claimed ones included: not yet sent)
  };
  std::vector<ChannelBacklog> backlog;  ///< channels with rows due, by name
  std::optional<TimeMs> oldest_due_at;  ///< the longest-waiting due row's due time
  /// Wake-ups whose moment has passed, of journeys not paused: enrollment wake-ups, scheduled
  /// entries and broadcasts, segment re-checks.
  std::int64_t overdue_wakeups = 0;
  std::vector<std::pair<std::string, std::int64_t>> active_by_journey;  ///< unfinished enrollments
};

/// One line of a customer's story in a journey, for `journeyd explain`.
struct JourneyLogLine {
  CustomerId customer_id = 0;
  std::string journey_id;
  std::int64_t enrollment_id = 0;  ///< 0: before any enrollment (entry checks)
  TimeMs at = 0;
  std::string step_id;
  std::string text;
  std::int64_t id = 0;  ///< set when read back
};

/// How several lines of one transition are kept in one journey-log row.
[[nodiscard]] std::string encodeLogLines(const std::vector<JourneyLogLine>& lines);

/// An address not to message on a channel kind.
struct SuppressionRecord {
  ChannelKind channel = ChannelKind::kEmail;
  std::string address;  ///< normalized
  std::string reason;
  TimeMs at = 0;
};

/// A time-triggered entry: a customer's next date-attribute moment, or with customer 0 a
/// journey's next cron broadcast (cursor: the last customer id streamed).
struct ScheduledEntry {
  std::string journey_id;
  CustomerId customer_id = 0;
  TimeMs due_at = 0;
  CustomerId cursor = 0;
};

/// A unit of journey work waiting in the durable inbox: written with the data that caused it,
/// removed with the plan that handled it.
enum class WorkKind {
  kMessage,    ///< an ingested message (track, page, identify, …) or a consent change
  kBroadcast,  ///< a cron broadcast reached this customer
};
[[nodiscard]] const char* workKindName(WorkKind kind);
struct WorkItem {
  std::int64_t id = 0;
  CustomerId customer_id = 0;
  WorkKind kind = WorkKind::kMessage;
  nlohmann::json payload = nlohmann::json::object();
  TimeMs created_at = 0;
};

}  // namespace journeyd
