#pragma once
/// The store boundary. Everything journeyd keeps — customers, events, enrollments, the outbox,
/// suppressions, the journey log, schedules, journey state, models, segments, the work inbox —
/// is read and written through the narrow interfaces below; only daemon/store/ knows SQL.
///
/// Operations are claims, batches and leases, not SQL idioms, so that a second implementation
/// (PostgreSQL, several nodes) is a second implementation and not a rewrite:
/// - reads happen on a `Snapshot` (one consistent read transaction), writes in a `Tx` (one job of
///   the group commit; its reads see its own writes);
/// - a `Store` runs write jobs in group commits (each job all or nothing) and lends snapshots.
///
/// Thread-safety: a Snapshot or Tx belongs to the thread that holds it; the Store may be used
/// from any thread. Errors inside a job are thrown by the implementation as StoreError and turned
/// into an Error naming the failed operation before they reach the caller (see Store::submit).
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/core/histogram.h"
#include "daemon/core/result.h"
#include "daemon/engine/entry.h"
#include "daemon/store/records.h"

namespace journeyd {

/// Customers (profiles, identities, events, order facts).
class CustomerRepo {
 public:
  virtual ~CustomerRepo() = default;
  [[nodiscard]] virtual std::optional<CustomerRecord> load(CustomerId id) const = 0;
  [[nodiscard]] virtual bool exists(CustomerId id) const = 0;
  /// The customer an identity belongs to; 0 when unknown.
  [[nodiscard]] virtual CustomerId findByIdentity(IdentityKind kind,
                                                  const std::string& value) const = 0;
  /// Whether the customer has an identity of `kind` (with this `value` when it is not empty).
  [[nodiscard]] virtual bool hasIdentity(CustomerId id, IdentityKind kind,
                                         const std::string& value = {}) const = 0;
  /// The customer's most recently added identity of `kind`; empty when none.
  [[nodiscard]] virtual std::string latestIdentity(CustomerId id, IdentityKind kind) const = 0;
  /// The customer an event with this message id was stored for.
  [[nodiscard]] virtual std::optional<CustomerId> eventOwner(
      const std::string& message_id) const = 0;
  /// Whether some stored event's message id starts with `prefix`.
  [[nodiscard]] virtual bool eventIdWithPrefix(const std::string& prefix) const = 0;
  /// Events named `name` with from <= ts <= to: how many, the total of a numeric property, the
  /// earliest.
  [[nodiscard]] virtual std::int64_t countEvents(CustomerId id, std::string_view name, TimeMs from,
                                                 TimeMs to) const = 0;
  [[nodiscard]] virtual double sumEvents(CustomerId id, std::string_view name,
                                         std::string_view property, TimeMs from,
                                         TimeMs to) const = 0;
  [[nodiscard]] virtual std::optional<TimeMs> earliestEvent(CustomerId id, std::string_view name,
                                                            TimeMs from, TimeMs to) const = 0;
  /// Customer ids greater than `after`, ascending, at most `limit`.
  [[nodiscard]] virtual std::vector<CustomerId> idsAfter(CustomerId after, int limit) const = 0;
  /// The admin profile: identities, traits, timezone/locale, order facts, the newest events.
  [[nodiscard]] virtual std::optional<nlohmann::json> profile(CustomerId id,
                                                              int recent_events) const = 0;
  [[nodiscard]] virtual StoreCounts counts() const = 0;

