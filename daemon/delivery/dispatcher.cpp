#include "daemon/delivery/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "daemon/delivery/policy.h"
#include "daemon/delivery/token_bucket.h"

namespace journeyd {

namespace {

/// The policy decided again on the customer as they are when the row is claimed.
std::string recheckPolicy(const ClaimedMessage& row, ChannelKind kind, SkipKind* why_kind) {
  if (!reachesPerson(kind)) return {};  // webhooks call systems: no consent to decide on
  ClaimCheck check;
  check.kind = channelKindName(kind);
  check.transactional = row.transactional;
  check.topic = row.topic;
  check.suppressed = row.suppressed;
  nlohmann::json traits;
  if (row.customer_traits) {
    traits = nlohmann::json::parse(*row.customer_traits, nullptr, false);
    if (traits.is_discarded()) traits = nlohmann::json::object();
    check.customer = &traits;
  }
  return withdrawAtClaim(check, why_kind);
}

DeliveryOutcome withdrawnOutcome(const ClaimedMessage& row, std::string reason, TimeMs now) {
  DeliveryOutcome out;
  out.message_id = row.id;
  out.status = DeliveryOutcome::Status::kWithdrawn;
  out.attempted = false;
  out.at = now;
  out.reason = std::move(reason);
  return out;
}

}  // namespace

/// One channel's queue of claimed rows, its token bucket and its worker threads.
struct Dispatcher::Lane {
  Lane(const DeliveryChannel& c, size_t cap, TimeMs now)
      : channel(c), capacity(cap), bucket(c.settings.rate_limit, now) {}
  const DeliveryChannel& channel;
  const size_t capacity;
  std::mutex mutex;  // guards queue and bucket
  std::condition_variable wake;
  std::deque<ClaimedMessage> queue;
  TokenBucket bucket;
  std::vector<std::thread> workers;
  ChannelStats stats;
};

Dispatcher::Dispatcher(Store& store, const Channels& channels, const Clock& clock,
                       DispatcherOptions options)
    : store_(store), channels_(channels), clock_(clock), options_(std::move(options)) {}

Dispatcher::~Dispatcher() { stop(); }

Result<void> Dispatcher::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return fail(Error::internal("the dispatcher was already started"));
    started_ = true;
  }
  const TimeMs now = clock_.now();
  for (const auto& [name, channel] : channels_.all()) {
    const auto capacity = static_cast<size_t>(channel.settings.concurrency) *
                          static_cast<size_t>(std::max(1, options_.queue_per_worker));
    lanes_.emplace(name, std::make_unique<Lane>(channel, capacity, now));
  }
  for (auto& [_, lane] : lanes_) {
    for (int i = 0; i < lane->channel.settings.concurrency; ++i) {
      lane->workers.emplace_back([this, l = lane.get()] { workerLoop(*l); });
    }
  }
  recorder_ = std::thread([this] { recordLoop(); });
  claimer_ = std::thread([this] { claimLoop(); });
  return ok();
}

void Dispatcher::notify() {
  {
    std::lock_guard lock(mutex_);
    claim_requested_ = true;
  }
  claim_wake_.notify_one();
  // The clock may have moved: sends waiting for a token re-check it now.
  for (auto& [_, lane] : lanes_) {
    std::lock_guard lock(lane->mutex);
    lane->wake.notify_all();
  }
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  const auto give_up_at =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.drain_timeout);
  claim_wake_.notify_all();
  {
    std::lock_guard lock(results_mutex_);  // a worker waiting for the recorder sees stopping_
  }
  recorded_wake_.notify_all();
  if (claimer_.joinable()) claimer_.join();

  // Rows not yet handed to a connector stay 'pending' for the next start.
  for (auto& [_, lane] : lanes_) {
    std::deque<ClaimedMessage> dropped;
    {
      std::lock_guard lock(lane->mutex);
      dropped.swap(lane->queue);
      lane->wake.notify_all();
    }
    for (const auto& row : dropped) release(row.id);
  }
  {
    std::unique_lock lock(drain_mutex_);
    if (!drained_.wait_until(lock, give_up_at, [&] { return sending_.load() == 0; })) {
      spdlog::warn("msg=\"delivery drain timed out; waiting for connector timeouts\" sending={}",
                   sending_.load());
    }
  }
  for (auto& [_, lane] : lanes_) {
    for (auto& worker : lane->workers) {
      if (worker.joinable()) worker.join();
    }
  }
  {
    std::lock_guard lock(results_mutex_);
    recorder_stopping_ = true;
    give_up_at_ = give_up_at;
  }
  results_wake_.notify_all();
  if (recorder_.joinable()) recorder_.join();
}

