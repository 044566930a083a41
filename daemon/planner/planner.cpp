#include "daemon/planner/planner.h"

#include <algorithm>
#include <cstring>

#include "daemon/core/time_zone.h"
#include "daemon/customers/inbound_message.h"
#include "daemon/delivery/policy.h"
#include "daemon/engine/migration.h"
#include "daemon/journeys/loader.h"
#include "daemon/planner/customer_view.h"

namespace journeyd {

using json = nlohmann::json;

PlanCounters& PlanCounters::operator+=(const PlanCounters& o) {
  entered += o.entered;
  advanced += o.advanced;
  messages_queued += o.messages_queued;
  messages_skipped += o.messages_skipped;
  converted += o.converted;
  exited += o.exited;
  completed += o.completed;
  segment_entries += o.segment_entries;
  segment_exits += o.segment_exits;
  journeys.insert(journeys.end(), o.journeys.begin(), o.journeys.end());
  skipped.insert(skipped.end(), o.skipped.begin(), o.skipped.end());
  return *this;
}

std::string messageKey(const std::string& journey_id, std::int64_t enrollment_id,
                       const std::string& step_id, std::int64_t sequence) {
  auto safe = [](const std::string& text) {
    std::string out = text;
    for (char& c : out) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      if (!ok) c = '_';
    }
    return out;
  };
  return std::to_string(enrollment_id) + "-" + std::to_string(sequence) + "-" + safe(journey_id) +
         "-" + safe(step_id);
}

JourneyPtr JourneyVersions::find(const Snapshot& snapshot, const RuntimeCatalog& catalog,
                                 const std::string& journey_id, const std::string& version) {
  if (auto j = catalog.version(journey_id, version)) return j;
  const auto key = std::make_pair(journey_id, version);
  {
    std::lock_guard lock(mutex_);
    if (auto it = compiled_.find(key); it != compiled_.end()) return it->second;
  }
  // A version from before the last reload or restart: recompiled from the source the store kept.
  auto source = snapshot.journeyState().version(journey_id, version);
  if (!source) return nullptr;
  Diagnostics diags;
  JourneyPtr journey = loadJourneyText(source->second, source->first, {}, diags);
  if (!journey) return nullptr;
  std::lock_guard lock(mutex_);
  return compiled_.emplace(key, journey).first->second;
}

