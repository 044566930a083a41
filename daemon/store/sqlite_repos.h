#pragma once
/// The SQLite implementation of the store's repositories, each over one connection (the
/// writer's, or a pooled read-only one). Internal to daemon/store/: the rest of journeyd sees
/// only the interfaces in store.h. Every method may throw SQLite::Exception or StoreError; the
/// Store turns them into Errors naming the operation.
#include "daemon/store/database.h"
#include "daemon/store/store.h"

namespace journeyd {

class SqliteCustomers final : public CustomerRepo {
 public:
  explicit SqliteCustomers(Database& db) : db_(db) {}
  std::optional<CustomerRecord> load(CustomerId id) const override;
  bool exists(CustomerId id) const override;
  CustomerId findByIdentity(IdentityKind kind, const std::string& value) const override;
  bool hasIdentity(CustomerId id, IdentityKind kind, const std::string& value) const override;
  std::string latestIdentity(CustomerId id, IdentityKind kind) const override;
  std::optional<CustomerId> eventOwner(const std::string& message_id) const override;
  bool eventIdWithPrefix(const std::string& prefix) const override;
  std::int64_t countEvents(CustomerId id, std::string_view name, TimeMs from,
                           TimeMs to) const override;
  double sumEvents(CustomerId id, std::string_view name, std::string_view property, TimeMs from,
                   TimeMs to) const override;
  std::optional<TimeMs> earliestEvent(CustomerId id, std::string_view name, TimeMs from,
                                      TimeMs to) const override;
  std::vector<CustomerId> idsAfter(CustomerId after, int limit) const override;
  std::optional<nlohmann::json> profile(CustomerId id, int recent_events) const override;
  StoreCounts counts() const override;

  CustomerId create(TimeMs now, CustomerId id) override;
  void importOrderFacts(CustomerId id, std::int64_t orders_count, double total_spent,
                        std::optional<TimeMs> first_order_at, std::optional<TimeMs> last_order_at,
                        std::int64_t purchase_days) override;
  void attachIdentity(CustomerId id, IdentityKind kind, const std::string& value,
                      TimeMs now) override;
  void merge(CustomerId from, CustomerId into, TimeMs now) override;
  bool insertEvent(const NewEvent& event) override;
  void patchProfile(CustomerId id, const nlohmann::json& traits, const std::string& timezone,
                    const std::string& locale, TimeMs now) override;
  void recordOrder(CustomerId id, double revenue, TimeMs at, TimeMs now) override;
  void applyUpdate(CustomerId id, const TraitUpdate& update, TimeMs now) override;
  bool erase(CustomerId id) override;
  bool claimRevision(CustomerId id, std::int64_t expected) override;
  std::int64_t revision(CustomerId id) const override;

 private:
  Database& db_;
};

class SqliteEnrollments final : public EnrollmentRepo {
 public:
  explicit SqliteEnrollments(Database& db) : db_(db) {}
  std::vector<StoredEnrollment> listening(CustomerId id) const override;
  bool anyListening(CustomerId id) const override;
  std::vector<PastEnrollment> history(CustomerId id, const std::string& journey_id) const override;
  std::vector<StoredEnrollment> due(TimeMs now, Partition part, int limit) const override;
  std::optional<TimeMs> nextWake(Partition part) const override;
  std::vector<StoredEnrollment> onOtherVersion(const std::string& journey_id,
                                               const std::string& version) const override;
  std::vector<StoredEnrollment> ofCustomer(CustomerId id) const override;
  std::vector<std::string> journeyIds() const override;
  std::int64_t insert(CustomerId id, const Enrollment& e, const std::string& state_json) override;
  void update(std::int64_t enrollment_id, const Enrollment& e,
              const std::string& state_json) override;
  void remove(std::int64_t enrollment_id) override;

 private:
  Database& db_;
};

class SqliteOutbox final : public OutboxRepo {
 public:
  explicit SqliteOutbox(Database& db) : db_(db) {}
  std::vector<CountedMessage> counted(CustomerId id, TimeMs since) const override;
  std::vector<ClaimedMessage> due(
      TimeMs now, OutboxCursor& cursor, int scan_limit, int max_rows,
      const std::function<ClaimDecision(std::int64_t, std::string_view)>& decide) const override;
  OutboxStats stats(TimeMs now) const override;
  std::vector<StoredMessage> ofCustomer(CustomerId id, int limit) const override;
  std::int64_t insert(const NewMessage& m) override;
  std::optional<MessageRef> displace(std::int64_t id, const std::string& reason,
                                     TimeMs not_claimable_before) override;
  std::vector<MessageRef> withdrawPending(CustomerId customer, std::int64_t enrollment_id,
                                          const std::string& reason) override;
  void recordOutcomes(const std::vector<DeliveryOutcome>& outcomes) override;

 private:
  Database& db_;
};

class SqliteSuppressions final : public SuppressionRepo {
 public:
  explicit SqliteSuppressions(Database& db) : db_(db) {}
  std::optional<std::string> reason(ChannelKind channel, const std::string& address) const override;
  std::vector<SuppressionRecord> list(int limit) const override;
  void add(const SuppressionRecord& s, bool replace) override;
  bool remove(ChannelKind channel, const std::string& address) override;

 private:
  Database& db_;
};

class SqliteJourneyLog final : public JourneyLogRepo {
 public:
  explicit SqliteJourneyLog(Database& db) : db_(db) {}
  std::vector<JourneyLogLine> lines(CustomerId id, const std::string& journey_id,
                                    int limit) const override;
  void append(const JourneyLogLine& line) override;
  void append(const std::vector<JourneyLogLine>& lines, const std::string& encoded) override;
  int prune(TimeMs before, int limit) override;

