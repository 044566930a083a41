#pragma once
/// Moving customers in flight onto a new version of their journey, as the new version's
/// `on_change` says. Pure: the caller stores the result and keeps old versions loaded as long
/// as enrollments are pinned to them.
#include <string>

#include "daemon/engine/enrollment.h"
#include "daemon/journeys/journey.h"

namespace journeyd {

enum class MigrationAction {
  kMoved,      ///< now on the new version, at the step with the same id
  kKeptOnOld,  ///< stays on the old version until it finishes (pin, or its step is gone)
  kRestart,    ///< ended (journey_changed): the caller enrolls it again from trigger_event
  kUnchanged,  ///< finished already, or already on this version
};

struct Migration {
  MigrationAction action = MigrationAction::kUnchanged;
  Enrollment enrollment;
  std::string reason;
};

[[nodiscard]] const char* migrationActionName(MigrationAction action);

/// Maps `enrollment` (on `old_version`) onto `new_version`. migrate (the default): same step id
/// and kind → moved, with its wait times kept; otherwise kept on the old version to finish there.
[[nodiscard]] Migration migrateEnrollment(const Journey& old_version, const Journey& new_version,
                                          const Enrollment& enrollment, TimeMs now);

}  // namespace journeyd
