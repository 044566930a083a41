#include "daemon/api/metrics_page.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "daemon/api/prometheus.h"
#include "daemon/delivery/dispatcher.h"
#include "daemon/scheduler/journey_runtime.h"
#include "daemon/store/store.h"

namespace journeyd {

LiveFiguresCache::LiveFiguresCache(Store& store, const Clock& clock,
                                   std::chrono::milliseconds max_age)
    : store_(store), clock_(clock), max_age_(max_age) {}

std::optional<std::pair<LiveFigures, TimeMs>> LiveFiguresCache::get() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (figures_ && now - read_at_ < max_age_) return figures_;
  const TimeMs at = clock_.now();
  auto read = store_.withSnapshot("read the metrics' gauges", [&](const Snapshot& s) {
    return Result<LiveFigures>(s.reports().liveFigures(at));
  });
  if (!read) return std::nullopt;  // a failed read is not cached: the next scrape tries again
  figures_.emplace(std::move(*read), at);
  read_at_ = now;
  return figures_;
}

namespace {

void ingestFamilies(PrometheusText& out, const IngestMetrics& m) {
  static const char* kTypes[] = {"identify", "track", "page", "screen", "alias", "group"};
  out.family("journeyd_ingest_messages_total", "counter",
             "Messages accepted by the ingestion API, by type.");
  for (size_t i = 0; i < m.messages_by_type.size(); ++i) {
    out.sample("journeyd_ingest_messages_total", m.messages_by_type[i].load(),
               {{"type", kTypes[i]}});
  }
  out.counter("journeyd_ingest_duplicates_total", "Messages dropped as repeats of a messageId.",
              m.duplicates.load());
  out.counter("journeyd_ingest_rejected_total", "Ingestion requests refused as bad input.",
              m.rejected.load());
  out.counter("journeyd_http_unauthorized_total", "Requests refused for a missing or wrong key.",
              m.unauthorized.load());
  out.counter("journeyd_ingest_requests_total", "Ingestion requests received.", m.requests.load());
  out.counter("journeyd_store_failures_total", "Writes the store could not commit.",
              m.store_failures.load());
  out.counter("journeyd_inbound_sms_accepted_total",
              "Signed inbound SMS replies taken (with a keyword or not).",
              m.inbound_sms_accepted.load());
  out.counter("journeyd_inbound_sms_refused_total",
              "Inbound SMS posts refused: unsigned, wrongly signed or without a valid From.",
              m.inbound_sms_refused.load());
}

void storeFamilies(PrometheusText& out, const Store& store) {
  out.counter("journeyd_store_transactions_total", "Write transactions committed (group commits).",
              store.transactions());
  out.counter("journeyd_store_jobs_total", "Write jobs committed.", store.jobsCommitted());
  out.family("journeyd_store_commit_seconds", "histogram",
             "Time the store's writer took for one group commit, BEGIN to COMMIT.");
  out.histogram("journeyd_store_commit_seconds", store.commitSeconds());
}

/// Every journey the page speaks of: those loaded now (at 0 until something happens), and any
/// other with counts since start or enrollments in flight (a journey removed by a reload).
std::set<std::string> journeyIds(JourneyRuntime* runtime, const RuntimeTallies& tallies,
                                 const LiveFigures* live) {
  std::set<std::string> ids;
  if (runtime) {
    if (auto ctx = runtime->context(); ctx && ctx->catalog) {
      for (const auto& j : ctx->catalog->journeys) ids.insert(j->id);
    }
  }
  for (const auto& [id, _] : tallies.journeys) ids.insert(id);
  if (live) {
    for (const auto& [id, _] : live->active_by_journey) ids.insert(id);
  }
  return ids;
}

void journeyFamilies(PrometheusText& out, JourneyRuntime& runtime, const RuntimeTallies& tallies,
                     const std::set<std::string>& journeys) {
  const JourneyTally kNone;
  auto tally = [&](const std::string& id) -> const JourneyTally& {
    auto it = tallies.journeys.find(id);
    return it == tallies.journeys.end() ? kNone : it->second;
  };
  out.family("journeyd_journey_entered_total", "counter", "Customers who entered the journey.");
  for (const auto& id : journeys)
    out.sample("journeyd_journey_entered_total", tally(id).entered, {{"journey", id}});
  out.family("journeyd_journey_converted_total", "counter",
             "Enrollments of the journey that reached its goal.");
  for (const auto& id : journeys)
    out.sample("journeyd_journey_converted_total", tally(id).converted, {{"journey", id}});
  out.family(
      "journeyd_journey_exited_total", "counter",
      "Enrollments of the journey that ended, by reason (completed, converted, exit_when, ...).");
  for (const auto& id : journeys) {
    for (const auto& [reason, n] : tally(id).exited) {
      out.sample("journeyd_journey_exited_total", n,
                 {{"journey", id}, {"reason", exitReasonName(reason)}});
    }
  }
  const RuntimeMetrics& r = runtime.metrics();
  out.counter("journeyd_journey_transitions_total", "Enrollments moved on by an event or wake-up.",
              r.advanced.load());
  out.counter("journeyd_messages_queued_total", "Messages written to the outbox to be sent.",
              r.messages_queued.load());
  out.counter("journeyd_messages_not_sent_total",
              "Messages recorded as skipped or failed when queued (never sent).",
              r.messages_skipped.load());
  out.counter("journeyd_plans_total", "Customer plans committed by the planners.", r.plans.load());
  out.counter("journeyd_plan_conflicts_total",
              "Plans refused because the customer changed meanwhile (planned again).",
              r.conflicts.load());
  out.counter("journeyd_scheduler_wakeups_total",
              "Inbox items, wake-ups, re-checks and entries the planners handled.", r.work.load());
}

void deliveryFamilies(PrometheusText& out, const DispatcherMetrics& m) {
  struct Counter {
    const char* name;
    const char* help;
    std::uint64_t ChannelMetrics::*field;
  };
  static const Counter kCounters[] = {
      {"journeyd_messages_sent_total", "Messages the channel accepted.", &ChannelMetrics::sent},
      {"journeyd_messages_retried_total", "Send attempts that failed and will be retried.",
       &ChannelMetrics::retried},
      {"journeyd_messages_failed_total", "Messages the channel refused for good.",
       &ChannelMetrics::failed},
      {"journeyd_messages_dead_total", "Messages given up after max_attempts or max_age.",
       &ChannelMetrics::dead},
  };
  for (const auto& c : kCounters) {
    out.family(c.name, "counter", c.help);
    for (const auto& ch : m.channels) out.sample(c.name, ch.*(c.field), {{"channel", ch.channel}});
  }
  out.counter("journeyd_messages_withdrawn_total",
              "Queued messages taken back when claimed: opted out, suppressed or consent withdrawn "
              "since queueing.",
              m.withdrawn);
  out.gauge("journeyd_messages_in_flight", "Messages claimed and not yet recorded.",
            static_cast<double>(m.in_flight));
  out.gauge("journeyd_messages_rate_limited", "Sends waiting for their channel's rate-limit token.",
            static_cast<double>(m.rate_limited));
  out.family("journeyd_delivery_latency_seconds", "histogram",
             "From when a message was due (queued, or the end of its deferral) to when its channel "
             "accepted it.");
  for (const auto& ch : m.channels) {
    out.histogram("journeyd_delivery_latency_seconds", ch.delivery_seconds,
                  {{"channel", ch.channel}});
  }
  out.family("journeyd_connector_send_seconds", "histogram",
             "Duration of one send through the channel's connector.");
  for (const auto& ch : m.channels) {
    out.histogram("journeyd_connector_send_seconds", ch.connector_seconds,
                  {{"channel", ch.channel}});
  }
}

/// Skipped when queued (the planner) and withdrawn when claimed (the dispatcher), by channel
/// and kind of rule; every kind of every channel known, so a rate over it starts at 0.
void skippedFamily(PrometheusText& out, const RuntimeTallies& tallies,
                   const DispatcherMetrics* delivery, const std::set<std::string>& channels) {
  std::map<std::string, std::array<std::uint64_t, kSkipKinds>> skipped;
  for (const auto& name : channels) skipped[name] = {};
  for (const auto& [name, counts] : tallies.skipped_by_channel) {
    auto& into = skipped[name];
    for (size_t i = 0; i < kSkipKinds; ++i) into[i] += counts[i];
  }
  if (delivery) {
    for (const auto& ch : delivery->channels) {
      auto& into = skipped[ch.channel];
      for (size_t i = 0; i < kSkipKinds; ++i) into[i] += ch.withdrawn[i];
    }
  }
  out.family("journeyd_messages_skipped_total", "counter",
             "Messages not sent because a rule said no, by channel and kind of rule (when queued "
             "or when claimed).");
  for (const auto& [name, counts] : skipped) {
    for (size_t i = 0; i < kSkipKinds; ++i) {
      out.sample("journeyd_messages_skipped_total", counts[i],
                 {{"channel", name}, {"reason", skipKindName(static_cast<SkipKind>(i))}});
    }
  }
}

void liveFamilies(PrometheusText& out, const LiveFigures& f, TimeMs at,
                  const std::set<std::string>& channels, const std::set<std::string>& journeys) {
  std::map<std::string, std::int64_t> backlog;
  for (const auto& name : channels) backlog[name] = 0;
  for (const auto& b : f.backlog) backlog[b.channel] = b.due;
  out.family("journeyd_outbox_backlog", "gauge", "Messages due and not yet sent, by channel.");
  for (const auto& [name, n] : backlog)
    out.sample("journeyd_outbox_backlog", n, {{"channel", name}});
  const double oldest =
      f.oldest_due_at ? static_cast<double>(std::max<TimeMs>(0, at - *f.oldest_due_at)) / 1000.0
                      : 0;
  out.gauge("journeyd_outbox_oldest_due_seconds",
            "How long the longest-waiting due message has waited (0: none).", oldest);
  out.gauge("journeyd_wakeups_overdue",
            "Scheduled wake-ups (waits, date entries, broadcasts, segment re-checks) whose time "
            "has passed.",
            static_cast<double>(f.overdue_wakeups));
  std::map<std::string, std::int64_t> active;
  for (const auto& id : journeys) active[id] = 0;
  for (const auto& [id, n] : f.active_by_journey) active[id] = n;
  out.family("journeyd_journey_active", "gauge",
             "Customers in the journey now (enrollments not finished).");
  for (const auto& [id, n] : active) out.sample("journeyd_journey_active", n, {{"journey", id}});
}

}  // namespace

