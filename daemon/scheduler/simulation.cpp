#include "daemon/scheduler/simulation.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "daemon/core/clock.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/delivery/policy.h"
#include "daemon/scheduler/journey_runtime.h"
#include "daemon/scheduler/report.h"
#include "daemon/store/sqlite_store.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

/// A folder of its own under the temporary directory, removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "journeyd-simulate-XXXXXX").string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::optional<TimeMs> timeField(const json& customer, const char* key) {
  auto it = customer.find(key);
  if (it == customer.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<TimeMs>();
  if (it->is_string()) return parseIsoTime(it->get<std::string>());
  return std::nullopt;
}

std::string textField(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return {};
}

/// Stores the customer of the file: their number, identities, traits, zone and order facts.
Result<void> seedCustomer(Store& store, const CustomerWriter& writer, const JourneyRuntime& runtime,
                          const json& c, CustomerId number, TimeMs start) {
  return store.write([&](Tx& tx) -> Result<void> {
    tx.customers().create(start, number);
    std::string user_id = textField(c, "user_id");
    if (user_id.empty()) user_id = textField(c, "id");
    if (user_id.empty()) user_id = "simulated-customer";
    tx.customers().attachIdentity(number, IdentityKind::kUser, user_id, start);
    InboundMessage m;
    m.type = MessageType::kIdentify;
    m.user_id = user_id;
    m.message_id = "simulate-customer";
    m.timestamp = m.received_at = start;
    m.traits = json::object();
    static const char* kSystem[] = {"id",
                                    "user_id",
                                    "orders_count",
                                    "total_spent",
                                    "first_order_at",
                                    "last_order_at",
                                    "purchase_days",
                                    "segments",
                                    "traits"};
    for (const auto& [key, value] : c.items()) {
      if (std::find_if(std::begin(kSystem), std::end(kSystem),
                       [&](const char* s) { return key == s; }) == std::end(kSystem)) {
        m.traits[key] = value;
      }
    }
    if (c.contains("traits") && c["traits"].is_object()) {
      for (const auto& [key, value] : c["traits"].items()) m.traits[key] = value;
    }
    auto applied = writer.apply(tx, m);
    if (!applied) return fail(applied.error());
    const std::int64_t orders = c.value("orders_count", 0);
    if (orders > 0 || c.contains("last_order_at")) {
      const auto last = timeField(c, "last_order_at");
      tx.customers().importOrderFacts(
          number, std::max<std::int64_t>(orders, last ? 1 : 0), c.value("total_spent", 0.0),
          timeField(c, "first_order_at").value_or(last.value_or(start)), last,
          c.value("purchase_days", std::max<std::int64_t>(orders, 1)));
    }
    // Journeys and segments look at the customer as they start: segments are computed (and
    // their triggers fire); the file's traits are where they start, not a change of them.
    applied->previous_traits = m.traits;
    runtime.queueWork(tx, *applied, m);
    return ok();
  });
}

/// Plays the dispatcher: every message due now is claimed, decided again (the claim-time
/// policy) and recorded as sent, or withdrawn.
Result<void> dispatchDue(Store& store, const RuntimeCatalog& catalog, TimeMs now) {
  std::vector<DeliveryOutcome> outcomes;
  auto due = store.withSnapshot("read due messages", [&](const Snapshot& snap) -> Result<void> {
    OutboxCursor cursor;
    for (const auto& row : snap.outbox().due(
             now, cursor, 100000, 100000,
             [](std::int64_t, std::string_view) { return ClaimDecision::kTakeForPerson; })) {
      auto kind = catalog.channels.find(row.channel);
      ClaimCheck check;
      check.kind =
          channelKindName(kind == catalog.channels.end() ? ChannelKind::kEmail : kind->second);
      check.transactional = row.transactional;
      check.topic = row.topic;
      check.suppressed = row.suppressed;
      json traits;
      if (row.customer_traits) {
        traits = json::parse(*row.customer_traits, nullptr, false);
        check.customer = &traits;
      }
      DeliveryOutcome o;
      o.message_id = row.id;
      o.at = now;
      o.attempted = false;
      o.reason = withdrawAtClaim(check);
      o.status =
          o.reason.empty() ? DeliveryOutcome::Status::kSent : DeliveryOutcome::Status::kWithdrawn;
      outcomes.push_back(std::move(o));
    }
    return ok();
  });
  if (!due) return due;
  if (outcomes.empty()) return ok();
  return store.write([&](Tx& tx) -> Result<void> {
    tx.outbox().recordOutcomes(outcomes);
    return ok();
  });
}

}  // namespace

CustomerId simulatedCustomerNumber(const json& customer) {
  const std::string id = textField(customer, "id");
  if (!id.empty() && id.size() < 18 && id.find_first_not_of("0123456789") == std::string::npos &&
      id != "0") {
    return std::stoll(id);
  }
  return static_cast<CustomerId>(fnv1a64(id) >> 2) + 1;
}

