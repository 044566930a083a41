#include "daemon/engine/migration.h"

namespace journeyd {

const char* migrationActionName(MigrationAction action) {
  switch (action) {
    case MigrationAction::kMoved:
      return "moved";
    case MigrationAction::kKeptOnOld:
      return "kept_on_old";
    case MigrationAction::kRestart:
      return "restart";
    case MigrationAction::kUnchanged:
      return "unchanged";
  }
  return "?";
}

Migration migrateEnrollment(const Journey& old_version, const Journey& new_version,
                            const Enrollment& enrollment, TimeMs now) {
  Migration m;
  m.enrollment = enrollment;
  if (enrollment.finished() || enrollment.version == new_version.version) {
    m.reason = enrollment.finished() ? "finished" : "already on this version";
    return m;
  }
  switch (new_version.on_change) {
    case OnChange::kPin:
      m.action = MigrationAction::kKeptOnOld;
      m.reason = "on_change: pin";
      return m;
    case OnChange::kRestart:
      m.action = MigrationAction::kRestart;
      m.enrollment.status = EnrollmentStatus::kExited;
      m.enrollment.exit_reason = ExitReason::kJourneyChanged;
      m.enrollment.exit_detail = new_version.version;
      m.enrollment.finished_at = now;
      m.enrollment.wake_at.reset();
      m.enrollment.due_at.reset();
      m.reason = "on_change: restart";
      return m;
    case OnChange::kMigrate:
      break;
  }
  const Step* old_step = old_version.step(enrollment.step_id);
  const Step* new_step = new_version.step(enrollment.step_id);
  if (!new_step) {
    m.action = MigrationAction::kKeptOnOld;
    m.reason =
        "step '" + enrollment.step_id + "' is gone: finishing on version " + enrollment.version;
    return m;
  }
  if (old_step && old_step->kind != new_step->kind) {
    m.action = MigrationAction::kKeptOnOld;
    m.reason = "step '" + enrollment.step_id + "' changed from " + stepKindName(old_step->kind) +
               " to " + stepKindName(new_step->kind) + ": finishing on version " +
               enrollment.version;
    return m;
  }
  m.action = MigrationAction::kMoved;
  m.enrollment.version = new_version.version;
  if (new_step->kind == StepKind::kWaitFor) m.enrollment.wait_event = new_step->name;
  // The goal window follows the new version's goal, still counted from entry.
  if (new_version.goal.present && new_version.goal.within > 0) {
    m.enrollment.goal_deadline = enrollment.entered_at + new_version.goal.within;
  } else {
    m.enrollment.goal_deadline.reset();
  }
  m.reason = "moved to version " + new_version.version + " at step '" + enrollment.step_id + "'";
  return m;
}

}  // namespace journeyd
