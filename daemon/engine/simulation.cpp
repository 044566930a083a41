#include "daemon/engine/simulation.h"

#include <algorithm>


namespace journeyd {

namespace {

constexpr int kMaxIterations = 100000;

void applyEvent(nlohmann::json& customer, const SimulationEvent& ev) {
  if (ev.name == "identify") {
    for (auto& [k, v] : ev.properties.items()) customer[k] = v;
    return;
  }
  if (ev.name == "Order Completed") {
    customer["orders_count"] = customer.value("orders_count", 0) + 1;
    customer["last_order_at"] = formatIsoTime(ev.time);
    if (!customer.contains("first_order_at")) customer["first_order_at"] = formatIsoTime(ev.time);
    double amount = 0;
    for (const char* field : {"revenue", "total"}) {
      if (ev.properties.contains(field) && ev.properties[field].is_number()) amount = ev.properties[field].get<double>();
    }
    double spent = customer.contains("total_spent") && customer["total_spent"].is_number()
                       ? customer["total_spent"].get<double>() : 0.0;
    customer["total_spent"] = spent + amount;
  }
}

/// Holds the simulated world: the customer, its event history and the clock.
class Simulator {
 public:
  Simulator(const Journey& journey, nlohmann::json customer, std::vector<SimulationEvent> events,
            const SimulationOptions& options)
      : j_(journey), options_(options), events_(std::move(events)) {
    r_.customer = std::move(customer);
    if (!r_.customer.is_object()) r_.customer = nlohmann::json::object();
    std::stable_sort(events_.begin(), events_.end(),
                     [](const SimulationEvent& a, const SimulationEvent& b) { return a.time < b.time; });
  }

  SimulationResult run() {
    TimeMs end = options_.start + options_.duration;
    size_t next_event = 0;
    if (j_.trigger.kind == TriggerKind::kEvent) {
      // Events before the trigger only shape the customer.
      for (; next_event < events_.size() && events_[next_event].time <= end && !r_.entered; ++next_event) {
        const auto& ev = events_[next_event];
        record(ev);
        TriggerInput input{TriggerKind::kEvent, {ev.name, ev.properties, ev.time}};
        tryEnter(input, ev.time);
      }
    } else if (auto at = nonEventEntry()) {
      for (; next_event < events_.size() && events_[next_event].time <= *at; ++next_event) record(events_[next_event]);
      TriggerInput input{j_.trigger.kind, {j_.trigger.name, nlohmann::json::object(), *at}};
      if (*at <= end) tryEnter(input, *at);
    }
    if (!r_.entered) {
      if (r_.entry_reason.empty()) r_.entry_reason = "never triggered before the end of the timeline";
      if (r_.trace.empty()) r_.trace.push_back({options_.start, "", "did not enter: " + r_.entry_reason});
      return std::move(r_);
    }
    for (int i = 0; i < kMaxIterations && r_.enrollment.listening(); ++i) {
      std::optional<TimeMs> wake = r_.enrollment.wake_at;
      bool event_first = next_event < events_.size() && (!wake || events_[next_event].time <= *wake);
      TimeMs t = event_first ? events_[next_event].time : wake.value_or(end + 1);
      if (t > end) break;
      Input input;
      input.now = t;
      if (event_first) {
        const auto& ev = events_[next_event++];
        record(ev);
        input.kind = InputKind::kEvent;
        input.event = {ev.name, ev.properties, ev.time};
      } else {
        input.kind = InputKind::kWake;
      }
      step(input);
    }
    return std::move(r_);
  }

 private:
  std::optional<TimeMs> nonEventEntry() {
    switch (j_.trigger.kind) {
      case TriggerKind::kDateAttribute:
      case TriggerKind::kSchedule: {
        JsonEvalContext ctx(nlohmann::json{{"customer", r_.customer}}, options_.start, history_);
        auto at = nextScheduledEntry(j_, ctx, options_.start - 1);
        if (!at) r_.entry_reason = "no " + std::string(triggerKindName(j_.trigger.kind)) + " moment ahead (" + j_.trigger.name + ")";
        return at;
      }
      default: return options_.start;  // segment entered/exited, attribute changed, api: at the start
    }
  }

  void tryEnter(const TriggerInput& input, TimeMs now) {
    JsonEvalContext ctx(nlohmann::json{{"customer", r_.customer}}, now, history_);
    auto decision = decideEntry(j_, input, ctx, {}, now);
    r_.entry_reason = decision.reason;
    if (!decision.enter) {
      if (triggerMatches(j_, input, ctx)) r_.trace.push_back({now, "", "did not enter: " + decision.reason});
      return;
    }
    r_.entered = true;
    absorb(startEnrollment(j_, options_.customer_id, input.event, ctx, now), now);
  }

  void step(const Input& input) {
    JsonEvalContext ctx(nlohmann::json{{"customer", r_.customer}}, input.now, history_);
    absorb(advance(j_, r_.enrollment, ctx, input), input.now);
  }

  void absorb(Transition t, TimeMs now) {
    r_.enrollment = std::move(t.enrollment);
    for (auto& line : t.trace) r_.trace.push_back(std::move(line));
    bool changed = false;
    for (auto& fx : t.effects) {
      if (fx.kind == EffectKind::kUpdateCustomer) {
        applyCustomerUpdate(r_.customer, fx);
        changed = true;
      } else if (fx.kind == EffectKind::kEmitEvent) {
        history_.push_back({fx.name, now, fx.data});
      }
      nlohmann::json snapshot = fx.kind == EffectKind::kSend ? r_.customer : nlohmann::json();
      r_.effects.push_back({now, std::move(fx), std::move(snapshot)});
    }
    // The profile changed under a waiting enrollment: exit_when and goal conditions look again.
    if (changed && r_.enrollment.listening()) {
      Input input;
      input.kind = InputKind::kCustomerChanged;
      input.now = now;
      step(input);
    }
  }

  void record(const SimulationEvent& ev) {
    applyEvent(r_.customer, ev);
    history_.push_back({ev.name, ev.time, ev.properties});
  }

  const Journey& j_;
  SimulationOptions options_;
  std::vector<SimulationEvent> events_;
  std::vector<EventRecord> history_;
  SimulationResult r_;
};

}  // namespace

void applyCustomerUpdate(nlohmann::json& customer, const Effect& update) {
  if (!customer.contains("traits") || !customer["traits"].is_object()) customer["traits"] = nlohmann::json::object();
  for (auto& [k, v] : update.set.items()) customer["traits"][k] = v;
  for (const auto& k : update.unset) customer["traits"].erase(k);
  if (!customer.contains("tags") || !customer["tags"].is_array()) customer["tags"] = nlohmann::json::array();
  auto& tags = customer["tags"];
  for (const auto& tag : update.add_tags) {
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  for (const auto& tag : update.remove_tags) {
    tags.erase(std::remove(tags.begin(), tags.end(), tag), tags.end());
  }
}

SimulationResult simulateJourney(const Journey& journey, nlohmann::json customer, std::vector<SimulationEvent> events,
                                 const SimulationOptions& options) {
  return Simulator(journey, std::move(customer), std::move(events), options).run();
}

std::string formatTimeline(const SimulationResult& result) {
  std::string out;
  for (const auto& line : result.trace) out += line.format() + "\n";
  return out;
}

}  // namespace journeyd