namespace {

/// A send step's rules when the step is not found (an enrollment on a version without it).
const Step& defaultSendStep() {
  static const Step kStep = [] {
    Step s;
    s.kind = StepKind::kSend;
    return s;
  }();
  return kStep;
}

/// Applies an update step to the customer JSON the plan keeps (traits under `traits`, tags).
void applyCustomerUpdate(json& customer, const Effect& update) {
  if (!customer.contains("traits") || !customer["traits"].is_object())
    customer["traits"] = json::object();
  for (auto& [k, v] : update.set.items()) customer["traits"][k] = v;
  for (const auto& k : update.unset) customer["traits"].erase(k);
  if (!customer.contains("tags") || !customer["tags"].is_array()) customer["tags"] = json::array();
  auto& tags = customer["tags"];
  for (const auto& tag : update.add_tags) {
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  for (const auto& tag : update.remove_tags)
    tags.erase(std::remove(tags.begin(), tags.end(), tag), tags.end());
}

std::string stringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

/// One customer's planning: the snapshot's view of them plus everything the plan has decided so
/// far, so that later decisions see earlier ones (an enrollment entered by the first event is
/// advanced by the second; a message queued counts against the caps of the next).
struct Planner::State {
  struct Tracked {
    std::int64_t id = 0;  ///< the stored row; 0 while new
    EnrollmentSlot slot = kNoEnrollment;
    Enrollment enrollment;
  };

  const Planner& p;
  const RuntimeCatalog& cat;
  /// The moment decisions are made at: an inbox item's arrival while it is handled (journeys
  /// react as of when the data came, however long it waited for a planner), else the plan's now.
  TimeMs at = 0;
  CustomerRecord record;
  std::unique_ptr<CustomerView> view;
  std::vector<Tracked> enrollments;
  bool listening_loaded = false;
  std::map<std::string, std::vector<PastEnrollment>> history;
  std::optional<std::vector<RecentMessage>> recent;  ///< loaded with the first capped message
  std::int64_t next_temp_id = -1;
  EnrollmentSlot next_slot = 0;
  PlannedCustomer out;

  State(const Planner& planner, CustomerRecord r)
      : p(planner), cat(*planner.context_.catalog), at(planner.now_), record(std::move(r)) {
    const date::time_zone* business_zone = findTimeZone(p.context_.policy.timezone);
    view = std::make_unique<CustomerView>(
        p.snapshot_.customers(), record.id,
        customerJson(record, p.snapshot_.customers(), p.context_.models.get(), p.now_, &cat.scores,
                     business_zone),
        p.now_, business_zone);
  }

  CustomerPlan& plan() { return out.plan; }
  TimeMs now() const { return at; }
  bool paused(const std::string& journey_id) const { return p.paused_.count(journey_id) > 0; }

  // ---- enrollments as the plan sees them ----

  /// Every enrollment still listening, the snapshot's and the plan's own.
  std::vector<size_t> listening() {
    if (!listening_loaded) {
      listening_loaded = true;
      for (auto& stored : p.snapshot_.enrollments().listening(record.id)) track(stored);
    }
    std::vector<size_t> out_indexes;
    for (size_t i = 0; i < enrollments.size(); ++i) {
      if (enrollments[i].enrollment.listening()) out_indexes.push_back(i);
    }
    return out_indexes;
  }

  /// The enrollment with this row id (loading it into the plan's view), as the plan knows it.
  size_t track(const StoredEnrollment& stored) {
    for (size_t i = 0; i < enrollments.size(); ++i) {
      if (enrollments[i].id == stored.id) return i;
    }
    enrollments.push_back({stored.id, kNoEnrollment, stored.enrollment});
    return enrollments.size() - 1;
  }

  std::vector<PastEnrollment>& pastOf(const std::string& journey_id) {
    auto it = history.find(journey_id);
    if (it == history.end())
      it = history.emplace(journey_id, p.snapshot_.enrollments().history(record.id, journey_id))
               .first;
    return it->second;
  }

  JourneyPtr versionFor(const Enrollment& e) {
    return p.context_.versions->find(p.snapshot_, cat, e.journey_id, e.version);
  }

  // ---- the journey log ----

  void log(const std::string& journey_id, EnrollmentSlot slot, TimeMs at, const std::string& step,
           std::string text) {
    plan().ops.push_back(LogLines{journey_id, slot, {{at, step, std::move(text)}}});
  }

  // ---- recording a transition ----

  /// Records a transition of enrollments[index] (new or stored) with its effects and log lines.
  void record_(size_t index, const Journey& journey, const Transition& t,
               std::vector<LogLines::Line> lead = {}) {
    Tracked& tracked = enrollments[index];
    const Enrollment before = tracked.enrollment;
    tracked.enrollment = t.enrollment;
    const Enrollment& e = tracked.enrollment;
    if (tracked.slot == kNoEnrollment) tracked.slot = next_slot++;
    plan().ops.push_back(EnrollmentWrite{tracked.slot, tracked.id, e, e.toJson().dump()});
    const EnrollmentSlot slot = tracked.slot;

    // Re-entry bookkeeping: the plan's own entries and ends count for later entry decisions.
    auto& past = pastOf(e.journey_id);
    if (tracked.id == 0 && !before.finished() && before.journey_id.empty()) {
      past.push_back({e.key, e.entered_at, !e.finished()});
    } else if (e.finished() && !before.finished()) {
      for (auto& pe : past) {
        if (pe.active && pe.key == e.key) pe.active = false;
      }
    }

    // An early exit takes back the enrollment's messages still waiting in the outbox (queued by
    // earlier transitions: deferred by quiet hours, a send window or a cap).
    if (e.finished() && !before.finished() && exitWithdrawsPending(e.exit_reason) &&
        journey.pending_on_exit == PendingOnExit::kCancel) {
      plan().ops.push_back(MessagesWithdraw{slot, std::string(kWithdrawnPrefix) +
                                                      "the customer left the journey (" +
                                                      exitReasonName(e.exit_reason) + ")"});
    }

    std::vector<std::string> outcomes(t.effects.size());  // the policy's words on each send
    for (size_t i = 0; i < t.effects.size(); ++i) {
      const Effect& effect = t.effects[i];
      switch (effect.kind) {
        case EffectKind::kSend:
          outcomes[i] = queueSend(slot, journey, effect, e);
          break;
        case EffectKind::kUpdateCustomer:
          updateCustomer(effect);
          break;
        case EffectKind::kEmitEvent:
          plan().ops.push_back(
              EventEmit{slot, effect.step_id, effect.sequence, effect.name, effect.data});
          break;
        case EffectKind::kConverted:
          ++plan().counters.converted;
          plan().counters.journeys.push_back({e.journey_id, JourneyEvent::What::kConverted});
          break;
        case EffectKind::kExit:
          plan().counters.journeys.push_back(
              {e.journey_id, JourneyEvent::What::kExited, effect.reason});
          if (effect.reason == ExitReason::kCompleted) {
            ++plan().counters.completed;
          } else {
            ++plan().counters.exited;
          }
          break;
        default:
          break;
      }
    }
    // The journey log: each step's trace line, each send followed by the policy's decision on it.
    LogLines lines{e.journey_id, slot, std::move(lead)};
    for (const auto& line : t.trace) {
      lines.lines.push_back({line.time, line.step_id, line.text});
      if (line.effect >= 0 && static_cast<size_t>(line.effect) < outcomes.size() &&
          !outcomes[line.effect].empty()) {
        lines.lines.push_back({line.time, line.step_id, outcomes[line.effect]});
        outcomes[line.effect].clear();
      }
    }
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].empty()) lines.lines.push_back({now(), t.effects[i].step_id, outcomes[i]});
    }
    if (!lines.lines.empty()) {
      if (lines.lines.size() > 1) {
        std::vector<JourneyLogLine> rows;
        rows.reserve(lines.lines.size());
        for (const auto& l : lines.lines)
          rows.push_back({record.id, lines.journey_id, 0, l.at, l.step_id, l.text});
        lines.encoded = encodeLogLines(rows);
      }
      plan().ops.push_back(std::move(lines));
    }
  }

  void updateCustomer(const Effect& effect) {
    json& customer = view->customer();
    applyCustomerUpdate(customer, effect);
    // The top-level copies of traits follow the traits (they are how conditions read them).
    for (auto& [k, v] : effect.set.items()) customer[k] = v;
    for (const auto& k : effect.unset) customer.erase(k);
    plan().ops.push_back(
        CustomerUpdate{TraitUpdate{effect.set, effect.unset, effect.add_tags, effect.remove_tags}});
  }

  // ---- messages ----

  /// The customer's marketing messages sent or waiting (the snapshot's and the plan's own), for
  /// caps.
  std::vector<RecentMessage>& recentMessages() {
    if (!recent) {
      recent.emplace();
      for (const auto& m : p.snapshot_.outbox().counted(record.id, now() - p.cap_lookback_)) {
        RecentMessage r;
        r.id = m.id;
        r.journey_id = m.journey_id;
        r.step_id = m.step_id;
        r.channel = m.channel;
        auto kind = cat.channels.find(m.channel);
        r.kind = kind == cat.channels.end() ? m.channel : channelKindName(kind->second);
        auto journey = cat.find(m.journey_id);
        r.priority = journey ? journey->priority : 0;
        r.at = m.at;
        // Only a message the dispatcher cannot have picked up yet may give way.
        r.displaceable =
            m.status == MessageStatus::kPending && m.attempts == 0 && m.at > now() + kClaimMarginMs;
        recent->push_back(std::move(r));
      }
    }
    return *recent;
  }

  MessageInsert* insertedMessage(std::int64_t temp_id) {
    for (auto& op : plan().ops) {
      if (auto* m = std::get_if<MessageInsert>(&op); m && m->temp_id == temp_id) return m;
    }
    return nullptr;
  }

  /// A waiting message gives way to a higher-priority one.
  void displace(std::int64_t message_id, const std::string& reason) {
    if (message_id < 0) {
      // One of this plan's own messages: it never reached the outbox.
      if (MessageInsert* m = insertedMessage(message_id)) {
        m->message.status = MessageStatus::kSkipped;
        m->message.reason = reason;
        m->message.next_attempt_at.reset();
        m->message.rendered.clear();
        --plan().counters.messages_queued;
        ++plan().counters.messages_skipped;
        plan().counters.skipped.push_back({m->message.channel, SkipKind::kCapped});
        log(m->message.journey_id, m->enrollment, now(), m->message.step_id,
            "message " + m->message.channel + " " + m->message.template_name +
                " → skipped: " + reason);
      }
    } else {
      plan().ops.push_back(MessageDisplace{message_id, reason});
    }
    if (recent) {
      recent->erase(std::remove_if(recent->begin(), recent->end(),
                                   [&](const RecentMessage& r) { return r.id == message_id; }),
                    recent->end());
    }
  }

  /// Decides, renders and queues (or records as skipped) one message; the journey-log line
  /// saying what became of it.
  std::string queueSend(EnrollmentSlot slot, const Journey& journey, const Effect& effect,
                        const Enrollment& enrollment) {
    const json& customer = view->customer();
    const Step* step = journey.step(effect.step_id);
    if (!step || step->kind != StepKind::kSend) step = &defaultSendStep();

    MessageInsert insert;
    NewMessage& m = insert.message;
    insert.enrollment = slot;
    insert.sequence = effect.sequence;
    insert.temp_id = next_temp_id--;
    m.customer_id = record.id;
    m.journey_id = journey.id;
    m.step_id = effect.step_id;
    m.enrollment_key = enrollment.key;
    m.channel = effect.channel;
    m.template_name = effect.template_name;
    m.created_at = now();
    m.transactional = step->rules.transactional;
    m.topic = step->rules.topic;
    m.status = MessageStatus::kPending;

    auto channel = cat.channels.find(effect.channel);
    const MessageTemplate* tmpl =
        cat.templates ? cat.templates->find(effect.template_name) : nullptr;
    if (channel == cat.channels.end()) {
      m.status = MessageStatus::kFailed;
      m.reason = "unknown channel '" + effect.channel + "' (not configured)";
    } else if (!tmpl && !p.context_.render_optional) {
      m.status = MessageStatus::kFailed;
      m.reason = "unknown template '" + effect.template_name + "'";
    } else if (tmpl && tmpl->channel() != channel->second) {
      m.status = MessageStatus::kFailed;
      m.reason = "template '" + effect.template_name + "' is for " +
                 channelKindName(tmpl->channel()) + " but channel '" + effect.channel + "' sends " +
                 channelKindName(channel->second);
    } else {
      const ChannelKind kind = channel->second;
      MessageRequest request;
      request.customer_id = record.id;
      request.customer = &customer;
      request.journey = &journey;
      request.step = step;
      request.channel = effect.channel;
      request.kind = channelKindName(kind);
      request.now = now();
      if (auto group = enrollment.variants.find("control_group");
          group != enrollment.variants.end()) {
        request.journey_control = group->second == "control";
      }
      if (reachesPerson(kind)) {
        const char* field = kind == ChannelKind::kEmail ? "email" : "phone";
        if (customer.contains(field) && customer[field].is_string()) {
          request.raw_address = customer[field].get<std::string>();
          m.recipient = kind == ChannelKind::kEmail ? normalizeEmail(request.raw_address)
                                                    : normalizePhone(request.raw_address);
          request.recipient = m.recipient;
        }
        if (!m.recipient.empty())
          request.suppressed = p.snapshot_.suppressions().reason(kind, m.recipient).value_or("");
        if (m.recipient.empty()) m.recipient = request.raw_address;
      }
      const DurationMs lookback =
          step->rules.transactional ? 0 : capLookback(p.context_.policy, journey);
      static const std::vector<RecentMessage> kNone;
      const auto& counted = lookback > 0 ? recentMessages() : kNone;
      PolicyDecision decision = decideDelivery(p.context_.policy, request, counted);
      m.reason = decision.reason;
      if (!decision.send) {
        m.status = MessageStatus::kSkipped;
        plan().counters.skipped.push_back({effect.channel, decision.skip_kind});
      } else {
        m.next_attempt_at = decision.send_at;
        for (const auto& [id, why] : decision.displaced) displace(id, why);
        json data = enrollment.data.is_object() ? enrollment.data : json::object();
        for (auto& [k, v] : effect.data.items()) data[k] = v;
        json context = {
            {"customer", customer},
            {"event", enrollment.trigger_event},
            {"journey", {{"id", journey.id}, {"name", journey.name}, {"step", effect.step_id}}},
            {"data", std::move(data)}};
        if (!enrollment.key.empty())
          context["journey"]["key"] = enrollment.key;  // the cart or order id
        RenderOptions options;
        options.now = now();
        std::string unsubscribe_url;
        // Marketing email and SMS carry an unsubscribe link (for the topic, when the step has one).
        if (p.context_.unsubscribe && reachesPerson(kind) && !step->rules.transactional) {
          unsubscribe_url = p.context_.unsubscribe->url(record.id, channelKindName(kind),
                                                        step->rules.topic, now());
          context["unsubscribe_url"] = unsubscribe_url;
          options.unsubscribe_url = unsubscribe_url;
        }
        options.timezone = timeZoneName(view->timeZone());  // the zone the journey's waits use
        const std::string locale = stringField(customer, "locale");
        auto r = tmpl ? tmpl->render(context, locale, options)
                      : Result<RenderedMessage>(RenderedMessage{});
        if (!r) {
          m.status = MessageStatus::kFailed;
          m.reason = "render error: " + r.error().message;
          m.next_attempt_at.reset();
        } else {
          json rendered = {{"locale", r->locale},
                           {"subject", r->subject},
                           {"html", r->html},
                           {"text", r->text},
                           {"body", r->body}};
          if (r->sms)
            rendered["sms"] = {{"encoding", r->sms->encoding}, {"segments", r->sms->segments}};
          if (!unsubscribe_url.empty()) rendered["unsubscribe_url"] = unsubscribe_url;
          m.rendered = rendered.dump();
        }
      }
    }
    if (m.status == MessageStatus::kPending) {
      ++plan().counters.messages_queued;
      if (!m.transactional && recent) {
        RecentMessage r;
        r.id = insert.temp_id;
        r.journey_id = journey.id;
        r.step_id = effect.step_id;
        r.channel = effect.channel;
        auto kind = cat.channels.find(effect.channel);
        r.kind = kind == cat.channels.end() ? effect.channel : channelKindName(kind->second);
        r.priority = journey.priority;
        r.at = m.next_attempt_at.value_or(now());
        r.displaceable = r.at > now() + kClaimMarginMs;
        recent->push_back(std::move(r));
      }
    } else {
      ++plan().counters.messages_skipped;
    }
    const std::string status = messageStatusName(m.status);
    const std::string outcome = m.status == MessageStatus::kPending
                                    ? (m.reason.empty() ? "queued" : "queued, " + m.reason)
                                    : status + ": " + m.reason;
    const std::string line =
        "message " + effect.channel + " " + effect.template_name + " → " + outcome;
    plan().ops.push_back(std::move(insert));
    return line;
  }

  // ---- entries ----

  /// Tries to start `journey` for the customer; the outcome (and the new enrollment's slot).
  ApiOutcome tryEnter(const Journey& journey, const TriggerInput& trigger) {
    view->setNow(now());
    auto& past = pastOf(journey.id);
    const EntryDecision decision = decideEntry(journey, trigger, *view, past, now());
    if (!decision.enter) {
      // Why a customer the trigger matched did not enter is part of their story (`explain`).
      if (triggerMatches(journey, trigger, *view))
        log(journey.id, kNoEnrollment, now(), "", "did not enter: " + decision.reason);
      return {false, decision.reason, kNoEnrollment};
    }
    std::vector<LogLines::Line> lead = {{now(), "", "entry check: " + decision.reason}};
    Transition transition = startEnrollment(journey, view->customer()["id"].get<std::string>(),
                                            trigger.event, *view, now());
    if (journey.control_basis_points > 0) {
      // Recorded on the enrollment so the report can compare the groups (lift).
      const bool control = inJourneyControl(journey.id, record.id, journey.control_basis_points);
      transition.enrollment.variants["control_group"] = control ? "control" : "treatment";
      if (control)
        transition.trace.push_back(
            {now(), "",
             "in the journey's control group: travels the journey, receives no messages"});
    }
    ++plan().counters.entered;
    plan().counters.journeys.push_back({journey.id, JourneyEvent::What::kEntered});
    enrollments.push_back({0, kNoEnrollment, Enrollment{}});
    const size_t index = enrollments.size() - 1;
    record_(index, journey, transition, std::move(lead));
    return {true, decision.reason, enrollments[index].slot};
  }

  void enterAll(TriggerKind kind, const std::string& name, const TriggerInput& trigger) {
    for (const auto& journey : cat.journeys) {
      if (journey->trigger.kind != kind || journey->trigger.name != name) continue;
      if (paused(journey->id)) continue;
      tryEnter(*journey, trigger);
    }
  }

  // ---- moving enrollments on ----

  void advanceTracked(size_t index, const Input& input) {
    Enrollment& e = enrollments[index].enrollment;
    auto journey = versionFor(e);
    if (!journey) {
      // The journey's file is gone and its source was never recorded: nothing can move it on.
      Enrollment ended = e;
      ended.status = EnrollmentStatus::kExited;
      ended.exit_reason = ExitReason::kJourneyChanged;
      ended.exit_detail = "journey version " + ended.version + " is no longer available";
      ended.finished_at = input.now;
      ended.wake_at.reset();
      Journey placeholder;
      placeholder.id = ended.journey_id;
      record_(index, placeholder, Transition{ended, {}, {}});
      return;
    }
    view->setNow(input.now);
    Transition transition = advance(*journey, e, *view, input);
    ++plan().counters.advanced;
    record_(index, *journey, transition);
  }

  // ---- segments and schedules ----

  void evaluateSegments() {
    if (cat.segments.empty()) return;
    std::set<std::string> member(record.segments.begin(), record.segments.end());
    if (view->customer().contains("segments") && view->customer()["segments"].is_array()) {
      member.clear();
      for (const auto& s : view->customer()["segments"]) member.insert(s.get<std::string>());
    }
    view->setNow(now());
    std::optional<TimeMs> recheck;
    std::vector<std::pair<std::string, bool>> changes;  // segment, entered?
    for (const auto& segment : cat.segments) {
      if (!segment.when) continue;
      const bool in = segment.when->truthy(*view);
      if (auto next = segment.when->nextChange(*view); next && (!recheck || *next < *recheck))
        recheck = next;
      if (in != (member.count(segment.name) > 0)) changes.emplace_back(segment.name, in);
    }
    if (recheck != record.segments_recheck_at) {
      plan().ops.push_back(SegmentRecheck{recheck});
      record.segments_recheck_at = recheck;
    }
    if (changes.empty()) return;
    for (const auto& [segment, entered] : changes) {
      plan().ops.push_back(SegmentChange{segment, entered});
      if (entered) {
        member.insert(segment);
        ++plan().counters.segment_entries;
      } else {
        member.erase(segment);
        ++plan().counters.segment_exits;
      }
    }
    // The customer's segment list is part of what conditions can read.
    view->customer()["segments"] = json(std::vector<std::string>(member.begin(), member.end()));
    // Entering or leaving a segment is an event journeys start on (dynamic tiering).
    for (const auto& [segment, entered] : changes) {
      const TriggerKind kind = entered ? TriggerKind::kSegmentEntered : TriggerKind::kSegmentExited;
      enterAll(kind, segment, TriggerInput{kind, {segment, json::object(), now()}});
    }
  }

  /// The next date-attribute entry of every such journey for the customer, after `after`.
  void planDateEntries(TimeMs after) {
    for (const auto& journey : cat.journeys) {
      if (journey->trigger.kind != TriggerKind::kDateAttribute) continue;
      view->setNow(after);
      plan().ops.push_back(ScheduleEntry{journey->id, nextScheduledEntry(*journey, *view, after)});
    }
    view->setNow(now());
  }

  // ---- the kinds of work ----

  void handleMessage(const WorkItem& item) {
    const json& w = item.payload;
    const std::string type = stringField(w, "type");
    const std::string event = stringField(w, "event");
    const bool identify = type == "identify";
    const bool order = w.value("order", false);
    const bool changes_profile = identify || order;
    const bool tracked = type == "track" || type == "page" || type == "screen";
    const bool triggers = tracked && cat.trigger_events.count(event) > 0;
    const bool counted = cat.segment_events.count(event) > 0;

    Input input;
    input.now = now();
    if (identify) {
      input.kind = InputKind::kCustomerChanged;
    } else {
      input.kind = InputKind::kEvent;
      const json properties = w.contains("properties") && w["properties"].is_object()
                                  ? w["properties"]
                                  : json::object();
      input.event = {event, properties, w.value("timestamp", now())};
    }
    // Customers already in journeys first: a conversion or an awaited event moves them on.
    for (size_t index : listening()) {
      if (paused(enrollments[index].enrollment.journey_id)) continue;
      advanceTracked(index, input);
    }
    if (changes_profile || counted) evaluateSegments();
    if (identify) {
      planDateEntries(now());
      const json& traits =
          w.contains("traits") && w["traits"].is_object() ? w["traits"] : json::object();
      const json& previous =
          w.contains("previous") && w["previous"].is_object() ? w["previous"] : json::object();
      if (cat.attribute_triggers) {
        // attribute_changed: a trait this identify set to a value different from before. The
        // trigger names the attribute as customer.traits.X, customer.X or X.
        for (const auto& journey : cat.journeys) {
          if (journey->trigger.kind != TriggerKind::kAttributeChanged || paused(journey->id))
            continue;
          std::string key = journey->trigger.name;
          for (const char* prefix : {"customer.", "traits."}) {
            if (key.rfind(prefix, 0) == 0) key = key.substr(std::strlen(prefix));
          }
          auto it = traits.find(key);
          if (it == traits.end()) continue;
          const json old_value = previous.value(key, json());
          if (old_value == *it) continue;
          tryEnter(*journey,
                   TriggerInput{TriggerKind::kAttributeChanged,
                                {journey->trigger.name, json{{"old", old_value}, {"new", *it}},
                                 w.value("timestamp", now())}});
        }
      }
    }
    if (input.kind == InputKind::kEvent && triggers)
      enterAll(TriggerKind::kEvent, event, TriggerInput{TriggerKind::kEvent, input.event});
  }

  void handleBroadcast(const WorkItem& item) {
    const std::string journey_id = stringField(item.payload, "journey");
    auto journey = cat.find(journey_id);
    if (!journey || journey->trigger.kind != TriggerKind::kSchedule || paused(journey_id)) return;
    tryEnter(*journey, TriggerInput{TriggerKind::kSchedule,
                                    {journey->trigger.name, json::object(),
                                     item.payload.value("due_at", now())}});
  }

  void handleWake(const StoredEnrollment& stored) {
    const size_t index = track(stored);
    const Enrollment& e = enrollments[index].enrollment;
    // The plan may already have moved it (an event earlier in this plan): only what is still due.
    if (!e.wake_at || *e.wake_at > now() || paused(e.journey_id)) return;
    Input input;
    input.kind = InputKind::kWake;
    input.now = now();
    advanceTracked(index, input);
  }

  void handleDateEntry(const ScheduledEntry& entry) {
    auto journey = cat.find(entry.journey_id);
    if (!journey || journey->trigger.kind != TriggerKind::kDateAttribute) {
      plan().ops.push_back(
          ScheduleEntry{entry.journey_id, std::nullopt});  // gone, or no longer date-triggered
      return;
    }
    tryEnter(*journey, TriggerInput{TriggerKind::kDateAttribute,
                                    {journey->trigger.name, json::object(), entry.due_at}});
    planDateEntries(std::max(now(), entry.due_at + 1));
  }

  void handleMigration(const StoredEnrollment& stored) {
    const size_t index = track(stored);
    const Enrollment e = enrollments[index].enrollment;
    auto current = cat.find(e.journey_id);
    if (!current || e.finished() || e.version == current->version) return;
    auto old_journey = versionFor(e);
    Migration m;
    if (old_journey) {
      m = migrateEnrollment(*old_journey, *current, e, now());
    } else {
      m.action = MigrationAction::kKeptOnOld;
      m.enrollment = e;
    }
    out.migrations.push_back(
        {current->id, current->version, e.step_id, migrationActionName(m.action)});
    if (m.action != MigrationAction::kMoved && m.action != MigrationAction::kRestart) return;
    record_(index, *current, Transition{m.enrollment, {}, {}});
    if (m.action == MigrationAction::kRestart) {
      const json& trig = e.trigger_event;
      tryEnter(*current, TriggerInput{current->trigger.kind,
                                      {trig.value("name", ""),
                                       trig.value("properties", json::object()), now()}});
    }
  }
};