 private:
  Database& db_;
};

class SqliteSchedules final : public ScheduleRepo {
 public:
  explicit SqliteSchedules(Database& db) : db_(db) {}
  std::vector<ScheduledEntry> due(TimeMs now, Partition part, int limit) const override;
  std::optional<TimeMs> nextDue() const override;
  void put(const ScheduledEntry& e) override;
  void putIfAbsent(const ScheduledEntry& e) override;
  void remove(const std::string& journey_id, CustomerId customer_id) override;

 private:
  Database& db_;
};

class SqliteJourneyState final : public JourneyStateRepo {
 public:
  explicit SqliteJourneyState(Database& db) : db_(db) {}
  std::set<std::string> paused() const override;
  std::optional<std::pair<std::string, std::string>> version(
      const std::string& journey_id, const std::string& version) const override;
  std::optional<std::string> setting(const std::string& name) const override;
  void setPaused(const std::string& journey_id, bool paused, TimeMs now) override;
  void recordVersion(const std::string& journey_id, const std::string& version,
                     const std::string& file, const std::string& source, TimeMs now) override;
  void putSetting(const std::string& name, const std::string& value) override;

 private:
  Database& db_;
};

class SqliteModels final : public ModelRepo {
 public:
  explicit SqliteModels(Database& db) : db_(db) {}
  std::optional<std::pair<nlohmann::json, TimeMs>> load(const std::string& name) const override;
  void forEachOrder(const std::vector<std::string>& events,
                    const std::vector<std::string>& revenue_properties, TimeMs as_of,
                    const std::function<void(CustomerId, TimeMs, double)>& fn) const override;
  void save(const std::string& name, const nlohmann::json& params, TimeMs fitted_at) override;

 private:
  Database& db_;
};

class SqliteSegments final : public SegmentRepo {
 public:
  explicit SqliteSegments(Database& db) : db_(db) {}
  std::vector<CustomerId> dueRechecks(TimeMs now, Partition part, int limit) const override;
  std::optional<TimeMs> nextRecheck() const override;
  nlohmann::json report() const override;
  void change(CustomerId id, const std::string& segment, bool entered, TimeMs at) override;
  void setRecheck(CustomerId id, std::optional<TimeMs> at) override;

 private:
  Database& db_;
};

class SqliteInbox final : public InboxRepo {
 public:
  explicit SqliteInbox(Database& db) : db_(db) {}
  std::vector<WorkItem> oldest(Partition part, int limit) const override;
  std::int64_t backlog() const override;
  void push(CustomerId id, WorkKind kind, const nlohmann::json& payload, TimeMs now) override;
  void remove(const std::vector<std::int64_t>& ids) override;

 private:
  Database& db_;
};

class SqliteReports final : public ReportRepo {
 public:
  explicit SqliteReports(Database& db) : db_(db) {}
  nlohmann::json journey(const std::string& journey_id) const override;
  nlohmann::json enrollmentCounts(const std::string& journey_id) const override;
  nlohmann::json customerJourneys(CustomerId id, int recent_messages) const override;
  std::vector<JourneyLogLine> messageOutcomes(CustomerId id, const std::string& journey_id,
                                              int limit) const override;
  LiveFigures liveFigures(TimeMs now) const override;

 private:
  Database& db_;
};

/// Every repository over one connection: a Tx on the writer's, a Snapshot on a reader's.
class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Database& db)
      : db_(db),
        customers_(db),
        enrollments_(db),
        outbox_(db),
        suppressions_(db),
        journey_log_(db),
        schedules_(db),
        journey_state_(db),
        models_(db),
        segments_(db),
        inbox_(db),
        reports_(db) {}

  const CustomerRepo& customers() const override { return customers_; }
  const EnrollmentRepo& enrollments() const override { return enrollments_; }
  const OutboxRepo& outbox() const override { return outbox_; }
  const SuppressionRepo& suppressions() const override { return suppressions_; }
  const JourneyLogRepo& journeyLog() const override { return journey_log_; }
  const ScheduleRepo& schedules() const override { return schedules_; }
  const JourneyStateRepo& journeyState() const override { return journey_state_; }
  const ModelRepo& models() const override { return models_; }
  const SegmentRepo& segments() const override { return segments_; }
  const InboxRepo& inbox() const override { return inbox_; }
  const ReportRepo& reports() const override { return reports_; }
  CustomerRepo& customers() override { return customers_; }
  EnrollmentRepo& enrollments() override { return enrollments_; }
  OutboxRepo& outbox() override { return outbox_; }
  SuppressionRepo& suppressions() override { return suppressions_; }
  JourneyLogRepo& journeyLog() override { return journey_log_; }
  ScheduleRepo& schedules() override { return schedules_; }
  JourneyStateRepo& journeyState() override { return journey_state_; }
  ModelRepo& models() override { return models_; }
  SegmentRepo& segments() override { return segments_; }
  InboxRepo& inbox() override { return inbox_; }

  Database& database() { return db_; }

 private:
  Database& db_;
  SqliteCustomers customers_;
  SqliteEnrollments enrollments_;
  SqliteOutbox outbox_;
  SqliteSuppressions suppressions_;
  SqliteJourneyLog journey_log_;
  SqliteSchedules schedules_;
  SqliteJourneyState journey_state_;
  SqliteModels models_;
  SqliteSegments segments_;
  SqliteInbox inbox_;
  SqliteReports reports_;
};

}  // namespace journeyd