  /// A new customer: the next free id, or `id` when given (a scratch store seeded from a file).
  virtual CustomerId create(TimeMs now, CustomerId id = 0) = 0;
  /// Ties an identity to the customer (moving it when another customer had it).
  virtual void attachIdentity(CustomerId id, IdentityKind kind, const std::string& value,
                              TimeMs now) = 0;
  /// Moves everything of `from` into `into` (the survivor's own traits win) and deletes `from`.
  virtual void merge(CustomerId from, CustomerId into, TimeMs now) = 0;
  /// False when an event with its message id is already stored (nothing written).
  virtual bool insertEvent(const NewEvent& event) = 0;
  /// Merges `traits` (JSON merge patch) into the traits; sets timezone/locale when not empty.
  virtual void patchProfile(CustomerId id, const nlohmann::json& traits,
                            const std::string& timezone, const std::string& locale, TimeMs now) = 0;
  /// Counts an order: orders, revenue, distinct purchase days, first/last order times.
  virtual void recordOrder(CustomerId id, double revenue, TimeMs at, TimeMs now) = 0;
  /// Sets the order facts as given (a customer imported with their history summarized).
  virtual void importOrderFacts(CustomerId id, std::int64_t orders_count, double total_spent,
                                std::optional<TimeMs> first_order_at,
                                std::optional<TimeMs> last_order_at,
                                std::int64_t purchase_days) = 0;
  /// A journey's update step, applied to the traits and tags as they are now.
  virtual void applyUpdate(CustomerId id, const TraitUpdate& update, TimeMs now) = 0;
  /// Erases everything about the person (profile, identities, events, messages, enrollments,
  /// journey log, segments, schedules); the suppression list stays. False when unknown.
  virtual bool erase(CustomerId id) = 0;
  /// Optimistic concurrency for plans: bumps the customer's plan revision when it is still
  /// `expected`; false (nothing changed) when another plan got there first or the customer is gone.
  virtual bool claimRevision(CustomerId id, std::int64_t expected) = 0;
  [[nodiscard]] virtual std::int64_t revision(CustomerId id) const = 0;
};

/// Enrollments: customers' passages through journeys.
class EnrollmentRepo {
 public:
  virtual ~EnrollmentRepo() = default;
  /// The customer's enrollments still interested in their events and changes, oldest first.
  [[nodiscard]] virtual std::vector<StoredEnrollment> listening(CustomerId id) const = 0;
  [[nodiscard]] virtual bool anyListening(CustomerId id) const = 0;
  /// Every enrollment of the customer in the journey (any version), for re-entry rules.
  [[nodiscard]] virtual std::vector<PastEnrollment> history(
      CustomerId id, const std::string& journey_id) const = 0;
  /// Enrollments of `part` whose wake-up is due at `now`, of journeys not paused, oldest due first.
  [[nodiscard]] virtual std::vector<StoredEnrollment> due(TimeMs now, Partition part,
                                                          int limit) const = 0;
  /// The earliest wake-up of `part` in a journey not paused.
  [[nodiscard]] virtual std::optional<TimeMs> nextWake(Partition part) const = 0;
  /// Unfinished enrollments of the journey on a version other than `version`.
  [[nodiscard]] virtual std::vector<StoredEnrollment> onOtherVersion(
      const std::string& journey_id, const std::string& version) const = 0;
  /// Every enrollment of the customer, oldest first.
  [[nodiscard]] virtual std::vector<StoredEnrollment> ofCustomer(CustomerId id) const = 0;
  /// Journey ids with any enrollment.
  [[nodiscard]] virtual std::vector<std::string> journeyIds() const = 0;

  /// `state_json`: the enrollment already encoded (Enrollment::toJson().dump()), when the caller
  /// did it off the writer; empty: encoded here.
  virtual std::int64_t insert(CustomerId id, const Enrollment& e,
                              const std::string& state_json = {}) = 0;
  virtual void update(std::int64_t enrollment_id, const Enrollment& e,
                      const std::string& state_json = {}) = 0;
  virtual void remove(std::int64_t enrollment_id) = 0;
};

/// The outbox: messages decided, waiting, sent.
class OutboxRepo {
 public:
  virtual ~OutboxRepo() = default;
  /// The customer's marketing messages sent or waiting whose moment is after `since`.
  [[nodiscard]] virtual std::vector<CountedMessage> counted(CustomerId id, TimeMs since) const = 0;
  /// Pending rows due at `now`, oldest first, after `cursor` (where the previous read stopped;
  /// a default cursor starts at the oldest), looking at no more than `scan_limit` rows;
  /// `decide(id, channel)` says what to do with each. At most `max_rows` claimed. Moves the
  /// cursor past the rows claimed or passed over, never past one left for later.
  [[nodiscard]] virtual std::vector<ClaimedMessage> due(
      TimeMs now, OutboxCursor& cursor, int scan_limit, int max_rows,
      const std::function<ClaimDecision(std::int64_t id, std::string_view channel)>& decide)
      const = 0;
  [[nodiscard]] virtual OutboxStats stats(TimeMs now) const = 0;
  /// The customer's messages, oldest first (at most `limit`), as stored.
  [[nodiscard]] virtual std::vector<StoredMessage> ofCustomer(CustomerId id, int limit) const = 0;

