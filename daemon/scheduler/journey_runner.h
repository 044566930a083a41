#pragma once
/// Runs the pure engine against the store. Every method runs inside a writer job (the writer
/// thread's connection and transaction), so a customer's state change, their enrollment's new
/// state and the messages it causes commit together.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "daemon/config/config.h"
#include "daemon/core/clock.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/engine/entry.h"
#include "daemon/delivery/policy.h"
#include "daemon/delivery/unsubscribe.h"
#include "daemon/engine/step_machine.h"
#include "daemon/intelligence/customer_values.h"
#include "daemon/scheduler/catalog.h"
#include "daemon/store/database.h"

namespace journeyd {

class StoreCustomerView;

/// Counters for /metrics and logs.
struct RunnerMetrics {
  std::atomic<std::uint64_t> entered{0}, advanced{0}, messages_queued{0}, messages_skipped{0},
      converted{0}, exited{0}, completed{0}, segment_entries{0}, segment_exits{0};
};

class JourneyRunner {
 public:
  JourneyRunner() = default;

  void setCatalog(CatalogPtr catalog);
  [[nodiscard]] CatalogPtr catalog() const;

  /// Signs the unsubscribe link every email and SMS carries (null: no links).
  void setUnsubscribe(std::shared_ptr<const UnsubscribeSigner> signer) { unsubscribe_ = std::move(signer); }

  /// Holdout and quiet hours (set before serving, read-only after).
  void setPolicy(const PolicySettings& policy) { policy_ = policy; }

  /// The fitted customer-value models applied to every customer the journeys look at.
  void setModels(std::shared_ptr<const StoredModels> models);
  [[nodiscard]] std::shared_ptr<const StoredModels> models() const;

  /// After an inbound message was applied: moves this customer's enrollments on (goal, exit_when,
  /// wait_for) and starts the journeys the message triggers.
  Result<void> onMessage(Database& db, const AppliedMessage& applied, const InboundMessage& message);

  /// Enrolls a customer through the API trigger; returns the enrollment row id.
  Result<std::int64_t> enroll(Database& db, const std::string& journey_id, std::int64_t customer_id,
                              const nlohmann::json& data, TimeMs now);

  /// Advances up to `limit` enrollments whose wake-up is due at `now`; returns how many.
  Result<int> wakeDue(Database& db, TimeMs now, int limit);

  /// Re-evaluates the segments of customers whose time-based segment rules are due; returns how
  /// many customers were re-evaluated.
  Result<int> recheckSegmentsDue(Database& db, TimeMs now, int limit);

  /// Runs due time-triggered entries (date attributes, cron broadcasts in batches of `limit`).
  Result<int> runScheduledEntries(Database& db, TimeMs now, int limit);

  /// Plans the date-attribute entries of customers with id > `after_id` (up to `limit`) and every
  /// broadcast's next run; returns the last customer id seen (0 when done). For start-up and reload.
  Result<std::int64_t> planScheduledEntries(Database& db, TimeMs now, std::int64_t after_id, int limit);

  /// One line of the customer's journey log (what `explain` prints).
  static void log(Database& db, std::int64_t customer_id, const std::string& journey_id, std::int64_t enrollment_id,
                  TimeMs at, const std::string& step_id, const std::string& text);

  /// Deletes up to `limit` journey log lines older than `before`; returns how many.
  static Result<int> pruneJourneyLog(Database& db, TimeMs before, int limit);

  /// The earliest pending wake-up of a journey that is not paused, or segment re-check.
  Result<std::optional<TimeMs>> nextWake(Database& db);

  /// Moves customers in flight onto the current versions per each journey's on_change, and logs
  /// per changed journey how many customers sit on each step and what happens to them.
  Result<void> migrateInFlight(Database& db, TimeMs now);

  /// Records the catalog's journey versions (source text) so older versions can be reloaded.
  Result<void> recordVersions(Database& db, TimeMs now, const std::map<std::string, std::string>& sources);

  RunnerMetrics& metrics() { return metrics_; }

 private:
  struct Row;
  Result<void> evaluateSegments(Database& db, StoreCustomerView& view, TimeMs now);
  void planDateEntries(Database& db, StoreCustomerView& view, TimeMs after);
  Result<void> advanceRow(Database& db, const Row& row, const Input& input, StoreCustomerView& view);
  Result<void> tryEnter(Database& db, const Journey& journey, const TriggerInput& trigger, StoreCustomerView& view,
                        TimeMs now, std::int64_t* row_id = nullptr);
  Result<void> store(Database& db, std::int64_t row_id, const Journey& journey, const Transition& t,
                     StoreCustomerView& view, TimeMs now, std::int64_t* new_row_id = nullptr);
  /// Queues (or skips) one message; returns its step id and the journey-log line saying what became of it.
  std::pair<std::string, std::string> queueSend(Database& db, std::int64_t row_id, const Journey& journey,
                                                const Effect& effect, StoreCustomerView& view,
                                                const Enrollment& enrollment, TimeMs now);
  void updateCustomer(Database& db, const Effect& effect, StoreCustomerView& view, TimeMs now);
  static const std::vector<ScoreDefinition>* scores(const CatalogPtr& cat);
  /// The customer's marketing messages sent or waiting since `since`, for frequency caps.
  static std::vector<RecentMessage> recentMessages(Database& db, const RuntimeCatalog& cat, std::int64_t customer_id,
                                                   TimeMs since, TimeMs now);
  /// A waiting message gives way to a higher-priority one (unless the dispatcher may have it).
  void displace(Database& db, std::int64_t message_id, const std::string& reason, std::int64_t customer_id, TimeMs now);
  static std::vector<std::int64_t> readIds(SQLite::Statement& q);
  /// Loads each customer's view (skipping erased ones) and runs `fn` on it.
  Result<void> forEachCustomer(Database& db, const std::vector<std::int64_t>& ids, TimeMs now,
                               const std::function<Result<void>(StoreCustomerView&)>& fn);
  JourneyPtr versionFor(Database& db, const std::string& journey_id, const std::string& version);
  bool paused(Database& db, const std::string& journey_id);

  mutable std::mutex mutex_;
  CatalogPtr catalog_;
  std::shared_ptr<const StoredModels> models_;
  std::shared_ptr<const UnsubscribeSigner> unsubscribe_;  // set before serving, read-only after
  PolicySettings policy_;
  std::map<std::pair<std::string, std::string>, JourneyPtr> old_versions_;  // writer thread only
  RunnerMetrics metrics_;
};

}  // namespace journeyd
