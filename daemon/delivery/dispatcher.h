#pragma once
/// The dispatcher: sends the rows of the `messages` outbox through the configured channels and
/// records what happened.
///
/// Threads: one claimer reads due rows on its own read-only connection and hands them to the
/// row's channel; each channel has `concurrency` worker threads that wait for the channel's
/// token bucket and call Connector::send; one recorder batches the outcomes of many sends into
/// one StoreWriter job (one transaction) and only then releases the rows for claiming again.
///
/// Delivery guarantee (the transactional outbox, ARCHITECTURE.md principle 4):
/// - A row is claimed in memory only; nothing is written before the send. If the process dies
///   while a send is in flight, the row is still 'pending' and is sent again after restart:
///   delivery is at least once, and every attempt carries the row's idempotency key
///   (OutboundMessage::id → webhook-id, Message-ID, provider header) so the receiver can drop
///   the duplicate.
/// - A row recorded 'sent' (or failed/dead) is never sent again: only 'pending' rows are read,
///   and a claimed row is not claimed again until its outcome has committed.
/// - Outcomes sit in memory between the send and the commit of their batch (milliseconds); a
///   crash in that window is the in-flight case above.
/// - stop() stops claiming, lets sends already inside a connector finish (bounded by
///   drain_timeout and the connectors' own timeouts), records their outcomes and joins. Rows
///   claimed but not yet handed to a connector stay 'pending'. Stop the dispatcher before the
///   store.
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/histogram.h"
#include "daemon/delivery/channels.h"
#include "daemon/delivery/outbox.h"
#include "daemon/delivery/policy.h"
#include "daemon/delivery/retry_policy.h"
#include "daemon/store/store.h"