DispatcherMetrics Dispatcher::metrics() const {
  DispatcherMetrics m;
  m.sent = sent_.load();
  m.retried = retried_.load();
  m.failed = failed_.load();
  m.dead = dead_.load();
  m.withdrawn = withdrawn_.load();
  m.store_errors = store_errors_.load();
  m.in_flight = in_flight_count_.load();
  m.rate_limited = rate_limited_.load();
  auto figures = [](const std::string& name, const ChannelStats& s) {
    ChannelMetrics c;
    c.channel = name;
    c.sent = s.sent.load(std::memory_order_relaxed);
    c.retried = s.retried.load(std::memory_order_relaxed);
    c.failed = s.failed.load(std::memory_order_relaxed);
    c.dead = s.dead.load(std::memory_order_relaxed);
    for (size_t i = 0; i < kSkipKinds; ++i)
      c.withdrawn[i] = s.withdrawn[i].load(std::memory_order_relaxed);
    c.delivery_seconds = s.delivery_seconds.snapshot();
    c.connector_seconds = s.connector_seconds.snapshot();
    return c;
  };
  for (const auto& [name, lane] : lanes_) m.channels.push_back(figures(name, lane->stats));
  if (unconfigured_.failed.load() > 0) m.channels.push_back(figures("unconfigured", unconfigured_));
  return m;
}

void Dispatcher::claimLoop() {
  bool from_start = true;
  while (!stopping_) {
    ++claim_beats_;
    claimOnce(from_start);
    std::unique_lock lock(mutex_);
    // Woken: go on from where the last read stopped. A quiet poll interval: read from the
    // oldest again, for rows released or retried behind the cursor.
    from_start = !claim_wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval),
                                       [&] { return stopping_.load() || claim_requested_; });
    claim_requested_ = false;
  }
}

void Dispatcher::claimOnce(bool from_start) {
  if (from_start) cursor_ = OutboxCursor{};
  int room = 0;
  {
    std::lock_guard lock(mutex_);
    // Rows whose outcome committed before this read are no longer 'pending' in what it sees.
    // Rows recorded while it runs stay in in_flight_ until the next read: the read's snapshot
    // may predate their commit and still show them pending.
    for (auto id : recorded_) in_flight_.erase(id);
    recorded_.clear();
    room = options_.max_in_flight - static_cast<int>(in_flight_.size());
  }
  if (room <= 0) return;
  // The store cannot write (a full disk): what is sent now could not be recorded, and a crash
  // would send it again. Sending waits for the store (it probes every second) and then goes on.
  if (!store_.writeProblem().empty()) return;
  std::map<std::string_view, size_t> lane_room;
  for (auto& [name, lane] : lanes_) {
    std::lock_guard lock(lane->mutex);
    lane_room[name] = lane->capacity > lane->queue.size() ? lane->capacity - lane->queue.size() : 0;
  }
  std::vector<std::int64_t> claimed;
  auto decide = [&](std::int64_t id, std::string_view channel) {
    auto lane = lanes_.find(channel);
    if (lane != lanes_.end()) {
      auto& left = lane_room[lane->first];
      if (left == 0) return ClaimDecision::kLater;
      std::lock_guard lock(mutex_);
      if (!in_flight_.insert(id).second) return ClaimDecision::kPass;
      --left;
    } else {
      std::lock_guard lock(mutex_);
      if (!in_flight_.insert(id).second) return ClaimDecision::kPass;
    }
    ++in_flight_count_;
    claimed.push_back(id);
    // The claim-time policy decides again for messages to people; webhooks need nothing read.
    return lane == lanes_.end() || reachesPerson(lane->second->channel.kind)
               ? ClaimDecision::kTakeForPerson
               : ClaimDecision::kTake;
  };
  const OutboxCursor before = cursor_;
  auto rows = store_.withSnapshot("read due messages", [&](const Snapshot& snap) {
    return Result<std::vector<ClaimedMessage>>(snap.outbox().due(
        clock_.now(), cursor_, options_.scan_limit, std::min(room, options_.claim_batch), decide));
  });
  if (!rows) {
    spdlog::error("msg=\"reading the outbox failed\" error=\"{}\"", rows.error().message);
    for (auto id : claimed) release(id);
    cursor_ = before;
    return;
  }
  for (auto& row : *rows) {
    auto lane = lanes_.find(row.channel);
    if (lane == lanes_.end()) {
      pushOutcome(
          {failedWithoutAttempt(row.id, "channel not configured", clock_.now()), &unconfigured_});
      continue;
    }
    SkipKind why_kind = SkipKind::kOther;
    if (auto why = recheckPolicy(row, lane->second->channel.kind, &why_kind); !why.empty()) {
      pushOutcome(
          {withdrawnOutcome(row, std::move(why), clock_.now()), &lane->second->stats, 0, why_kind});
      continue;
    }
    std::lock_guard lock(lane->second->mutex);
    lane->second->queue.push_back(std::move(row));
    lane->second->wake.notify_one();
  }
}

