#include "daemon/scheduler/journey_runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "daemon/planner/customer_view.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

/// How often a synchronous plan is tried again when planner threads keep changing the customer.
constexpr int kConflictRetries = 20;
/// Journey log lines pruned per idle batch at most.
constexpr int kPruneSlice = 5000;

/// The customers' work of one batch, in the order it was found.
class WorkByCustomer {
 public:
  CustomerWork& operator[](CustomerId id) {
    auto [it, added] = index_.emplace(id, work_.size());
    if (added) {
      work_.emplace_back();
      work_.back().customer_id = id;
    }
    return work_[it->second];
  }
  std::vector<CustomerWork>& all() { return work_; }

 private:
  std::unordered_map<CustomerId, size_t> index_;
  std::vector<CustomerWork> work_;
};

}  // namespace

JourneyRuntime::JourneyRuntime(Store& store, const Clock& clock, RuntimeOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

JourneyRuntime::~JourneyRuntime() { stop(); }

void JourneyRuntime::setContext(std::shared_ptr<const PlannerContext> context) {
  std::lock_guard lock(context_mutex_);
  context_ = std::move(context);
}

std::shared_ptr<const PlannerContext> JourneyRuntime::context() const {
  std::lock_guard lock(context_mutex_);
  return context_;
}

void JourneyRuntime::count(const PlanCounters& c, const std::vector<SkippedMessage>& taken_back) {
  metrics_.add(c, taken_back);
}

void JourneyRuntime::queueWork(Tx& tx, const AppliedMessage& applied,
                               const InboundMessage& m) const {
  if (applied.duplicate || m.type == MessageType::kAlias || m.type == MessageType::kGroup) return;
  auto ctx = context();
  if (!ctx || !ctx->catalog) return;
  const RuntimeCatalog& cat = *ctx->catalog;
  const bool identify = m.type == MessageType::kIdentify;
  const bool changes_profile = identify || applied.is_order;
  const bool tracked = m.type == MessageType::kTrack || m.type == MessageType::kPage ||
                       m.type == MessageType::kScreen;
  // Most events (page views, product views) concern no journey: two cheap checks, then one
  // indexed look at the customer's listening enrollments.
  const bool relevant =
      (tracked && cat.trigger_events.count(m.event)) ||
      (!cat.segments.empty() && (changes_profile || cat.segment_events.count(m.event))) ||
      (changes_profile && !cat.journeys.empty()) ||
      tx.enrollments().anyListening(applied.customer_id);
  if (!relevant) return;
  json work = {{"type", messageTypeName(m.type)}, {"timestamp", m.timestamp}};
  if (!m.event.empty()) work["event"] = m.event;
  if (m.properties.is_object() && !m.properties.empty()) work["properties"] = m.properties;
  if (applied.is_order) work["order"] = true;
  if (identify && m.traits.is_object()) {
    work["traits"] = m.traits;
    // Only what attribute_changed triggers compare: the previous values of the traits it sets.
    json previous = json::object();
    if (applied.previous_traits.is_object()) {
      for (const auto& [key, _] : m.traits.items()) {
        if (auto it = applied.previous_traits.find(key); it != applied.previous_traits.end())
          previous[key] = *it;
      }
    }
    work["previous"] = std::move(previous);
  }
  tx.inbox().push(applied.customer_id, WorkKind::kMessage, work, m.received_at);
}

void JourneyRuntime::start() {
  // Twice the cores: while one planner's batch commits, another plans (the writer commits the
  // batches that meet in its queue in one transaction).
  const int n = options_.planners > 0
                    ? options_.planners
                    : std::max(2, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  beats_ = std::make_unique<std::atomic<std::uint64_t>[]>(static_cast<size_t>(n));
  beat_count_ = n;
  for (int i = 0; i < n; ++i) threads_.emplace_back([this, i, n] { loop(Partition{i, n}); });
}

std::vector<std::uint64_t> JourneyRuntime::heartbeats() const {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < beat_count_; ++i) out.push_back(beats_[static_cast<size_t>(i)].load());
  return out;
}

void JourneyRuntime::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void JourneyRuntime::notify() {
  {
    std::lock_guard lock(mutex_);
    ++notifications_;
  }
  wake_.notify_all();
}

void JourneyRuntime::loop(Partition part) {
  for (;;) {
    ++beats_[static_cast<size_t>(part.index)];
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen = notifications_;
    }
    std::optional<TimeMs> next;
    // While the store cannot write (a full disk), plans would only be thrown away: wait, and plan
    // again once the writer's probe finds it writing (the work stays in the inbox).
    const bool paused = !store_.writeProblem().empty();
    auto done =
        paused ? Result<std::pair<std::uint64_t, bool>>(std::pair<std::uint64_t, bool>{0, false})
               : runBatch(part, &next);
    if (!done) {
      spdlog::error("msg=\"planner batch failed\" partition={} error=\"{}\"", part.index,
                    done.error().message);
    } else if (done->first > 0 || done->second) {
      continue;  // work was found: look again at once (the next look finds the next due moment)
    }
    DurationMs sleep_ms = options_.max_sleep_ms;
    if (done && next)
      sleep_ms = std::clamp<DurationMs>(*next - clock_.now(), 0, options_.max_sleep_ms);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(sleep_ms),
                   [&] { return stopping_ || notifications_ != seen; });
  }
}

