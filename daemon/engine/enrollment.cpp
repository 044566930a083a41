#include "daemon/engine/enrollment.h"

namespace journeyd {

namespace {
const char* const kStatusNames[] = {"active", "waiting", "completed", "converted", "exited"};
const char* const kReasonNames[] = {"",
                                    "completed",
                                    "converted",
                                    "exit_when",
                                    "exit_step",
                                    "control_group",
                                    "goal_window_expired",
                                    "step_limit",
                                    "journey_changed",
                                    "step_missing",
                                    "missing_data"};

template <typename E, size_t N>
E fromName(const std::string& name, const char* const (&names)[N], E fallback) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<E>(i);
  }
  return fallback;
}

nlohmann::json optTime(const std::optional<TimeMs>& t) {
  return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
}
std::optional<TimeMs> getTime(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<TimeMs>();
}
}  // namespace

const char* enrollmentStatusName(EnrollmentStatus status) {
  return kStatusNames[static_cast<int>(status)];
}
const char* exitReasonName(ExitReason reason) { return kReasonNames[static_cast<int>(reason)]; }

bool exitWithdrawsPending(ExitReason reason) {
  return reason == ExitReason::kConverted || reason == ExitReason::kExitWhen ||
         reason == ExitReason::kExitStep || reason == ExitReason::kGoalWindowExpired;
}

nlohmann::json Enrollment::toJson() const {
  return {{"journey_id", journey_id},
          {"version", version},
          {"customer_id", customer_id},
          {"key", key},
          {"status", enrollmentStatusName(status)},
          {"step_id", step_id},
          {"entered_at", entered_at},
          {"wake_at", optTime(wake_at)},
          {"due_at", optTime(due_at)},
          {"wait_event", wait_event},
          {"wait_key", wait_key},
          {"goal_deadline", optTime(goal_deadline)},
          {"converted_at", optTime(converted_at)},
          {"finished_at", optTime(finished_at)},
          {"exit_reason", exitReasonName(exit_reason)},
          {"exit_detail", exit_detail},
          {"variants", variants},
          {"trigger_event", trigger_event},
          {"data", data},
          {"steps_run", steps_run}};
}

Enrollment Enrollment::fromJson(const nlohmann::json& j) {
  Enrollment e;
  auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  };
  e.journey_id = str("journey_id");
  e.version = str("version");
  e.customer_id = str("customer_id");
  e.key = str("key");
  e.status = fromName(str("status"), kStatusNames, EnrollmentStatus::kActive);
  e.step_id = str("step_id");
  e.entered_at = getTime(j, "entered_at").value_or(0);
  e.wake_at = getTime(j, "wake_at");
  e.due_at = getTime(j, "due_at");
  e.wait_event = str("wait_event");
  e.wait_key = str("wait_key");
  e.goal_deadline = getTime(j, "goal_deadline");
  e.converted_at = getTime(j, "converted_at");
  e.finished_at = getTime(j, "finished_at");
  e.exit_reason = fromName(str("exit_reason"), kReasonNames, ExitReason::kNone);
  e.exit_detail = str("exit_detail");
  if (j.contains("variants") && j["variants"].is_object()) {
    for (auto& [k, v] : j["variants"].items()) {
      if (v.is_string()) e.variants[k] = v.get<std::string>();
    }
  }
  if (j.contains("trigger_event") && j["trigger_event"].is_object())
    e.trigger_event = j["trigger_event"];
  if (j.contains("data") && j["data"].is_object()) e.data = j["data"];
  if (j.contains("steps_run") && j["steps_run"].is_number_integer())
    e.steps_run = j["steps_run"].get<std::int64_t>();
  return e;
}

}  // namespace journeyd