void Dispatcher::workerLoop(Lane& lane) {
  for (;;) {
    ClaimedMessage row;
    bool low = false;
    {
      std::unique_lock lock(lane.mutex);
      lane.wake.wait(lock, [&] { return stopping_.load() || !lane.queue.empty(); });
      if (stopping_) return;
      row = std::move(lane.queue.front());
      lane.queue.pop_front();
      low = lane.queue.size() == lane.capacity / 4;
    }
    if (low) {
      // Refill before the lane runs dry, not only when outcomes are recorded.
      {
        std::lock_guard lock(mutex_);
        claim_requested_ = true;
      }
      claim_wake_.notify_one();
    }
    if (!waitForRecorder() || !waitForToken(lane)) {
      release(row.id);
      return;
    }
    sendOne(lane, row);
  }
}

bool Dispatcher::waitForRecorder() {
  std::unique_lock lock(results_mutex_);
  recorded_wake_.wait(lock,
                      [&] { return stopping_.load() || unrecorded_ < options_.max_unrecorded; });
  return !stopping_.load();
}

bool Dispatcher::waitForToken(Lane& lane) {
  std::unique_lock lock(lane.mutex);
  bool counted = false;
  for (;;) {
    if (stopping_) break;
    const DurationMs wait = lane.bucket.take(clock_.now());
    if (wait == 0) {
      // Counted under the lane lock, so stop() either sees this send or this worker sees stop.
      ++sending_;
      if (counted) --rate_limited_;
      return true;
    }
    if (!counted) {
      ++rate_limited_;
      counted = true;
    }
    // The token is due `wait` ms later on the Clock; a ManualClock may jump meanwhile (notify()
    // wakes us), a real one gets re-read at least every poll interval.
    lane.wake.wait_for(lock, std::chrono::milliseconds(std::min(wait, options_.poll_interval)));
  }
  if (counted) --rate_limited_;
  return false;
}

void Dispatcher::sendOne(Lane& lane, const ClaimedMessage& row) {
  const DeliveryChannel& channel = lane.channel;
  DeliveryOutcome outcome;
  auto message = buildOutboundMessage(row, channel.kind);
  if (!message) {
    outcome = failedWithoutAttempt(row.id, message.error().message, clock_.now());
  } else {
    SendResult result;
    // A measurement of the connector, not a decision: real elapsed time whatever the Clock.
    const auto started = std::chrono::steady_clock::now();
    try {
      result = channel.connector->send(*message);
    } catch (const std::exception& e) {
      // A connector must not throw; if one does, treat it as a temporary failure.
      result = SendResult::retry(std::string("connector error: ") + e.what());
    } catch (...) {
      result = SendResult::retry("connector error");
    }
    lane.stats.connector_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    outcome = decideOutcome(row.id, result, row.attempts, row.created_at, clock_.now(),
                            channel.settings, options_.backoff, drawRandom());
    if (result.status == SendResult::Status::kFailed && result.hard_bounce) {
      outcome.suppression = bounceSuppression(row, channel.kind, result.reason);
    }
  }
  // A retry is late from when the message was first due; only its creation time is kept.
  pushOutcome({std::move(outcome), &lane.stats, row.attempts == 0 ? row.due_at : row.created_at});
  {
    std::lock_guard lock(drain_mutex_);
    --sending_;
  }
  drained_.notify_all();
}

void Dispatcher::pushOutcome(PendingOutcome pending) {
  {
    std::lock_guard lock(results_mutex_);
    results_.push_back(std::move(pending));
    ++unrecorded_;
  }
  results_wake_.notify_one();
}