struct JourneyRuntime::Batch {
  std::vector<PlannedCustomer> plans;
  /// Broadcasts streaming their audience into the inbox: (entry, the customers of this batch).
  std::vector<std::pair<ScheduledEntry, std::vector<CustomerId>>> fan_out;
  /// Broadcasts done with their audience: the entry with its next run (due_at 0: no more runs).
  std::vector<ScheduledEntry> broadcasts_done;
  bool prune = false;
};

Result<std::pair<std::uint64_t, bool>> JourneyRuntime::runBatch(Partition part,
                                                                std::optional<TimeMs>* next) {
  auto ctx = context();
  if (!ctx || !ctx->catalog) return std::make_pair(std::uint64_t{0}, false);
  const TimeMs now = clock_.now();
  const int limit = options_.batch;
  Batch batch;
  std::uint64_t handled = 0;
  bool more = false;
  bool broadcast_waits = false;
  auto planned = store_.withSnapshot("plan journeys", [&](const Snapshot& snap) -> Result<void> {
    WorkByCustomer work;
    auto inbox = snap.inbox().oldest(part, limit);
    auto wakes = snap.enrollments().due(now, part, limit);
    auto rechecks = snap.segments().dueRechecks(now, part, limit);
    auto scheduled = snap.schedules().due(now, part, limit);
    more = static_cast<int>(inbox.size()) == limit || static_cast<int>(wakes.size()) == limit ||
           static_cast<int>(rechecks.size()) == limit ||
           static_cast<int>(scheduled.size()) == limit;
    for (auto& item : inbox) work[item.customer_id].inbox.push_back(std::move(item));
    for (auto& wake : wakes) work[wake.customer_id].wakes.push_back(std::move(wake));
    for (auto id : rechecks) work[id].segments_due = true;
    std::vector<ScheduledEntry> broadcasts;
    for (auto& entry : scheduled) {
      if (entry.customer_id == 0) {
        broadcasts.push_back(std::move(entry));
      } else {
        work[entry.customer_id].date_entries.push_back(std::move(entry));
      }
    }
    Planner planner(*ctx, snap, now);
    for (auto& w : work.all()) {
      handled += w.inbox.size() + w.wakes.size() + (w.segments_due ? 1 : 0) + w.date_entries.size();
      batch.plans.push_back(planner.plan(w));
    }
    // A broadcast streams its audience into the inbox in batches (the cursor survives a crash),
    // waiting while the planners have much in hand.
    for (auto& entry : broadcasts) {
      auto journey = ctx->catalog->find(entry.journey_id);
      if (!journey || journey->trigger.kind != TriggerKind::kSchedule) {
        batch.broadcasts_done.push_back({entry.journey_id, 0, 0, 0});
        continue;
      }
      if (planner.paused().count(entry.journey_id)) continue;
      if (snap.inbox().backlog() >= options_.broadcast_high_water) {
        broadcast_waits = true;  // the planners have much in hand: look again shortly
        continue;
      }
      auto ids = snap.customers().idsAfter(entry.cursor, options_.broadcast_batch);
      handled += ids.size();
      if (static_cast<int>(ids.size()) == options_.broadcast_batch) {
        more = true;
        batch.fan_out.emplace_back(entry, std::move(ids));
      } else {
        CustomerView nobody(snap.customers(), 0, json::object(), now);
        auto following = nextScheduledEntry(*journey, nobody, std::max(now, entry.due_at));
        batch.fan_out.emplace_back(entry, std::move(ids));
        batch.broadcasts_done.push_back({entry.journey_id, 0, following.value_or(0), 0});
      }
    }
    if (handled == 0 && !more) {
      batch.prune = part.index == 0;
      std::optional<TimeMs> soonest = snap.enrollments().nextWake(part);
      for (auto t : {snap.segments().nextRecheck(), snap.schedules().nextDue()}) {
        if (t && (!soonest || *t < *soonest)) soonest = t;
      }
      if (broadcast_waits) soonest = now + 50;
      *next = soonest;
    }
    return ok();
  });
  if (!planned) return fail(planned.error());
  if (batch.plans.empty() && batch.fan_out.empty() && batch.broadcasts_done.empty() &&
      !batch.prune) {
    return std::make_pair(handled, more);
  }

  std::vector<AppliedPlan> applied(batch.plans.size());
  const TimeMs prune_before = now - options_.journey_log_retention_ms;
  auto written = store_.write(
      [&](Tx& tx) -> Result<void> {
        for (size_t i = 0; i < batch.plans.size(); ++i)
          applied[i] = applyPlan(tx, batch.plans[i].plan);
        for (const auto& [entry, ids] : batch.fan_out) {
          const json work = {{"journey", entry.journey_id}, {"due_at", entry.due_at}};
          for (auto id : ids) tx.inbox().push(id, WorkKind::kBroadcast, work, now);
          if (!ids.empty()) tx.schedules().put({entry.journey_id, 0, entry.due_at, ids.back()});
        }
        for (const auto& done : batch.broadcasts_done) {
          if (done.due_at > 0) {
            tx.schedules().put({done.journey_id, 0, done.due_at, 0});
          } else {
            tx.schedules().remove(done.journey_id, 0);
          }
        }
        if (batch.prune) tx.journeyLog().prune(prune_before, kPruneSlice);
        return ok();
      },
      Store::Priority::kBackground);
  if (!written) return fail(written.error());
  std::uint64_t committed = 0;
  for (size_t i = 0; i < batch.plans.size(); ++i) {
    if (applied[i].applied) {
      count(batch.plans[i].plan.counters, applied[i].skipped);
      ++committed;
    } else {
      ++metrics_.conflicts;
      more = true;  // refused: planned again at once
    }
  }
  metrics_.plans += committed;
  metrics_.work += handled;
  ++metrics_.batches;
  if (!batch.fan_out.empty()) notify();  // other partitions' customers got inbox items
  if (committed > 0 && options_.on_commit) options_.on_commit();
  return std::make_pair(handled, more);
}