  /// Stores a new message; its id.
  virtual std::int64_t insert(const NewMessage& m) = 0;
  /// Takes back a waiting message for a higher-priority one: only while it is still pending,
  /// never attempted and due after `not_claimable_before` (so the dispatcher cannot have it).
  virtual std::optional<MessageRef> displace(std::int64_t id, const std::string& reason,
                                             TimeMs not_claimable_before) = 0;
  /// Takes back every pending message of a customer's enrollment (recorded as skipped with
  /// `reason`).
  virtual std::vector<MessageRef> withdrawPending(CustomerId customer, std::int64_t enrollment_id,
                                                  const std::string& reason) = 0;
  /// Records send outcomes in one go: statuses, attempts, suppressions from hard bounces. Only
  /// pending rows change (and a sent message taken back while in flight is recorded as sent).
  virtual void recordOutcomes(const std::vector<DeliveryOutcome>& outcomes) = 0;
};

/// Addresses not to message on a channel kind.
class SuppressionRepo {
 public:
  virtual ~SuppressionRepo() = default;
  /// The reason the address is suppressed; nullopt when it is not.
  [[nodiscard]] virtual std::optional<std::string> reason(ChannelKind channel,
                                                          const std::string& address) const = 0;
  [[nodiscard]] virtual std::vector<SuppressionRecord> list(int limit) const = 0;
  /// Adds the address; with `replace` a listed address takes the new reason, else it keeps its
  /// first.
  virtual void add(const SuppressionRecord& s, bool replace) = 0;
  /// Lifts it; false when it was not listed.
  virtual bool remove(ChannelKind channel, const std::string& address) = 0;
};

/// The per-customer journey log `explain` reads.
class JourneyLogRepo {
 public:
  virtual ~JourneyLogRepo() = default;
  /// The newest `limit` lines of the customer (in one journey, or all when empty), newest first.
  [[nodiscard]] virtual std::vector<JourneyLogLine> lines(CustomerId id,
                                                          const std::string& journey_id,
                                                          int limit) const = 0;
  virtual void append(const JourneyLogLine& line) = 0;
  /// Lines of one customer, journey and enrollment told at once (a transition), kept together;
  /// `encoded`: encodeLogLines(lines), made by the caller off the writer.
  virtual void append(const std::vector<JourneyLogLine>& lines, const std::string& encoded) = 0;
  /// Deletes up to `limit` lines older than `before`; how many.
  virtual int prune(TimeMs before, int limit) = 0;
};

/// Time-triggered entries (date attributes, cron broadcasts).
class ScheduleRepo {
 public:
  virtual ~ScheduleRepo() = default;
  /// Entries of `part` due at `now` of journeys not paused, soonest first (broadcasts, customer 0,
  /// belong to the partition with index 0).
  [[nodiscard]] virtual std::vector<ScheduledEntry> due(TimeMs now, Partition part,
                                                        int limit) const = 0;
  [[nodiscard]] virtual std::optional<TimeMs> nextDue() const = 0;
  /// Sets the entry's due time (and cursor), creating it when absent.
  virtual void put(const ScheduledEntry& e) = 0;
  /// Creates the entry unless one exists (a broadcast already planned or half streamed stays).
  virtual void putIfAbsent(const ScheduledEntry& e) = 0;
  virtual void remove(const std::string& journey_id, CustomerId customer_id) = 0;
};

/// Operator state of journeys, their versions, and values generated once and kept.
class JourneyStateRepo {
 public:
  virtual ~JourneyStateRepo() = default;
  [[nodiscard]] virtual std::set<std::string> paused() const = 0;
  /// The file and source text of a journey version the daemon ran.
  [[nodiscard]] virtual std::optional<std::pair<std::string, std::string>> version(
      const std::string& journey_id, const std::string& version) const = 0;
  [[nodiscard]] virtual std::optional<std::string> setting(const std::string& name) const = 0;

