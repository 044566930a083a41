#include "daemon/journeys/journey.h"

#include <cstdio>

namespace journeyd {

const char* triggerKindName(TriggerKind kind) {
  switch (kind) {
    case TriggerKind::kEvent:
      return "event";
    case TriggerKind::kSegmentEntered:
      return "segment_entered";
    case TriggerKind::kSegmentExited:
      return "segment_exited";
    case TriggerKind::kAttributeChanged:
      return "attribute_changed";
    case TriggerKind::kDateAttribute:
      return "date_attribute";
    case TriggerKind::kSchedule:
      return "schedule";
    case TriggerKind::kApi:
      return "api";
  }
  return "?";
}

const char* stepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::kSend:
      return "send";
    case StepKind::kWait:
      return "wait";
    case StepKind::kWaitUntil:
      return "wait_until";
    case StepKind::kWaitFor:
      return "wait_for";
    case StepKind::kIf:
      return "if";
    case StepKind::kSplit:
      return "split";
    case StepKind::kUpdate:
      return "update";
    case StepKind::kEmit:
      return "emit";
    case StepKind::kExit:
      return "exit";
    case StepKind::kGoto:
      return "goto";
  }
  return "?";
}

const char* onChangeName(OnChange on_change) {
  switch (on_change) {
    case OnChange::kMigrate:
      return "migrate";
    case OnChange::kPin:
      return "pin";
    case OnChange::kRestart:
      return "restart";
  }
  return "?";
}

int Journey::stepIndex(std::string_view id) const {
  auto it = index_by_id.find(std::string(id));
  return it == index_by_id.end() ? -1 : it->second;
}

const Step* Journey::step(std::string_view id) const {
  int i = stepIndex(id);
  return i < 0 ? nullptr : &steps[static_cast<size_t>(i)];
}

std::uint64_t fnv1a64(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex64(std::uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

const CompileOptions& journeyExpressionOptions() {
  static const CompileOptions kOptions{{"customer", "event", "data", "journey"}};
  return kOptions;
}

const CompileOptions& segmentExpressionOptions() {
  static const CompileOptions kOptions{{"customer"}};
  return kOptions;
}

}  // namespace journeyd