Result<std::pair<PlannedCustomer, AppliedPlan>> JourneyRuntime::runNow(const CustomerWork& work) {
  auto ctx = context();
  if (!ctx || !ctx->catalog) return fail(Error::unavailable("no journeys loaded"));
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    const TimeMs now = clock_.now();
    PlannedCustomer planned;
    auto made = store_.withSnapshot("plan a customer", [&](const Snapshot& snap) -> Result<void> {
      Planner planner(*ctx, snap, now);
      planned = planner.plan(work);
      return ok();
    });
    if (!made) return fail(made.error());
    AppliedPlan applied;
    auto written = store_.write([&](Tx& tx) -> Result<void> {
      applied = applyPlan(tx, planned.plan);
      return ok();
    });
    if (!written) return fail(written.error());
    if (applied.applied) {
      count(planned.plan.counters, applied.skipped);
      ++metrics_.plans;
      if (options_.on_commit) options_.on_commit();
      return std::make_pair(std::move(planned), std::move(applied));
    }
    ++metrics_.conflicts;
  }
  return fail(
      Error::unavailable("the customer kept changing while their plan was made; try again"));
}

Result<std::int64_t> JourneyRuntime::enroll(const std::string& journey_id, CustomerId customer,
                                            const json& data) {
  auto ctx = context();
  auto journey = ctx && ctx->catalog ? ctx->catalog->find(journey_id) : nullptr;
  if (!journey) return fail(Error::notFound("no journey " + journey_id));
  if (journey->trigger.kind != TriggerKind::kApi) {
    return fail(Error{ErrorCode::kConflict,
                      "journey " + journey_id + " is not started through the API (trigger: " +
                          triggerKindName(journey->trigger.kind) + ")",
                      "journey"});
  }
  auto paused =
      store_.withSnapshot("read journey state", [&](const Snapshot& snap) -> Result<bool> {
        return snap.journeyState().paused().count(journey_id) > 0;
      });
  if (!paused) return fail(paused.error());
  if (*paused) return fail(Error{ErrorCode::kConflict, "journey " + journey_id + " is paused", {}});
  CustomerWork work;
  work.customer_id = customer;
  work.api = ApiEntry{journey_id, data.is_object() ? data : json::object()};
  auto done = runNow(work);
  if (!done) return fail(done.error());
  const ApiOutcome outcome = done->first.api.value_or(ApiOutcome{});
  if (!outcome.entered) {
    if (outcome.reason == "no such customer") return fail(Error::notFound("no such customer"));
    return fail(Error{ErrorCode::kConflict, "not enrolled: " + outcome.reason, {}});
  }
  const auto& ids = done->second.enrollment_ids;
  return outcome.slot >= 0 && static_cast<size_t>(outcome.slot) < ids.size()
             ? ids[static_cast<size_t>(outcome.slot)]
             : 0;
}