  virtual void setPaused(const std::string& journey_id, bool paused, TimeMs now) = 0;
  virtual void recordVersion(const std::string& journey_id, const std::string& version,
                             const std::string& file, const std::string& source, TimeMs now) = 0;
  virtual void putSetting(const std::string& name, const std::string& value) = 0;
};

/// Fitted customer-value models, and the order history they are fitted on.
class ModelRepo {
 public:
  virtual ~ModelRepo() = default;
  /// The parameters stored under `name` and when they were fitted.
  [[nodiscard]] virtual std::optional<std::pair<nlohmann::json, TimeMs>> load(
      const std::string& name) const = 0;
  /// Calls `fn(customer, ts, revenue)` for every order event (named in `events`) with ts <= as_of,
  /// by customer then time; `revenue_properties` are tried in order.
  virtual void forEachOrder(const std::vector<std::string>& events,
                            const std::vector<std::string>& revenue_properties, TimeMs as_of,
                            const std::function<void(CustomerId, TimeMs, double)>& fn) const = 0;
  virtual void save(const std::string& name, const nlohmann::json& params, TimeMs fitted_at) = 0;
};

/// Materialized segment membership and when to re-check it.
class SegmentRepo {
 public:
  virtual ~SegmentRepo() = default;
  /// Customers of `part` whose time-based segment rules are due at `now`.
  [[nodiscard]] virtual std::vector<CustomerId> dueRechecks(TimeMs now, Partition part,
                                                            int limit) const = 0;
  [[nodiscard]] virtual std::optional<TimeMs> nextRecheck() const = 0;
  /// Sizes, entries/exits and moves between segments.
  [[nodiscard]] virtual nlohmann::json report() const = 0;

  /// Enters or leaves a segment (with its history line).
  virtual void change(CustomerId id, const std::string& segment, bool entered, TimeMs at) = 0;
  virtual void setRecheck(CustomerId id, std::optional<TimeMs> at) = 0;
};

/// The durable inbox of journey work: written in the same transaction as the data that caused
/// it, removed in the transaction of the plan that handled it.
class InboxRepo {
 public:
  virtual ~InboxRepo() = default;
  /// The oldest items of `part`, in the order they were pushed.
  [[nodiscard]] virtual std::vector<WorkItem> oldest(Partition part, int limit) const = 0;
  [[nodiscard]] virtual std::int64_t backlog() const = 0;

  virtual void push(CustomerId id, WorkKind kind, const nlohmann::json& payload, TimeMs now) = 0;
  virtual void remove(const std::vector<std::int64_t>& ids) = 0;
};

/// Read models for reports and the admin API.
class ReportRepo {
 public:
  virtual ~ReportRepo() = default;
  /// Funnel, exits, messages per step with reasons, variants (see `journeyd report`).
  [[nodiscard]] virtual nlohmann::json journey(const std::string& journey_id) const = 0;
  /// Enrollment counts by status, for the journey list.
  [[nodiscard]] virtual nlohmann::json enrollmentCounts(const std::string& journey_id) const = 0;
  /// The customer's enrollments, newest messages and segments.
  [[nodiscard]] virtual nlohmann::json customerJourneys(CustomerId id,
                                                        int recent_messages) const = 0;
  /// What the outbox did with the customer's messages, for explain: one line per message.
  [[nodiscard]] virtual std::vector<JourneyLogLine> messageOutcomes(CustomerId id,
                                                                    const std::string& journey_id,
                                                                    int limit) const = 0;
  /// The figures behind the outbox, wake-up and enrollment gauges at `now`. Costs a walk over
  /// the due rows and the enrollments in flight: callers cache it for seconds.
  [[nodiscard]] virtual LiveFigures liveFigures(TimeMs now) const = 0;
};

/// A consistent read-only view of the store.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  [[nodiscard]] virtual const CustomerRepo& customers() const = 0;
  [[nodiscard]] virtual const EnrollmentRepo& enrollments() const = 0;
  [[nodiscard]] virtual const OutboxRepo& outbox() const = 0;
  [[nodiscard]] virtual const SuppressionRepo& suppressions() const = 0;
  [[nodiscard]] virtual const JourneyLogRepo& journeyLog() const = 0;
  [[nodiscard]] virtual const ScheduleRepo& schedules() const = 0;
  [[nodiscard]] virtual const JourneyStateRepo& journeyState() const = 0;
  [[nodiscard]] virtual const ModelRepo& models() const = 0;
  [[nodiscard]] virtual const SegmentRepo& segments() const = 0;
  [[nodiscard]] virtual const InboxRepo& inbox() const = 0;
  [[nodiscard]] virtual const ReportRepo& reports() const = 0;
};