Result<SimulationRun> simulate(const SimulationSetup& setup) {
  ScratchDir scratch;
  if (scratch.path().empty())
    return fail(Error::internal("cannot make a scratch folder for the simulation"));
  auto opened = openSqliteStore({scratch.path() + "/simulate.db", "off", 1000});
  if (!opened) return fail(opened.error());
  Store& store = **opened;
  ManualClock clock(setup.start);
  CustomerWriter writer(setup.orders);
  RuntimeOptions options;
  options.planners = 1;
  JourneyRuntime runtime(store, clock, options);
  auto context = std::make_shared<PlannerContext>();
  context->catalog = setup.catalog;
  context->policy = setup.policy;
  context->render_optional = true;
  runtime.setContext(context);

  const CustomerId number = simulatedCustomerNumber(setup.customer);
  if (auto r = seedCustomer(store, writer, runtime, setup.customer, number, setup.start); !r)
    return fail(r.error());
  if (auto r = runtime.publish({}); !r)
    return fail(r.error());  // date-attribute entries and broadcasts

  std::vector<SimulationEvent> events = setup.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  const std::string user_id = [&] {
    std::string u = textField(setup.customer, "user_id");
    if (u.empty()) u = textField(setup.customer, "id");
    return u.empty() ? std::string("simulated-customer") : u;
  }();
  const TimeMs end = setup.start + setup.duration;
  size_t next_event = 0;
  for (int round = 0; round < 1000000; ++round) {
    const TimeMs now = clock.now();
    // What the customer does at this moment, then what journeys make of it and of the time.
    for (; next_event < events.size() && events[next_event].time <= now; ++next_event) {
      const auto& ev = events[next_event];
      InboundMessage m;
      m.user_id = user_id;
      m.message_id = "simulate-event-" + std::to_string(next_event);
      m.timestamp = m.received_at = ev.time;
      if (ev.name == "identify") {
        m.type = MessageType::kIdentify;
        m.traits = ev.properties;
      } else {
        m.type = MessageType::kTrack;
        m.event = ev.name;
        m.properties = ev.properties;
      }
      auto applied = store.write([&](Tx& tx) -> Result<void> {
        auto a = writer.apply(tx, m);
        if (!a) return fail(a.error());
        runtime.queueWork(tx, *a, m);
        return ok();
      });
      if (!applied) return fail(applied.error());
    }
    if (auto r = runtime.runUntilIdle(); !r) return fail(r.error());
    if (auto r = dispatchDue(store, *setup.catalog, now); !r) return fail(r.error());
    // The next moment anything happens: a scripted event, a wake-up or entry, a message coming due.
    std::optional<TimeMs> next;
    if (next_event < events.size()) next = events[next_event].time;
    auto due = runtime.nextDue();
    if (!due) return fail(due.error());
    if (*due && **due > now && (!next || **due < *next)) next = **due;
    auto outbox = store.withSnapshot(
        "outbox", [&](const Snapshot& s) { return Result<OutboxStats>(s.outbox().stats(now)); });
    if (!outbox) return fail(outbox.error());
    if (outbox->next_due_at && *outbox->next_due_at > now &&
        (!next || *outbox->next_due_at < *next))
      next = outbox->next_due_at;
    if (!next || *next > end) break;
    clock.set(*next);
  }

  // The story as `explain` tells it, and per journey what became of the customer and their
  // messages.
  SimulationRun run;
  auto told = store.withSnapshot("read the simulation", [&](const Snapshot& snap) -> Result<void> {
    const json story = explainCustomer(snap, number, "");
    for (const auto& j : story["journeys"]) {
      for (const auto& l : j["lines"]) {
        run.lines.push_back({parseIsoTime(l["time"].get<std::string>()).value_or(0), j["journey"],
                             l["step"], l["text"]});
      }
    }
    std::stable_sort(run.lines.begin(), run.lines.end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    const auto enrollments = snap.enrollments().ofCustomer(number);
    const auto messages = snap.outbox().ofCustomer(number, 100000);
    for (const auto& journey : setup.catalog->journeys) {
      SimulatedJourney out;
      out.id = journey->id;
      for (const auto& e : enrollments) {
        if (e.enrollment.journey_id != journey->id) continue;
        out.entered = true;
        out.last = e.enrollment;
      }
      if (out.last) {
        out.status = enrollmentStatusName(out.last->status);
        if (out.last->finished()) out.exit_reason = exitReasonName(out.last->exit_reason);
      }
      for (const auto& l : run.lines) {
        if (l.journey != journey->id) continue;
        if (l.text.rfind("entry check: ", 0) == 0) out.entry = l.text.substr(13);
        if (l.text.rfind("did not enter: ", 0) == 0 && !out.entered) out.entry = l.text.substr(15);
        if (!out.entry.empty()) break;
      }
      if (!out.entered && out.entry.empty())
        out.entry = "never triggered before the end of the timeline";
      for (const auto& stored : messages) {
        const NewMessage& m = stored.message;
        if (m.journey_id != journey->id) continue;
        SimulatedMessage s;
        s.time = m.created_at;
        s.step = m.step_id;
        s.channel = m.channel;
        s.template_name = m.template_name;
        s.status = messageStatusName(m.status);
        s.send_at = stored.sent_at ? stored.sent_at : m.next_attempt_at;
        s.reason = m.reason;
        s.rendered = m.rendered;
        out.messages.push_back(std::move(s));
      }
      run.journeys.push_back(std::move(out));
    }
    run.customer = snap.customers().load(number);
    return ok();
  });
  if (!told) return fail(told.error());
  runtime.stop();
  store.stop();
  return run;
}

}  // namespace journeyd
