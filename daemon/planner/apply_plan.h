#pragma once
/// Commits plans to the store: the daemon's executor. A customer's plan applies only when their
/// plan revision is still the one the planner read (optimistic concurrency); its operations are
/// then written in order, in the caller's transaction, so a state change and the messages it
/// causes commit together.
#include <vector>

#include "daemon/planner/plan.h"
#include "daemon/store/store.h"

namespace journeyd {

/// What applying one plan did.
struct AppliedPlan {
  bool applied = false;  ///< false: another plan changed the customer first; nothing was written
  std::vector<std::int64_t> enrollment_ids;  ///< slot → row id
  /// Stored messages the plan took back (displaced, withdrawn at an early exit), for the metrics.
  std::vector<SkippedMessage> skipped;
};

/// Applies one plan; throws what the store throws (the caller's job fails and rolls back).
AppliedPlan applyPlan(Tx& tx, const CustomerPlan& plan);

}  // namespace journeyd
