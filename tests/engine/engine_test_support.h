#pragma once
// Shared helpers for engine tests: journeys from inline YAML, a fixed start, a customer view.
#include <doctest/doctest.h>

#include "daemon/engine/simulation.h"
#include "daemon/journeys/loader.h"

namespace journeyd::test {

inline const TimeMs kT0 = *parseIsoTime("2024-06-03T08:00:00Z");  // a Monday

inline JourneyPtr mustLoad(const std::string& yaml) {
  Diagnostics diagnostics;
  auto j = loadJourneyText(yaml, "test.yaml", {}, diagnostics);
  if (!j) FAIL(diagnostics.format());
  return j;
}

inline JsonEvalContext view(const nlohmann::json& customer, TimeMs now, std::vector<EventRecord> events = {}) {
  return JsonEvalContext(nlohmann::json{{"customer", customer}}, now, std::move(events));
}

inline std::vector<const Effect*> effectsOf(const Transition& t, EffectKind kind) {
  std::vector<const Effect*> out;
  for (const auto& fx : t.effects) {
    if (fx.kind == kind) out.push_back(&fx);
  }
  return out;
}

inline std::vector<std::string> sends(const SimulationResult& r) {
  std::vector<std::string> out;
  for (const auto& fx : r.effects) {
    if (fx.effect.kind == EffectKind::kSend) {
      out.push_back((fx.time == kT0 ? std::string("+0") : "+" + formatDuration(fx.time - kT0)) + " " + fx.effect.channel + " " + fx.effect.template_name);
    }
  }
  return out;
}

}  // namespace journeyd::test
