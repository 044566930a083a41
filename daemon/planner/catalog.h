#pragma once
/// What the daemon runs right now: the loaded journeys (current versions, plus older versions
/// still needed by customers pinned to them), templates and channel kinds. Immutable; a reload
/// builds a new one and swaps the pointer.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/journeys/journey.h"
#include "daemon/render/message_template.h"

namespace journeyd {

struct RuntimeCatalog {
  std::vector<JourneyPtr> journeys;                                    ///< current versions
  std::unordered_map<std::string, JourneyPtr> current;                 ///< by journey id
  std::map<std::pair<std::string, std::string>, JourneyPtr> versions;  ///< (id, version) → journey
  std::shared_ptr<const TemplateSet> templates;
  std::map<std::string, Channel> channels;  ///< configured channel name → kind
  std::vector<SegmentDefinition> segments;
  std::vector<ScoreDefinition> scores;
  /// Event names some journey starts on, and the names segment rules count: an event outside
  /// both (and outside any customer's waits) needs no journey work at all.
  std::set<std::string> trigger_events;
  std::set<std::string> segment_events;
  bool attribute_triggers = false;  ///< some journey starts on attribute_changed

  /// Fills the two sets above from the journeys and segments.
  void index() {
    for (const auto& j : journeys) {
      if (j->trigger.kind == TriggerKind::kEvent) trigger_events.insert(j->trigger.name);
      if (j->trigger.kind == TriggerKind::kAttributeChanged) attribute_triggers = true;
    }
    for (const auto& s : segments) {
      if (s.when)
        segment_events.insert(s.when->references().events.begin(),
                              s.when->references().events.end());
    }
  }

  [[nodiscard]] JourneyPtr find(const std::string& id) const {
    auto it = current.find(id);
    return it == current.end() ? nullptr : it->second;
  }
  [[nodiscard]] JourneyPtr version(const std::string& id, const std::string& version) const {
    auto it = versions.find({id, version});
    return it == versions.end() ? nullptr : it->second;
  }
};

using CatalogPtr = std::shared_ptr<const RuntimeCatalog>;

}  // namespace journeyd
