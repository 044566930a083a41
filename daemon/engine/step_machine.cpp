#include "daemon/engine/step_machine.h"

#include <algorithm>

#include "daemon/engine/journey_context.h"
#include "daemon/journeys/cron.h"

namespace journeyd {

std::string TraceLine::format() const {
  return formatIsoTime(time) + "  " + (step_id.empty() ? "-" : step_id) + "  " + text;
}

nlohmann::json eventJson(const EventArrived& event) {
  return {
      {"name", event.name}, {"properties", event.properties}, {"time", formatIsoTime(event.time)}};
}

std::string eventKey(const Journey& journey, const EventArrived& event) {
  if (!journey.key) return "";
  nlohmann::json roots = {{"event", eventJson(event)}};
  JsonEvalContext ctx(roots, event.time);
  Value v = journey.key->evaluate(ctx);
  switch (v.kind()) {
    case Value::Kind::kString:
      return std::string(v.asString());
    case Value::Kind::kNull:
      return "";
    default: {
      auto j = v.toJson();
      return j.is_string() ? j.get<std::string>() : j.dump();
    }
  }
}

int splitBucket(const std::string& customer_id, const std::string& journey_id,
                const std::string& step_id) {
  std::uint64_t h = fnv1a64(customer_id + '\x1f' + journey_id + '\x1f' + step_id);
  // FNV's low bits are weak for short similar ids: finish with the splitmix64 mixer.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<int>(h % 10000);
}

namespace {

/// One advance() call: the enrollment being changed and everything produced on the way.
class Machine {
 public:
  Machine(const Journey& journey, Enrollment enrollment, const EvalContext& customer, TimeMs now)
      : j_(journey), customer_(customer), now_(now) {
    t_.enrollment = std::move(enrollment);
    journey_json_ = {{"id", j_.id}, {"name", j_.name}, {"version", j_.version}};
  }

  Transition take() { return std::move(t_); }
  Enrollment& e() { return t_.enrollment; }

  JourneyEvalContext context(const nlohmann::json* event = nullptr) const {
    return JourneyEvalContext(customer_, now_, event ? event : &t_.enrollment.trigger_event,
                              &t_.enrollment.data, &journey_json_);
  }

  void trace(const std::string& step_id, std::string text) {
    t_.trace.push_back({now_, step_id, std::move(text)});
  }

  Effect& effect(EffectKind kind, const std::string& step_id) {
    Effect fx;
    fx.kind = kind;
    fx.step_id = step_id;
    fx.sequence = e().steps_run;
    t_.effects.push_back(std::move(fx));
    return t_.effects.back();
  }

  void finish(EnrollmentStatus status, ExitReason reason, std::string detail, std::string why) {
    e().status = status;
    e().exit_reason = reason;
    e().exit_detail = detail;
    e().finished_at = now_;
    e().due_at.reset();
    e().wait_event.clear();
    e().wait_key.clear();
    e().wake_at.reset();
    Effect& fx = effect(EffectKind::kExit, e().step_id);
    fx.reason = reason;
    fx.detail = detail;
    trace(e().step_id,
          std::string("exit: ") + exitReasonName(reason) + (why.empty() ? "" : " — " + why));
    // A completed journey still counts a conversion until the goal window closes.
    if (status == EnrollmentStatus::kCompleted && j_.goal.present && e().goal_deadline &&
        !e().converted_at) {
      e().wake_at = e().goal_deadline;
      effect(EffectKind::kWakeAt, e().step_id).time = *e().goal_deadline;
    }
  }

  /// The goal reached by this input, with the reason; empty when not reached.
  std::string goalReached(const Input& input) {
    if (!j_.goal.present || e().converted_at) return "";
    if (e().goal_deadline && now_ > *e().goal_deadline) return "";
    if (input.kind == InputKind::kEvent && !j_.goal.event.empty() &&
        input.event.name == j_.goal.event) {
      if (j_.key && eventKey(j_, input.event) != e().key) return "";
      nlohmann::json ev = eventJson(input.event);
      if (j_.goal.where) {
        auto ctx = context(&ev);
        if (!j_.goal.where->truthy(ctx)) return "";
        return "goal event '" + input.event.name + "' (" + j_.goal.where->explain(ctx) + ")";
      }
      return "goal event '" + input.event.name + "'";
    }
    if (j_.goal.when) {
      auto ctx = context();
      if (j_.goal.when->truthy(ctx)) return "goal " + j_.goal.when->explain(ctx);
    }
    return "";
  }

