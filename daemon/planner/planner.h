#pragma once
/// The one planner. From a read snapshot of the store and the moment `now`, it decides what
/// happens to a customer: journey entries (triggers, audience, re-entry), the steps of their
/// enrollments (the pure step machine), segment membership and its triggers, date-attribute
/// schedules, the delivery policy of every message (consent, caps with priority displacement,
/// quiet hours, windows), rendering, and the journey log. It returns a CustomerPlan and changes
/// nothing: the daemon commits plans (apply_plan.h); `simulate` and the tests run the very same
/// code on a scratch store. It reads no clock and does no I/O beyond the snapshot's reads.
///
/// Thread-safety: a Planner belongs to one thread for one snapshot; the PlannerContext it is
/// given is immutable and shared.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/delivery/unsubscribe.h"
#include "daemon/engine/entry.h"
#include "daemon/intelligence/customer_values.h"
#include "daemon/planner/catalog.h"
#include "daemon/planner/plan.h"
#include "daemon/store/store.h"

namespace journeyd {

/// Journey versions customers are pinned to that the catalog no longer holds: compiled once
/// from the source the store kept, and shared by every planner. Thread-safe.
class JourneyVersions {
 public:
  /// The version from the catalog, else compiled from the store; null when neither has it.
  JourneyPtr find(const Snapshot& snapshot, const RuntimeCatalog& catalog,
                  const std::string& journey_id, const std::string& version);

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, JourneyPtr> compiled_;
};

/// What plans are made with besides the customers' data: what the daemon runs right now.
/// Immutable once built; a reload builds another.
struct PlannerContext {
  CatalogPtr catalog;
  std::shared_ptr<const StoredModels> models;
  PolicySettings policy;
  std::shared_ptr<const UnsubscribeSigner>
      unsubscribe;  ///< null: messages carry no unsubscribe link
  std::shared_ptr<JourneyVersions> versions = std::make_shared<JourneyVersions>();
  /// simulate and forecast without the templates: a message whose template is not loaded is
  /// decided and queued unrendered instead of failing.
  bool render_optional = false;
};

/// An entry asked for through the API.
struct ApiEntry {
  std::string journey_id;
  nlohmann::json data = nlohmann::json::object();
};

/// Everything due for one customer at one moment, in the order it is handled: inbox items,
/// wake-ups, the segment re-check, date-attribute entries, an API entry, in-flight migrations.
struct CustomerWork {
  CustomerId customer_id = 0;
  std::vector<WorkItem> inbox;
  std::vector<StoredEnrollment> wakes;
  bool segments_due = false;
  std::vector<ScheduledEntry> date_entries;
  std::optional<ApiEntry> api;
  std::vector<StoredEnrollment>
      migrations;  ///< enrollments on an older version of a current journey
  bool plan_dates =
      false;  ///< (re)plan the customer's next date-attribute entries (start-up, reload)

  [[nodiscard]] bool empty() const {
    return inbox.empty() && wakes.empty() && !segments_due && date_entries.empty() && !api &&
           migrations.empty() && !plan_dates;
  }
};

/// What became of an API entry.
struct ApiOutcome {
  bool entered = false;
  std::string reason;  ///< why (not)
  EnrollmentSlot slot = kNoEnrollment;
};

/// One in-flight enrollment moved by a reload: for the per-journey summary in the log.
struct MigrationNote {
  std::string journey_id;
  std::string version;
  std::string step_id;
  std::string action;  ///< moved | kept_on_old | restart | unchanged
};

/// A plan and what the caller asked to know about it.
struct PlannedCustomer {
  CustomerPlan plan;
  std::optional<ApiOutcome> api;
  std::vector<MigrationNote> migrations;
};

class Planner {
 public:
  /// `snapshot` must outlive the planner; `now` is the moment every decision is made at.
  Planner(const PlannerContext& context, const Snapshot& snapshot, TimeMs now);
  ~Planner();
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  /// Plans the work of one customer. Never fails: what cannot be planned (a customer erased
  /// meanwhile) becomes bookkeeping in the plan.
  [[nodiscard]] PlannedCustomer plan(const CustomerWork& work);

  /// The journeys paused in the snapshot.
  [[nodiscard]] const std::set<std::string>& paused() const { return paused_; }

 private:
  struct State;
  const PlannerContext& context_;
  const Snapshot& snapshot_;
  const TimeMs now_;
  std::set<std::string> paused_;
  DurationMs cap_lookback_ = 0;  ///< the longest cap window of any journey
};

/// The idempotency key of a journey's message: unique per (enrollment, step run), stable across
/// retries, made only of letters, digits, '-' and '_' (Standard Webhooks forbids '.' in a
/// webhook-id): `ENROLLMENT-RUN-JOURNEY-STEP`, e.g. `1042-3-newcomer-guide-welcome`; the two
/// numbers alone make it unique, the names make it readable ('.' and other characters become '_').
[[nodiscard]] std::string messageKey(const std::string& journey_id, std::int64_t enrollment_id,
                                     const std::string& step_id, std::int64_t sequence);

}  // namespace journeyd
