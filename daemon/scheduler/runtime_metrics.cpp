#include "daemon/scheduler/runtime_metrics.h"

namespace journeyd {

void RuntimeMetrics::add(const PlanCounters& c, const std::vector<SkippedMessage>& taken_back) {
  entered += c.entered;
  advanced += c.advanced;
  messages_queued += c.messages_queued;
  messages_skipped += c.messages_skipped;
  converted += c.converted;
  exited += c.exited;
  completed += c.completed;
  segment_entries += c.segment_entries;
  segment_exits += c.segment_exits;
  if (c.journeys.empty() && c.skipped.empty() && taken_back.empty()) return;
  std::lock_guard lock(mutex_);
  for (const auto& event : c.journeys) {
    JourneyTally& t = tallies_.journeys[event.journey_id];
    switch (event.what) {
      case JourneyEvent::What::kEntered:
        ++t.entered;
        break;
      case JourneyEvent::What::kConverted:
        ++t.converted;
        break;
      case JourneyEvent::What::kExited:
        ++t.exited[event.reason];
        break;
    }
  }
  for (const auto* list : {&c.skipped, &taken_back}) {
    for (const auto& s : *list)
      ++tallies_.skipped_by_channel[s.channel][static_cast<size_t>(s.kind)];
  }
}

RuntimeTallies RuntimeMetrics::tallies() const {
  std::lock_guard lock(mutex_);
  return tallies_;
}

}  // namespace journeyd