  void convert(const std::string& why) {
    e().converted_at = now_;
    effect(EffectKind::kConverted, e().step_id).time = now_;
    if (e().finished()) {
      e().status = EnrollmentStatus::kConverted;
      e().wake_at.reset();
      trace(e().step_id, "converted after the last step: " + why);
    } else {
      finish(EnrollmentStatus::kConverted, ExitReason::kConverted, "", why);
    }
  }

  /// Goal, exit_when and goal expiry: true when they ended the enrollment.
  bool checkConditions(const Input& input) {
    if (std::string why = goalReached(input); !why.empty()) {
      convert(why);
      return true;
    }
    if (j_.exit_when) {
      auto ctx = context();
      if (j_.exit_when->truthy(ctx)) {
        finish(EnrollmentStatus::kExited, ExitReason::kExitWhen, "",
               "exit_when " + j_.exit_when->explain(ctx));
        return true;
      }
    }
    if (j_.goal.exit_on_expiry && e().goal_deadline && now_ >= *e().goal_deadline &&
        !e().converted_at) {
      finish(EnrollmentStatus::kExited, ExitReason::kGoalWindowExpired, "",
             "no conversion within the goal window");
      return true;
    }
    return false;
  }

  /// Sets wake_at to the earliest moment anything could change on its own and reports it.
  void scheduleWake() {
    std::optional<TimeMs> wake = e().due_at;
    auto consider = [&](std::optional<TimeMs> t) {
      if (t && (!wake || *t < *wake)) wake = t;
    };
    if (j_.goal.exit_on_expiry && !e().converted_at) consider(e().goal_deadline);
    auto ctx = context();
    if (j_.exit_when) consider(j_.exit_when->nextChange(ctx));
    if (j_.goal.when && !e().converted_at) consider(j_.goal.when->nextChange(ctx));
    if (wake == e().wake_at) return;
    e().wake_at = wake;
    if (wake) effect(EffectKind::kWakeAt, e().step_id).time = *wake;
  }

  void enterWait(TimeMs due) {
    e().status = EnrollmentStatus::kWaiting;
    e().due_at = due;
    e().wake_at.reset();
    scheduleWake();
  }

  /// Runs steps from `index` until a wait, an exit or the end.
  void run(int index) {
    e().status = EnrollmentStatus::kActive;
    e().due_at.reset();
    e().wait_event.clear();
    e().wait_key.clear();
    for (int guard = 0;; ++guard) {
      if (index < 0) {
        finish(EnrollmentStatus::kCompleted, ExitReason::kCompleted, "", "end of the journey");
        return;
      }
      if (guard >= kMaxStepsPerAdvance) {
        finish(EnrollmentStatus::kExited, ExitReason::kStepLimit, "",
               "more than " + std::to_string(kMaxStepsPerAdvance) +
                   " steps without a wait (a goto loop?)");
        return;
      }
      const Step& s = j_.steps[static_cast<size_t>(index)];
      e().step_id = s.id;
      ++e().steps_run;
      index = runStep(s);
      if (index == kStop) return;
    }
  }

 private:
  static constexpr int kStop = -2;

