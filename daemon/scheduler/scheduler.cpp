#include "daemon/scheduler/scheduler.h"

#include <spdlog/spdlog.h>

#include "daemon/scheduler/journey_runner.h"
#include "daemon/store/writer.h"

namespace journeyd {

Scheduler::Scheduler(StoreWriter& writer, JourneyRunner& runner, const Clock& clock, SchedulerOptions options)
    : writer_(writer), runner_(runner), clock_(clock), options_(std::move(options)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() { thread_ = std::thread([this] { loop(); }); }

void Scheduler::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      notified_ = false;
    }
    int advanced = 0;
    std::optional<TimeMs> next;
    auto result = writer_.run([&](Database& db) -> Result<void> {
      auto n = runner_.wakeDue(db, clock_.now(), options_.batch);
      if (!n) return fail(n.error());
      advanced = *n;
      if (advanced < options_.batch) {
        auto s = runner_.recheckSegmentsDue(db, clock_.now(), options_.batch - advanced);
        if (!s) return fail(s.error());
        advanced += *s;
      }
      if (advanced < options_.batch) {
        auto s = runner_.runScheduledEntries(db, clock_.now(), options_.batch - advanced);
        if (!s) return fail(s.error());
        advanced += *s;
      }
      if (advanced < options_.batch) {
        auto w = runner_.nextWake(db);
        if (w) next = *w;
        // With time to spare, a bounded slice of expired journey log lines goes.
        if (auto p = runner_.pruneJourneyLog(db, clock_.now() - options_.journey_log_retention_ms, 5000); !p) {
          return fail(p.error());
        }
      }
      return ok();
    });
    if (!result) {
      spdlog::error("msg=\"scheduler batch failed\" error=\"{}\"", result.error().message);
    } else if (advanced > 0) {
      wakeups_ += advanced;
      if (options_.on_batch) options_.on_batch(advanced);
      if (advanced == options_.batch) continue;  // more are due right now
    }
    DurationMs sleep_ms = options_.max_sleep_ms;
    if (next) sleep_ms = std::clamp<DurationMs>(*next - clock_.now(), 0, options_.max_sleep_ms);
    if (!result) sleep_ms = options_.max_sleep_ms;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(sleep_ms), [&] { return stopping_ || notified_; });
  }
}

}  // namespace journeyd