void Dispatcher::recordLoop() {
  std::uint64_t failures_in_a_row = 0;  // to log a store outage once, not every poll
  for (;;) {
    std::vector<PendingOutcome> batch;
    bool stopping = false;
    std::chrono::steady_clock::time_point give_up_at;
    {
      std::unique_lock lock(results_mutex_);
      results_wake_.wait(lock, [&] { return recorder_stopping_ || !results_.empty(); });
      if (results_.empty()) return;
      // Many sends in flight: linger a moment so one transaction records many outcomes (the
      // writer's cost is per transaction as much as per row). Sending is not held up by this.
      if (!recorder_stopping_ && static_cast<int>(results_.size()) < options_.record_batch &&
          in_flight_count_.load() > options_.record_batch / 8) {
        results_wake_.wait_for(lock, std::chrono::milliseconds(options_.record_linger_ms), [&] {
          return recorder_stopping_ || static_cast<int>(results_.size()) >= options_.record_batch;
        });
      }
      while (!results_.empty() && static_cast<int>(batch.size()) < options_.record_batch) {
        batch.push_back(std::move(results_.front()));
        results_.pop_front();
      }
      stopping = recorder_stopping_;
      give_up_at = give_up_at_;
    }
    // One job (one savepoint in the writer's group commit) for the whole batch.
    std::vector<DeliveryOutcome> outcomes;
    outcomes.reserve(batch.size());
    for (auto& p : batch) outcomes.push_back(std::move(p.outcome));
    Result<void> written = store_.write([&outcomes](Tx& tx) -> Result<void> {
      tx.outbox().recordOutcomes(outcomes);
      return ok();
    });
    for (size_t i = 0; i < batch.size(); ++i) batch[i].outcome = std::move(outcomes[i]);
    if (written) {
      if (failures_in_a_row > 0) {
        spdlog::info("msg=\"recording delivery outcomes works again\" failures={}",
                     failures_in_a_row);
        failures_in_a_row = 0;
      }
      for (const auto& p : batch) countRecorded(p);
      forgetAfterCommit(batch);
      {
        std::lock_guard lock(results_mutex_);
        unrecorded_ -= static_cast<int>(batch.size());
      }
      recorded_wake_.notify_all();
      // Rows freed: the claimer may have skipped some for want of room.
      {
        std::lock_guard lock(mutex_);
        claim_requested_ = true;
      }
      claim_wake_.notify_one();
      continue;
    }
    ++store_errors_;
    if (stopping && std::chrono::steady_clock::now() >= give_up_at) {
      spdlog::error(
          "msg=\"cannot record delivery outcomes at shutdown; the rows stay pending and will be "
          "sent again\" count={} error=\"{}\"",
          batch.size(), written.error().message);
      for (const auto& p : batch) release(p.outcome.message_id);
      {
        std::lock_guard lock(results_mutex_);
        unrecorded_ -= static_cast<int>(batch.size());
      }
      continue;
    }
    if (++failures_in_a_row % 100 == 1) {
      spdlog::error(
          "msg=\"recording delivery outcomes failed; will retry\" count={} failures={} "
          "error=\"{}\"",
          batch.size(), failures_in_a_row, written.error().message);
    }
    std::unique_lock lock(results_mutex_);
    results_.insert(results_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    results_wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval));
  }
}

void Dispatcher::countRecorded(const PendingOutcome& p) {
  using Status = DeliveryOutcome::Status;
  ChannelStats* stats = p.stats;
  switch (p.outcome.status) {
    case Status::kSent:
      ++sent_;
      if (stats) {
        stats->sent.fetch_add(1, std::memory_order_relaxed);
        stats->delivery_seconds.observe(
            static_cast<double>(std::max<TimeMs>(0, p.outcome.at - p.due_at)) / 1000.0);
      }
      break;
    case Status::kRetry:
      ++retried_;
      if (stats) stats->retried.fetch_add(1, std::memory_order_relaxed);
      break;
    case Status::kFailed:
      ++failed_;
      if (stats) stats->failed.fetch_add(1, std::memory_order_relaxed);
      break;
    case Status::kDead:
      ++dead_;
      if (stats) stats->dead.fetch_add(1, std::memory_order_relaxed);
      break;
    case Status::kWithdrawn:
      ++withdrawn_;
      if (stats)
        stats->withdrawn[static_cast<size_t>(p.withdrawn_by)].fetch_add(1,
                                                                        std::memory_order_relaxed);
      break;
  }
}

void Dispatcher::forgetAfterCommit(const std::vector<PendingOutcome>& batch) {
  std::lock_guard lock(mutex_);
  for (const auto& p : batch) recorded_.push_back(p.outcome.message_id);
  in_flight_count_ -= static_cast<std::int64_t>(batch.size());
}

void Dispatcher::release(std::int64_t id) {
  std::lock_guard lock(mutex_);
  if (in_flight_.erase(id) > 0) --in_flight_count_;
}

double Dispatcher::drawRandom() {
  if (options_.random) return options_.random();
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace journeyd