  int runStep(const Step& s) {
    switch (s.kind) {
      case StepKind::kSend: {
        Effect& fx = effect(EffectKind::kSend, s.id);
        fx.channel = s.channel;
        fx.template_name = s.template_name;
        fx.data = e().data;
        for (auto& [k, v] : s.data.items()) fx.data[k] = v;
        trace(s.id, "send " + s.channel + " " + s.template_name);
        t_.trace.back().effect = static_cast<int>(t_.effects.size()) - 1;
        return s.next;
      }
      case StepKind::kWait:
        trace(s.id,
              "wait " + formatDuration(s.duration) + " until " + formatIsoTime(now_ + s.duration));
        enterWait(now_ + s.duration);
        return kStop;
      case StepKind::kWaitUntil:
        return waitUntil(s);
      case StepKind::kWaitFor: {
        TimeMs until = now_ + s.timeout;
        e().wait_event = s.name;
        e().wait_key = e().key;
        Effect& fx = effect(EffectKind::kWaitForEvent, s.id);
        fx.name = s.name;
        fx.key = e().key;
        fx.time = until;
        trace(s.id, "wait for '" + s.name + "'" + (e().key.empty() ? "" : " with key " + e().key) +
                        " until " + formatIsoTime(until));
        enterWait(until);  // invalidates fx: it appends to the effects vector
        return kStop;
      }
      case StepKind::kIf: {
        auto ctx = context();
        std::string why;
        for (const auto& b : s.branches) {
          if (!b.when) {
            trace(s.id, "if → else" + (why.empty() ? "" : " (" + why + ")"));
            return b.target;
          }
          std::string explained = b.when->explain(ctx);
          if (b.when->truthy(ctx)) {
            trace(s.id, "if → " + b.label + " (" + explained + ")");
            return b.target;
          }
          why += (why.empty() ? "" : "; ") + explained;
        }
        trace(s.id, "if → no branch, continue (" + why + ")");
        return s.next;
      }
      case StepKind::kSplit:
        return split(s);
      case StepKind::kUpdate: {
        Effect& fx = effect(EffectKind::kUpdateCustomer, s.id);
        fx.set = s.set;
        fx.unset = s.unset;
        fx.add_tags = s.add_tags;
        fx.remove_tags = s.remove_tags;
        trace(s.id,
              "update customer" + (s.set.empty() ? "" : " set " + s.set.dump()) +
                  (s.unset.empty() ? "" : " unset " + nlohmann::json(s.unset).dump()) +
                  (s.add_tags.empty() ? "" : " add_tags " + nlohmann::json(s.add_tags).dump()) +
                  (s.remove_tags.empty() ? ""
                                         : " remove_tags " + nlohmann::json(s.remove_tags).dump()));
        return s.next;
      }
      case StepKind::kEmit: {
        Effect& fx = effect(EffectKind::kEmitEvent, s.id);
        fx.name = s.name;
        fx.data = s.data;
        trace(s.id, "emit '" + s.name + "'");
        return s.next;
      }
      case StepKind::kExit:
        finish(EnrollmentStatus::kExited, ExitReason::kExitStep, s.name, s.name);
        return kStop;
      case StepKind::kGoto:
        trace(s.id, "goto " + s.name);
        return s.target;
    }
    return s.next;
  }

  int waitUntil(const Step& s) {
    // The customer's zone, else the business's: a calendar date is a day there, `time` a local
    // time.
    const auto* zone = customer_.timeZone();
    TimeMs target = now_;
    std::string what;
    if (s.until.date) {
      auto ctx = context();
      auto date = s.until.date->evaluate(ctx).asTime(zone);
      if (!date) {
        finish(EnrollmentStatus::kExited, ExitReason::kMissingData, s.until.date->source(),
               "wait_until date is missing: " + s.until.date->explain(ctx));
        return kStop;
      }
      target = *date + s.until.offset;
      if (s.until.minute_of_day) target = atLocalTimeOfDay(target, *s.until.minute_of_day, zone);
      if (s.until.weekday_mask != 0x7f)
        target = nextLocalMoment(target, s.until.minute_of_day, s.until.weekday_mask, zone);
      what = s.until.date->source();
    } else {
      target = nextLocalMoment(now_, s.until.minute_of_day, s.until.weekday_mask, zone);
      what = "the next allowed local time";
    }
    if (target <= now_) {
      trace(s.id, "wait_until " + what + ": " + formatIsoTime(target) + " has come, continue");
      return s.next;
    }
    trace(s.id, "wait_until " + what + ": " + formatIsoTime(target));
    enterWait(target);
    return kStop;
  }