Planner::Planner(const PlannerContext& context, const Snapshot& snapshot, TimeMs now)
    : context_(context), snapshot_(snapshot), now_(now), paused_(snapshot.journeyState().paused()) {
  if (context_.catalog) {
    for (const auto& j : context_.catalog->journeys)
      cap_lookback_ = std::max(cap_lookback_, capLookback(context_.policy, *j));
  }
}

Planner::~Planner() = default;

PlannedCustomer Planner::plan(const CustomerWork& work) {
  auto record = context_.catalog ? snapshot_.customers().load(work.customer_id) : std::nullopt;
  if (!record) {
    // Erased meanwhile (or nothing loaded): the work is done, its enrollments go with the customer.
    PlannedCustomer gone;
    gone.plan.customer_id = work.customer_id;
    gone.plan.now = now_;
    for (const auto& item : work.inbox) gone.plan.inbox_done.push_back(item.id);
    for (const auto& w : work.wakes) gone.plan.enrollments_gone.push_back(w.id);
    for (const auto& d : work.date_entries)
      gone.plan.ops.push_back(ScheduleEntry{d.journey_id, std::nullopt});
    if (work.api) gone.api = ApiOutcome{false, "no such customer", kNoEnrollment};
    return gone;
  }
  State s(*this, std::move(*record));
  s.plan().customer_id = work.customer_id;
  s.plan().revision = s.record.revision;
  s.plan().now = now_;
  for (const auto& item : work.inbox) {
    s.at = std::min(item.created_at, now_);
    s.view->setNow(s.at);
    if (item.kind == WorkKind::kBroadcast) {
      s.handleBroadcast(item);
    } else {
      s.handleMessage(item);
    }
    s.plan().inbox_done.push_back(item.id);
  }
  s.at = now_;
  s.view->setNow(now_);
  for (const auto& wake : work.wakes) s.handleWake(wake);
  if (work.segments_due) s.evaluateSegments();
  for (const auto& entry : work.date_entries) s.handleDateEntry(entry);
  if (work.api) {
    auto journey = context_.catalog->find(work.api->journey_id);
    if (!journey) {
      s.out.api = ApiOutcome{false, "no journey " + work.api->journey_id, kNoEnrollment};
    } else {
      s.out.api = s.tryEnter(*journey,
                             TriggerInput{TriggerKind::kApi, {journey->id, work.api->data, now_}});
    }
  }
  for (const auto& m : work.migrations) s.handleMigration(m);
  if (work.plan_dates) s.planDateEntries(now_);
  return std::move(s.out);
}

}  // namespace journeyd