Result<void> JourneyRuntime::publish(const std::map<std::string, std::string>& sources) {
  auto ctx = context();
  if (!ctx || !ctx->catalog) return ok();
  const TimeMs now = clock_.now();
  auto recorded = store_.write([&](Tx& tx) -> Result<void> {
    for (const auto& j : ctx->catalog->journeys) {
      auto it = sources.find(j->file);
      if (it != sources.end())
        tx.journeyState().recordVersion(j->id, j->version, j->file, it->second, now);
    }
    return ok();
  });
  if (!recorded) return recorded;
  if (auto r = migrateInFlight(); !r) return r;
  return planSchedules();
}

Result<void> JourneyRuntime::migrateInFlight() {
  auto ctx = context();
  for (const auto& journey : ctx->catalog->journeys) {
    auto rows = store_.withSnapshot("read enrollments to migrate", [&](const Snapshot& snap) {
      return Result<std::vector<StoredEnrollment>>(
          snap.enrollments().onOtherVersion(journey->id, journey->version));
    });
    if (!rows) return fail(rows.error());
    if (rows->empty()) continue;
    WorkByCustomer work;
    for (auto& row : *rows) work[row.customer_id].migrations.push_back(std::move(row));
    std::map<std::pair<std::string, std::string>, int> tally;  // (step, action) → customers
    for (const auto& w : work.all()) {
      auto done = runNow(w);
      if (!done) return fail(done.error());
      for (const auto& note : done->first.migrations) ++tally[{note.step_id, note.action}];
    }
    for (const auto& [key, customers] : tally) {
      spdlog::info(
          "msg=\"journey changed\" journey={} version={} on_change={} step={} customers={} "
          "action={}",
          journey->id, journey->version, onChangeName(journey->on_change), key.first, customers,
          key.second);
    }
  }
  return ok();
}

Result<void> JourneyRuntime::planSchedules() {
  auto ctx = context();
  const TimeMs now = clock_.now();
  bool any_date = false;
  // Each broadcast's next run; one already planned (or half streamed) stays, so a changed cron
  // takes effect after it.
  auto planned = store_.write([&](Tx& tx) -> Result<void> {
    CustomerView nobody(tx.customers(), 0, json::object(), now);
    for (const auto& journey : ctx->catalog->journeys) {
      if (journey->trigger.kind == TriggerKind::kDateAttribute) any_date = true;
      if (journey->trigger.kind != TriggerKind::kSchedule) continue;
      if (auto next = nextScheduledEntry(*journey, nobody, now))
        tx.schedules().putIfAbsent({journey->id, 0, *next, 0});
    }
    return ok();
  });
  if (!planned || !any_date) return planned;
  // Every customer's next date-attribute moment, in batches of plans.
  CustomerId cursor = 0;
  for (;;) {
    std::vector<PlannedCustomer> plans;
    auto made = store_.withSnapshot("plan date entries", [&](const Snapshot& snap) -> Result<void> {
      auto ids = snap.customers().idsAfter(cursor, options_.broadcast_batch);
      Planner planner(*ctx, snap, now);
      for (auto id : ids) {
        CustomerWork w;
        w.customer_id = id;
        w.plan_dates = true;
        plans.push_back(planner.plan(w));
      }
      if (!ids.empty()) cursor = ids.back();
      return ok();
    });
    if (!made) return fail(made.error());
    if (plans.empty()) return ok();
    auto written = store_.write([&](Tx& tx) -> Result<void> {
      for (const auto& p : plans)
        applyPlan(tx, p.plan);  // a refused one was replanned by its planner
      return ok();
    });
    if (!written) return written;
    if (static_cast<int>(plans.size()) < options_.broadcast_batch) return ok();
  }
}

Result<std::uint64_t> JourneyRuntime::runUntilIdle() {
  std::uint64_t total = 0;
  for (int rounds = 0; rounds < 1000000; ++rounds) {
    std::optional<TimeMs> next;
    auto done = runBatch(Partition{0, 1}, &next);
    if (!done) return fail(done.error());
    total += done->first;
    if (done->first == 0 && !done->second) return total;
  }
  return fail(Error::internal("work kept coming due: a journey loops without waiting"));
}

Result<std::optional<TimeMs>> JourneyRuntime::nextDue() {
  return store_.withSnapshot(
      "next due", [&](const Snapshot& snap) -> Result<std::optional<TimeMs>> {
        std::optional<TimeMs> soonest = snap.enrollments().nextWake(Partition{});
        for (auto t : {snap.segments().nextRecheck(), snap.schedules().nextDue()}) {
          if (t && (!soonest || *t < *soonest)) soonest = t;
        }
        if (snap.inbox().backlog() > 0)
          soonest = std::min(soonest.value_or(clock_.now()), clock_.now());
        return soonest;
      });
}

}  // namespace journeyd