namespace journeyd {

struct DispatcherOptions {
  /// Real time between two reads of the outbox when nobody calls notify(); also how often a
  /// send waiting for a rate-limit token re-reads the Clock. Lower: faster pick-up of retries
  /// that come due; higher: fewer idle queries.
  DurationMs poll_interval = 200;
  /// Rows claimed per read at most, and rows looked at per read at most (rows already in
  /// flight or for a full channel are skipped but still read).
  int claim_batch = 1024;
  int scan_limit = 2048;
  /// Rows claimed and not yet recorded, across channels; back-pressure on the claimer.
  int max_in_flight = 4096;
  /// Rows waiting for a worker per channel, as a multiple of the channel's concurrency. The
  /// claimer refills a channel when its queue is down to a quarter.
  int queue_per_worker = 16;
  /// Outcomes recorded in one store job at most.
  int record_batch = 512;
  /// Sends finished and not yet recorded, at most: workers wait before the next send while the
  /// recorder is this far behind. After a crash these are the messages that may go out again
  /// (with the same idempotency key), so this bounds the duplicates a crash can cause.
  int max_unrecorded = 256;
  /// With many sends in flight, how long the recorder waits for a fuller batch (real ms).
  DurationMs record_linger_ms = 5;
  /// How long stop() waits for sends inside a connector before giving up on recording them.
  DurationMs drain_timeout = 30 * kSecondMs;
  BackoffPolicy backoff;
  /// Uniform draws in [0, 1] for the backoff jitter; a per-thread generator when empty. Tests
  /// pin it to make the retry time exact.
  std::function<double()> random;
};

/// One channel's figures for /metrics: totals since start().
struct ChannelMetrics {
  std::string channel;
  std::uint64_t sent = 0, retried = 0, failed = 0, dead = 0;
  std::array<std::uint64_t, kSkipKinds> withdrawn{};  ///< taken back at claim, by SkipKind
  HistogramSnapshot delivery_seconds;   ///< due → the channel accepted it (sent only)
  HistogramSnapshot connector_seconds;  ///< each Connector::send call, whatever its result
};

/// Counters for /metrics: totals since start() except the gauges.
struct DispatcherMetrics {
  std::uint64_t sent = 0;
  std::uint64_t retried = 0;
  std::uint64_t failed = 0;
  std::uint64_t dead = 0;
  std::uint64_t withdrawn = 0;  ///< taken back at claim (consent withdrawn, suppressed, opted out)
  std::uint64_t store_errors = 0;  ///< outcome batches the store refused (retried)
  std::int64_t in_flight = 0;      ///< gauge: rows claimed and not yet recorded
  std::int64_t rate_limited = 0;   ///< gauge: sends waiting for a rate-limit token
  /// Every configured channel by name; rows for a channel not configured come last, named
  /// "unconfigured", when there were any.
  std::vector<ChannelMetrics> channels;
};

/// Sends outbox rows; start()/stop()/notify()/metrics() may be called from any thread.
class Dispatcher {
 public:
  /// `store`, `channels` and `clock` must outlive the dispatcher.
  Dispatcher(Store& store, const Channels& channels, const Clock& clock,
             DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Starts the threads. At most once per Dispatcher.
  [[nodiscard]] Result<void> start();
  /// Drains and joins (see the header comment). Idempotent; also run by the destructor.
  void stop();
  /// New rows were queued or the clock moved: read the outbox now, re-check rate limits now.
  /// Cheap; call it after start().
  void notify();

  [[nodiscard]] DispatcherMetrics metrics() const;

  /// Reads of the outbox the claimer has made (at least one every poll_interval, with or without
  /// due rows): the watchdog pets systemd only while it moves. (The recorder waits on the
  /// writer, which the watchdog checks by itself.)
  [[nodiscard]] std::uint64_t claimerHeartbeat() const { return claim_beats_.load(); }

 private:
  struct Lane;
  /// One channel's counters and histograms; recorded with relaxed atomics from any thread.
  struct ChannelStats {
    std::atomic<std::uint64_t> sent{0}, retried{0}, failed{0}, dead{0};
    std::array<std::atomic<std::uint64_t>, kSkipKinds> withdrawn{};
    Histogram delivery_seconds{latency_buckets::kDelivery};
    Histogram connector_seconds{latency_buckets::kConnector};
  };
  /// An outcome waiting for the recorder, with where to count it once it has committed.
  struct PendingOutcome {
    DeliveryOutcome outcome;
    ChannelStats* stats = nullptr;
    TimeMs due_at = 0;                         ///< with a send: when the message was due
    SkipKind withdrawn_by = SkipKind::kOther;  ///< with a withdrawal
  };

  void claimLoop();
  /// One read of due rows; `from_start`: from the oldest rather than from where the last stopped.
  void claimOnce(bool from_start);
  void workerLoop(Lane& lane);
  bool waitForToken(Lane& lane);
  /// Waits while max_unrecorded outcomes wait for the recorder; false when stopping.
  bool waitForRecorder();
  void sendOne(Lane& lane, const ClaimedMessage& row);
  void recordLoop();
  void pushOutcome(PendingOutcome pending);
  /// Counts a committed outcome: the totals, and its channel's counters and latency.
  void countRecorded(const PendingOutcome& p);
  /// Forgets a claim whose row was not changed (dropped at stop, read failed).
  void release(std::int64_t id);
  /// Forgets claims whose outcomes just committed, at the claimer's next read (see claimOnce).
  void forgetAfterCommit(const std::vector<PendingOutcome>& batch);
  double drawRandom();

  Store& store_;
  const Channels& channels_;
  const Clock& clock_;
  const DispatcherOptions options_;

  std::map<std::string, std::unique_ptr<Lane>, std::less<>> lanes_;
  OutboxCursor cursor_;  // claimer thread only

  // Claim state, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable claim_wake_;
  std::unordered_set<std::int64_t> in_flight_;  // claimed ids, including recorded_
  std::vector<std::int64_t> recorded_;          // committed, to forget before the next read
  bool claim_requested_ = false;
  bool started_ = false;
  bool stopped_ = false;

  // Outcomes waiting for the recorder, guarded by results_mutex_.
  std::mutex results_mutex_;
  std::condition_variable results_wake_;
  std::deque<PendingOutcome> results_;
  int unrecorded_ = 0;                     // outcomes pushed and not yet committed
  std::condition_variable recorded_wake_;  // a commit made room under max_unrecorded
  bool recorder_stopping_ = false;
  std::chrono::steady_clock::time_point give_up_at_;  // set by stop(): last try to record

  // Read by every thread; set under mutex_ and then each lane's mutex, so a waiter that
  // checked it under either lock cannot miss the wake-up.
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> sending_{0};  // workers inside Connector::send
  std::mutex drain_mutex_;
  std::condition_variable drained_;

  std::atomic<std::uint64_t> sent_{0}, retried_{0}, failed_{0}, dead_{0}, withdrawn_{0},
      store_errors_{0};
  std::atomic<std::uint64_t> claim_beats_{0};
  std::atomic<std::int64_t> in_flight_count_{0}, rate_limited_{0};
  ChannelStats unconfigured_;  // rows whose channel is not configured (failed without a send)

  std::thread claimer_;
  std::thread recorder_;
};

}  // namespace journeyd
