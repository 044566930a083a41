#pragma once
/// The journey runtime's counters for /metrics and logs: totals since start, flat and by
/// journey / channel. Added once per committed plan, never per message inside the planner.
/// Thread-safety: any thread may add or read. The flat totals are atomics; the labelled ones
/// sit behind one mutex taken once per committed plan that has something to count.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/planner/plan.h"

namespace journeyd {

/// Entries, conversions and ends of one journey.
struct JourneyTally {
  std::uint64_t entered = 0;
  std::uint64_t converted = 0;
  std::map<ExitReason, std::uint64_t> exited;  ///< by reason, kCompleted included
};

/// The labelled counts at one moment.
struct RuntimeTallies {
  std::map<std::string, JourneyTally> journeys;  ///< by journey id
  std::map<std::string, std::array<std::uint64_t, kSkipKinds>>
      skipped_by_channel;  ///< by channel, SkipKind
};

struct RuntimeMetrics {
  std::atomic<std::uint64_t> entered{0}, advanced{0}, messages_queued{0}, messages_skipped{0},
      converted{0}, exited{0}, completed{0}, segment_entries{0}, segment_exits{0};
  std::atomic<std::uint64_t> plans{0};      ///< customer plans committed
  std::atomic<std::uint64_t> conflicts{0};  ///< plans refused (planned again)
  std::atomic<std::uint64_t> batches{0};    ///< planner batches committed
  std::atomic<std::uint64_t> work{0};  ///< inbox items, wake-ups, re-checks and entries handled

  /// A committed plan's counters, and the stored messages its application took back.
  void add(const PlanCounters& c, const std::vector<SkippedMessage>& taken_back = {});
  [[nodiscard]] RuntimeTallies tallies() const;

 private:
  mutable std::mutex mutex_;
  RuntimeTallies tallies_;
};

}  // namespace journeyd
