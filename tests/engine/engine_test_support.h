#pragma once
// Shared helpers for engine tests: journeys from inline YAML, a fixed start, a customer view.
#include <doctest/doctest.h>

#include "daemon/engine/entry.h"
#include "daemon/expr/eval_context.h"
#include "daemon/journeys/loader.h"

namespace journeyd::test {

inline const TimeMs kT0 = *parseIsoTime("2024-06-03T08:00:00Z");  // a Monday

inline JourneyPtr mustLoad(const std::string& yaml) {
  Diagnostics diagnostics;
  auto j = loadJourneyText(yaml, "test.yaml", {}, diagnostics);
  if (!j) FAIL(diagnostics.format());
  return j;
}

inline JsonEvalContext view(const nlohmann::json& customer, TimeMs now,
                            std::vector<EventRecord> events = {}) {
  return JsonEvalContext(nlohmann::json{{"customer", customer}}, now, std::move(events));
}

inline std::vector<const Effect*> effectsOf(const Transition& t, EffectKind kind) {
  std::vector<const Effect*> out;
  for (const auto& fx : t.effects) {
    if (fx.kind == kind) out.push_back(&fx);
  }
  return out;
}

}  // namespace journeyd::test