std::string metricsPage(const MetricsSources& s) {
  PrometheusText out;
  if (s.ingest) ingestFamilies(out, *s.ingest);
  if (s.store) storeFamilies(out, *s.store);

  std::optional<std::pair<LiveFigures, TimeMs>> live;
  if (s.live) live = s.live->get();
  const RuntimeTallies tallies = s.runtime ? s.runtime->metrics().tallies() : RuntimeTallies{};
  const std::set<std::string> journeys =
      journeyIds(s.runtime, tallies, live ? &live->first : nullptr);
  if (s.runtime) journeyFamilies(out, *s.runtime, tallies, journeys);

  std::optional<DispatcherMetrics> delivery;
  if (s.dispatcher) delivery = s.dispatcher->metrics();
  std::set<std::string> channels;
  if (delivery) {
    for (const auto& ch : delivery->channels) channels.insert(ch.channel);
    deliveryFamilies(out, *delivery);
  }
  if (s.runtime || delivery) skippedFamily(out, tallies, delivery ? &*delivery : nullptr, channels);
  if (live) liveFamilies(out, live->first, live->second, channels, journeys);

  out.gauge(
      "journeyd_ready",
      "1 when the daemon is ready to serve (store readable and writable, journeys loaded), else 0.",
      s.ready ? 1 : 0);
  out.family("journeyd_build_info", "gauge",
             "Always 1; the version of the running daemon is in its label.");
  out.sample("journeyd_build_info", std::int64_t{1}, {{"version", JOURNEYD_VERSION}});
  return out.text();
}

}  // namespace journeyd