  int split(const Step& s) {
    int bucket = splitBucket(e().customer_id, j_.id, s.id);
    const Variant* chosen = nullptr;
    if (auto it = e().variants.find(s.id); it != e().variants.end()) {
      for (const auto& v : s.variants) chosen = v.name == it->second ? &v : chosen;
    }
    int upper = 0;
    for (const auto& v : s.variants) {
      if (chosen) break;
      upper += v.basis_points;
      if (bucket < upper) chosen = &v;
    }
    if (!chosen) chosen = s.variants.empty() ? nullptr : &s.variants.back();
    if (!chosen) return s.next;
    e().variants[s.id] = chosen->name;
    trace(s.id, "split → " + chosen->name + " (bucket " + std::to_string(bucket) + " of 10000)");
    if (chosen->control) {
      finish(EnrollmentStatus::kExited, ExitReason::kControlGroup, chosen->name,
             "held out as control");
      return kStop;
    }
    return chosen->target;
  }

  const Journey& j_;
  const EvalContext& customer_;
  TimeMs now_;
  Transition t_;
  nlohmann::json journey_json_;
};

}  // namespace

Transition startEnrollment(const Journey& journey, const std::string& customer_id,
                           const EventArrived& trigger, const EvalContext& customer, TimeMs now) {
  Enrollment e;
  e.journey_id = journey.id;
  e.version = journey.version;
  e.customer_id = customer_id;
  e.key = eventKey(journey, trigger);
  e.entered_at = now;
  e.trigger_event = eventJson(trigger);
  if (trigger.properties.is_object()) e.data = trigger.properties;
  if (journey.goal.present && journey.goal.within > 0) e.goal_deadline = now + journey.goal.within;
  Machine m(journey, std::move(e), customer, now);
  m.trace("", "enter '" + journey.id + "' on " + trigger.name +
                  (m.e().key.empty() ? "" : " (key " + m.e().key + ")"));
  Input input;
  input.kind = InputKind::kCustomerChanged;
  input.now = now;
  if (!m.checkConditions(input)) m.run(journey.steps.empty() ? -1 : 0);
  return m.take();
}

Transition advance(const Journey& journey, const Enrollment& enrollment,
                   const EvalContext& customer, const Input& input) {
  TimeMs now = input.now;
  Machine m(journey, enrollment, customer, now);
  Enrollment& e = m.e();
  if (e.status == EnrollmentStatus::kCompleted && e.listening()) {
    if (std::string why = m.goalReached(input); !why.empty()) {
      m.convert(why);
    } else if (e.goal_deadline && now >= *e.goal_deadline) {
      e.goal_deadline.reset();
      e.wake_at.reset();
      m.trace(e.step_id, "goal window closed without conversion");
    }
    return m.take();
  }
  if (e.finished()) return m.take();
  if (m.checkConditions(input)) return m.take();

  const Step* step = journey.step(e.step_id);
  if (!step) {
    m.finish(EnrollmentStatus::kExited, ExitReason::kStepMissing, e.step_id,
             "step '" + e.step_id + "' is not in this version");
    return m.take();
  }
  bool due = e.due_at && now >= *e.due_at;
  if (step->kind == StepKind::kWaitFor) {
    if (input.kind == InputKind::kEvent && input.event.name == e.wait_event &&
        (!journey.key || eventKey(journey, input.event) == e.wait_key) && !due) {
      nlohmann::json ev = eventJson(input.event);
      std::string why;
      if (step->where) {
        auto ctx = m.context(&ev);
        if (!step->where->truthy(ctx)) {
          m.trace(step->id, "'" + input.event.name + "' ignored: " + step->where->explain(ctx));
          return m.take();
        }
        why = " (" + step->where->explain(ctx) + ")";
      }
      e.data["last_event"] = ev;
      m.trace(step->id, "'" + input.event.name + "' arrived" + why + " → on_event");
      m.run(step->on_event);
      return m.take();
    }
    if (due) {
      m.trace(step->id, "timeout: no '" + e.wait_event + "' by " + formatIsoTime(*e.due_at) +
                            " → on_timeout");
      m.run(step->on_timeout);
      return m.take();
    }
  } else if (due && (step->kind == StepKind::kWait || step->kind == StepKind::kWaitUntil)) {
    m.trace(step->id, "waited until " + formatIsoTime(*e.due_at));
    m.run(step->next);
    return m.take();
  }
  // Nothing moved; a new nextChange of a time condition may still move the wake-up.
  if (e.status == EnrollmentStatus::kWaiting) m.scheduleWake();
  return m.take();
}

}  // namespace journeyd