/// One write transaction: a job of the group commit. Its reads see its own writes.
class Tx : public Snapshot {
 public:
  using Snapshot::customers;
  using Snapshot::enrollments;
  using Snapshot::inbox;
  using Snapshot::journeyLog;
  using Snapshot::journeyState;
  using Snapshot::models;
  using Snapshot::outbox;
  using Snapshot::schedules;
  using Snapshot::segments;
  using Snapshot::suppressions;
  [[nodiscard]] virtual CustomerRepo& customers() = 0;
  [[nodiscard]] virtual EnrollmentRepo& enrollments() = 0;
  [[nodiscard]] virtual OutboxRepo& outbox() = 0;
  [[nodiscard]] virtual SuppressionRepo& suppressions() = 0;
  [[nodiscard]] virtual JourneyLogRepo& journeyLog() = 0;
  [[nodiscard]] virtual ScheduleRepo& schedules() = 0;
  [[nodiscard]] virtual JourneyStateRepo& journeyState() = 0;
  [[nodiscard]] virtual ModelRepo& models() = 0;
  [[nodiscard]] virtual SegmentRepo& segments() = 0;
  [[nodiscard]] virtual InboxRepo& inbox() = 0;
};

/// What an implementation throws inside a job or a read for a failed operation; the Store turns
/// it into an Error (retryable: the store could not do it now) naming the operation.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A snapshot on loan; the read transaction ends when the lease goes.
class SnapshotLease {
 public:
  SnapshotLease() = default;
  SnapshotLease(std::unique_ptr<Snapshot> snapshot,
                std::function<void(std::unique_ptr<Snapshot>)> give_back)
      : snapshot_(std::move(snapshot)), give_back_(std::move(give_back)) {}
  SnapshotLease(SnapshotLease&&) = default;
  SnapshotLease& operator=(SnapshotLease&& other) {
    release();
    snapshot_ = std::move(other.snapshot_);
    give_back_ = std::move(other.give_back_);
    return *this;
  }
  ~SnapshotLease() { release(); }
  const Snapshot& operator*() const { return *snapshot_; }
  const Snapshot* operator->() const { return snapshot_.get(); }
  void release() {
    if (snapshot_ && give_back_) give_back_(std::move(snapshot_));
    snapshot_.reset();
  }

 private:
  std::unique_ptr<Snapshot> snapshot_;
  std::function<void(std::unique_ptr<Snapshot>)> give_back_;
};

/// The whole store: group-committed writes and pooled snapshots.
class Store {
 public:
  using Job = std::function<Result<void>(Tx&)>;
  virtual ~Store() = default;

  /// Whether someone waits on the job to answer a request (ingestion, the API, recording what
  /// was sent): such jobs go before background work (planner batches) and commit on their own.
  enum class Priority { kBackground, kUrgent };

  /// Queues a write job; the future holds its result after its transaction committed (a job
  /// that fails is rolled back alone). After stop(), fails at once.
  virtual std::future<Result<void>> submit(Job job, Priority priority = Priority::kUrgent) = 0;
  /// submit() and wait.
  Result<void> write(Job job, Priority priority = Priority::kUrgent) {
    return submit(std::move(job), priority).get();
  }
  /// A snapshot of the last committed state.
  [[nodiscard]] virtual Result<SnapshotLease> read() = 0;
  /// Runs `fn` on a snapshot; store errors inside become an Error naming `operation`.
  template <typename Fn>
  auto withSnapshot(const char* operation, Fn&& fn)
      -> decltype(fn(std::declval<const Snapshot&>()));

  /// Finishes every queued job and stops writing. Idempotent.
  virtual void stop() = 0;
  /// Write transactions and jobs committed since start (for metrics).
  [[nodiscard]] virtual std::uint64_t transactions() const = 0;
  [[nodiscard]] virtual std::uint64_t jobsCommitted() const = 0;
  /// How long each write transaction (group commit) took, in seconds.
  [[nodiscard]] virtual HistogramSnapshot commitSeconds() const = 0;
  /// What backs it, for logs: e.g. "sqlite:/var/lib/journeyd/journeyd.db".
  [[nodiscard]] virtual std::string describe() const = 0;
  /// Empty while writes succeed; otherwise why they fail ("disk full: …", "I/O error: …") until
  /// one succeeds again. Readiness reports it; planners and the dispatcher pause while it is set.
  [[nodiscard]] virtual std::string writeProblem() const = 0;
};

/// Runs `fn` and turns a StoreError (or any std::exception) into a retryable Error naming
/// `operation`: the one place exceptions from the store stop.
template <typename Fn>
auto guardStore(const char* operation, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return fail(Error::unavailable(std::string(operation) + ": " + e.what()));
  }
}

template <typename Fn>
auto Store::withSnapshot(const char* operation, Fn&& fn)
    -> decltype(fn(std::declval<const Snapshot&>())) {
  auto lease = read();
  if (!lease) return fail(lease.error());
  return guardStore(operation, [&] { return fn(**lease); });
}

}  // namespace journeyd
