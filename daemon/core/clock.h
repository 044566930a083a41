#pragma once
/// The one source of "now". Production code takes a Clock&; tests and `simulate` use a
/// ManualClock that only moves when told to, so nothing ever sleeps.
#include <atomic>

#include "daemon/core/time.h"

namespace journeyd {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimeMs now() const = 0;
};

/// Wall-clock time (UTC). Thread-safe.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimeMs now() const override;
};

/// A virtual clock: set or advanced explicitly. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 0) : now_(start) {}
  [[nodiscard]] TimeMs now() const override { return now_.load(); }
  void set(TimeMs t) { now_.store(t); }
  void advance(DurationMs d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace journeyd
