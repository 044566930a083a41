#include "daemon/scheduler/journey_runner.h"

#include <cstring>
#include <set>

#include <spdlog/spdlog.h>

#include "daemon/delivery/policy.h"
#include "daemon/engine/entry.h"
#include "daemon/engine/migration.h"
#include "daemon/engine/simulation.h"
#include "daemon/journeys/loader.h"
#include "daemon/scheduler/customer_view.h"

namespace journeyd {

using json = nlohmann::json;

struct JourneyRunner::Row {
  std::int64_t id = 0;
  std::int64_t customer_id = 0;
  Enrollment enrollment;
};

namespace {

constexpr const char* kSelectRow = "SELECT id, customer_id, state FROM enrollments ";


std::vector<std::pair<std::int64_t, std::int64_t>> readRows(SQLite::Statement& q,
                                                            std::vector<Enrollment>& enrollments) {
  std::vector<std::pair<std::int64_t, std::int64_t>> ids;
  while (q.executeStep()) {
    ids.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
    enrollments.push_back(Enrollment::fromJson(json::parse(q.getColumn(2).getString())));
  }
  q.reset();
  return ids;
}

void bindOptional(SQLite::Statement& q, int index, const std::optional<TimeMs>& t) {
  if (t) {
    q.bind(index, *t);
  } else {
    q.bind(index);
  }
}

}  // namespace

std::vector<std::int64_t> JourneyRunner::readIds(SQLite::Statement& q) {
  std::vector<std::int64_t> ids;
  while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
  q.reset();
  return ids;
}

Result<void> JourneyRunner::forEachCustomer(Database& db, const std::vector<std::int64_t>& ids, TimeMs now,
                                            const std::function<Result<void>(StoreCustomerView&)>& fn) {
  auto cat = catalog();
  for (auto id : ids) {
    auto customer = loadCustomerJson(db, id, models().get(), now, scores(cat));
    if (!customer) continue;  // erased meanwhile
    StoreCustomerView view(db, id, std::move(*customer), now);
    if (auto r = fn(view); !r) return r;
  }
  return ok();
}

void JourneyRunner::setCatalog(CatalogPtr catalog) {
  std::lock_guard lock(mutex_);
  catalog_ = std::move(catalog);
}

CatalogPtr JourneyRunner::catalog() const {
  std::lock_guard lock(mutex_);
  return catalog_;
}

const std::vector<ScoreDefinition>* JourneyRunner::scores(const CatalogPtr& cat) { return cat ? &cat->scores : nullptr; }

void JourneyRunner::setModels(std::shared_ptr<const StoredModels> models) {
  std::lock_guard lock(mutex_);
  models_ = std::move(models);
}

std::shared_ptr<const StoredModels> JourneyRunner::models() const {
  std::lock_guard lock(mutex_);
  return models_;
}

bool JourneyRunner::paused(Database& db, const std::string& journey_id) {
  auto& q = db.prepare("SELECT paused FROM journey_state WHERE journey_id = ?");
  q.bind(1, journey_id);
  bool result = q.executeStep() && q.getColumn(0).getInt() != 0;
  q.reset();
  return result;
}

JourneyPtr JourneyRunner::versionFor(Database& db, const std::string& journey_id, const std::string& version) {
  auto cat = catalog();
  if (auto j = cat->version(journey_id, version)) return j;
  auto key = std::make_pair(journey_id, version);
  if (auto it = old_versions_.find(key); it != old_versions_.end()) return it->second;
  // A version from before the last restart: recompile it from the source kept in the store.
  auto& q = db.prepare("SELECT file, source FROM journey_versions WHERE journey_id = ? AND version = ?");
  q.bind(1, journey_id);
  q.bind(2, version);
  JourneyPtr journey;
  if (q.executeStep()) {
    Diagnostics diags;
    journey = loadJourneyText(q.getColumn(1).getString(), q.getColumn(0).getString(), {}, diags);
  }
  q.reset();
  if (journey) old_versions_[key] = journey;
  return journey;
}

Result<void> JourneyRunner::recordVersions(Database& db, TimeMs now,
                                           const std::map<std::string, std::string>& sources) {
  auto cat = catalog();
  for (const auto& j : cat->journeys) {
    auto it = sources.find(j->file);
    if (it == sources.end()) continue;
    auto& q = db.prepare(
        "INSERT OR IGNORE INTO journey_versions (journey_id, version, file, source, loaded_at) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, j->id);
    q.bind(2, j->version);
    q.bind(3, j->file);
    q.bind(4, it->second);
    q.bind(5, now);
    q.exec();
  }
  return ok();
}

Result<void> JourneyRunner::onMessage(Database& db, const AppliedMessage& applied, const InboundMessage& m) {
  if (applied.duplicate) return ok();
  if (m.type == MessageType::kAlias || m.type == MessageType::kGroup) return ok();
  auto cat = catalog();
  if (!cat) return ok();
  const TimeMs now = m.received_at;
  // Most events (page views, product views) concern no journey: skip them with two cheap checks.
  const bool changes_profile = m.type == MessageType::kIdentify || applied.is_order;
  const bool triggers = (m.type == MessageType::kTrack || m.type == MessageType::kPage ||
                         m.type == MessageType::kScreen) && cat->trigger_events.count(m.event);
  const bool counted = cat->segment_events.count(m.event) > 0;
  // The customer's enrollments still listening: read once, used to decide and then to advance.
  auto& q = db.prepare(
      "SELECT id, customer_id, state FROM enrollments WHERE customer_id = ? AND listening = 1 ORDER BY id");
  q.bind(1, applied.customer_id);
  std::vector<Enrollment> enrollments;
  auto ids = readRows(q, enrollments);
  const bool listening = !ids.empty();
  const bool segments = !cat->segments.empty() && (changes_profile || counted);
  if (!triggers && !listening && !segments && !(changes_profile && (cat->attribute_triggers || !cat->journeys.empty()))) {
    return ok();
  }

  auto customer = loadCustomerJson(db, applied.customer_id, models().get(), now, scores(cat));
  if (!customer) return ok();  // erased in the same group
  StoreCustomerView view(db, applied.customer_id, std::move(*customer), now);

  Input input;
  input.now = now;
  if (m.type == MessageType::kIdentify) {
    input.kind = InputKind::kCustomerChanged;
  } else {
    input.kind = InputKind::kEvent;
    input.event = {m.event, m.properties.is_object() ? m.properties : json::object(), m.timestamp};
  }

  // Customers already in journeys first: a conversion or an awaited event moves them on.
  for (size_t i = 0; i < ids.size(); ++i) {
    if (paused(db, enrollments[i].journey_id)) continue;
    Row row{ids[i].first, ids[i].second, std::move(enrollments[i])};
    if (auto r = advanceRow(db, row, input, view); !r) return r;
  }

  if (segments) {
    if (auto r = evaluateSegments(db, view, now); !r) return r;
  }
  if (m.type == MessageType::kIdentify) {
    planDateEntries(db, view, now);
    if (cat->attribute_triggers && m.traits.is_object()) {
      // attribute_changed: a trait this identify set to a value different from before. The
      // trigger names the attribute as customer.traits.X, customer.X or X.
      for (const auto& journey : cat->journeys) {
        if (journey->trigger.kind != TriggerKind::kAttributeChanged) continue;
        std::string key = journey->trigger.name;
        for (const char* prefix : {"customer.", "traits."}) {
          if (key.rfind(prefix, 0) == 0) key = key.substr(std::strlen(prefix));
        }
        auto it = m.traits.find(key);
        if (it == m.traits.end()) continue;
        json old_value = applied.previous_traits.is_object() ? applied.previous_traits.value(key, json()) : json();
        if (old_value == *it) continue;
        if (paused(db, journey->id)) continue;
        TriggerInput trigger{TriggerKind::kAttributeChanged,
                             {journey->trigger.name, json{{"old", old_value}, {"new", *it}}, m.timestamp}};
        if (auto r = tryEnter(db, *journey, trigger, view, now); !r) return r;
      }
    }
  }

  if (input.kind != InputKind::kEvent || !triggers) return ok();
  TriggerInput trigger{TriggerKind::kEvent, input.event};
  for (const auto& journey : cat->journeys) {
    if (journey->trigger.kind != TriggerKind::kEvent || journey->trigger.name != m.event) continue;
    if (paused(db, journey->id)) continue;
    if (auto r = tryEnter(db, *journey, trigger, view, now); !r) return r;
  }
  return ok();
}

Result<void> JourneyRunner::tryEnter(Database& db, const Journey& journey, const TriggerInput& trigger,
                                     StoreCustomerView& view, TimeMs now, std::int64_t* row_id) {
  std::vector<PastEnrollment> past;
  auto& q = db.prepare(
      "SELECT key, entered_at, finished_at IS NULL FROM enrollments WHERE customer_id = ? AND journey_id = ?");
  q.bind(1, view.customerId());
  q.bind(2, journey.id);
  while (q.executeStep()) {
    past.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt() != 0});
  }
  q.reset();
  view.setNow(now);
  auto decision = decideEntry(journey, trigger, view, past, now);
  if (!decision.enter) {
    // Why a customer the trigger matched did not enter is part of their story (`explain`).
    if (triggerMatches(journey, trigger, view)) {
      log(db, view.customerId(), journey.id, 0, now, "", "did not enter: " + decision.reason);
    }
    if (row_id) return fail(Error{ErrorCode::kConflict, "not enrolled: " + decision.reason, {}});
    return ok();
  }
  log(db, view.customerId(), journey.id, 0, now, "", "entry check: " + decision.reason);
  auto transition = startEnrollment(journey, view.customer()["id"].get<std::string>(), trigger.event, view, now);
  if (journey.control_basis_points > 0) {
    // Recorded on the enrollment so the report can compare the groups (lift).
    const bool control = inJourneyControl(journey.id, view.customerId(), journey.control_basis_points);
    transition.enrollment.variants["control_group"] = control ? "control" : "treatment";
    if (control) transition.trace.push_back({now, "", "in the journey's control group: travels the journey, receives no messages"});
  }
  ++metrics_.entered;
  return store(db, 0, journey, transition, view, now, row_id);
}

Result<std::int64_t> JourneyRunner::enroll(Database& db, const std::string& journey_id, std::int64_t customer_id,
                                           const json& data, TimeMs now) {
  auto cat = catalog();
  auto journey = cat ? cat->find(journey_id) : nullptr;
  if (!journey) return fail(Error::notFound("no journey " + journey_id));
  if (journey->trigger.kind != TriggerKind::kApi) {
    return fail(Error{ErrorCode::kConflict, "journey " + journey_id + " is not started through the API (trigger: " +
                                                triggerKindName(journey->trigger.kind) + ")",
                      "journey"});
  }
  if (paused(db, journey_id)) return fail(Error{ErrorCode::kConflict, "journey " + journey_id + " is paused", {}});
  auto customer = loadCustomerJson(db, customer_id, models().get(), now, scores(cat));
  if (!customer) return fail(customer.error());
  StoreCustomerView view(db, customer_id, std::move(*customer), now);
  TriggerInput trigger{TriggerKind::kApi, {journey_id, data.is_object() ? data : json::object(), now}};
  std::int64_t row_id = 0;
  if (auto r = tryEnter(db, *journey, trigger, view, now, &row_id); !r) return fail(r.error());
  return row_id;
}

Result<void> JourneyRunner::advanceRow(Database& db, const Row& row, const Input& input, StoreCustomerView& view) {
  auto journey = versionFor(db, row.enrollment.journey_id, row.enrollment.version);
  if (!journey) {
    // The journey's file is gone and its source was never recorded: nothing can move it on.
    Enrollment ended = row.enrollment;
    ended.status = EnrollmentStatus::kExited;
    ended.exit_reason = ExitReason::kJourneyChanged;
    ended.exit_detail = "journey version " + ended.version + " is no longer available";
    ended.finished_at = input.now;
    ended.wake_at.reset();
    Transition t{ended, {}, {}};
    Journey placeholder;
    placeholder.id = ended.journey_id;
    return store(db, row.id, placeholder, t, view, input.now);
  }
  view.setNow(input.now);
  auto transition = advance(*journey, row.enrollment, view, input);
  ++metrics_.advanced;
  return store(db, row.id, *journey, transition, view, input.now);
}

Result<void> JourneyRunner::store(Database& db, std::int64_t row_id, const Journey& journey, const Transition& t,
                                  StoreCustomerView& view, TimeMs now, std::int64_t* new_row_id) {
  const Enrollment& e = t.enrollment;
  const std::string state = e.toJson().dump();
  const std::string variants = json(e.variants).dump();
  const char* exit_reason = e.finished() ? exitReasonName(e.exit_reason) : nullptr;
  if (row_id == 0) {
    auto& ins = db.prepare(
        "INSERT INTO enrollments (journey_id, version, customer_id, key, status, step_id, wake_at, listening, "
        "entered_at, finished_at, converted_at, exit_reason, variant, state) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, e.journey_id);
    ins.bind(2, e.version);
    ins.bind(3, view.customerId());
    ins.bind(4, e.key);
    ins.bind(5, enrollmentStatusName(e.status));
    ins.bind(6, e.step_id);
    bindOptional(ins, 7, e.wake_at);
    ins.bind(8, e.listening() ? 1 : 0);
    ins.bind(9, e.entered_at);
    bindOptional(ins, 10, e.finished_at);
    bindOptional(ins, 11, e.converted_at);
    if (exit_reason) ins.bind(12, exit_reason); else ins.bind(12);
    ins.bind(13, variants);
    ins.bind(14, state);
    ins.exec();
    row_id = db.sql().getLastInsertRowid();
  } else {
    auto& up = db.prepare(
        "UPDATE enrollments SET version = ?, status = ?, step_id = ?, wake_at = ?, listening = ?, finished_at = ?, "
        "converted_at = ?, exit_reason = ?, variant = ?, state = ? WHERE id = ?");
    up.bind(1, e.version);
    up.bind(2, enrollmentStatusName(e.status));
    up.bind(3, e.step_id);
    bindOptional(up, 4, e.wake_at);
    up.bind(5, e.listening() ? 1 : 0);
    bindOptional(up, 6, e.finished_at);
    bindOptional(up, 7, e.converted_at);
    if (exit_reason) up.bind(8, exit_reason); else up.bind(8);
    up.bind(9, variants);
    up.bind(10, state);
    up.bind(11, row_id);
    up.exec();
  }
  if (new_row_id) *new_row_id = row_id;

  // An early exit takes back the enrollment's messages still waiting in the outbox (queued by
  // earlier transitions: deferred by quiet hours, a send window or a cap).
  if (e.finished() && exitWithdrawsPending(e.exit_reason) && journey.pending_on_exit == PendingOnExit::kCancel) {
    const std::string reason = std::string(kWithdrawnPrefix) + "the customer left the journey (" +
                               exitReasonName(e.exit_reason) + ")";
    auto& w = db.prepare(
        "UPDATE messages SET status = 'skipped', reason = ?, next_attempt_at = NULL "
        "WHERE enrollment_id = ? AND status = 'pending' RETURNING step_id, channel, template");
    w.bind(1, reason);
    w.bind(2, row_id);
    std::vector<std::pair<std::string, std::string>> withdrawn;
    while (w.executeStep()) {
      withdrawn.emplace_back(w.getColumn(0).getString(),
                             "message " + w.getColumn(1).getString() + " " + w.getColumn(2).getString() +
                                 " → skipped: " + reason);
    }
    w.reset();
    for (const auto& [step, text] : withdrawn) {
      log(db, view.customerId(), e.journey_id, row_id, now, step, text);
      ++metrics_.messages_skipped;
    }
  }

  // The journey log: each step's trace line, each send followed by the policy's decision on it.
  std::vector<std::pair<std::string, std::string>> outcomes;  // (step id, text) per send, in order
  for (const auto& effect : t.effects) {
    switch (effect.kind) {
      case EffectKind::kSend: outcomes.push_back(queueSend(db, row_id, journey, effect, view, e, now)); break;
      case EffectKind::kUpdateCustomer: updateCustomer(db, effect, view, now); break;
      case EffectKind::kEmitEvent: {
        auto& ins = db.prepare(
            "INSERT OR IGNORE INTO events (customer_id, message_id, type, name, ts, received_at, properties) "
            "VALUES (?, ?, 'track', ?, ?, ?, ?)");
        ins.bind(1, view.customerId());
        ins.bind(2, "journey:" + std::to_string(row_id) + ":" + effect.step_id + ":" + std::to_string(effect.sequence));
        ins.bind(3, effect.name);
        ins.bind(4, now);
        ins.bind(5, now);
        ins.bind(6, effect.data.dump());
        ins.exec();
        break;
      }
      case EffectKind::kConverted: ++metrics_.converted; break;
      case EffectKind::kExit:
        if (effect.reason == ExitReason::kCompleted) {
          ++metrics_.completed;
        } else {
          ++metrics_.exited;
        }
        break;
      default: break;
    }
  }
  size_t next = 0;
  for (const auto& line : t.trace) {
    log(db, view.customerId(), e.journey_id, row_id, line.time, line.step_id, line.text);
    if (next < outcomes.size() && outcomes[next].first == line.step_id && line.text.rfind("send ", 0) == 0) {
      log(db, view.customerId(), e.journey_id, row_id, line.time, line.step_id, outcomes[next++].second);
    }
  }
  for (; next < outcomes.size(); ++next) {
    log(db, view.customerId(), e.journey_id, row_id, now, outcomes[next].first, outcomes[next].second);
  }
  return ok();
}

void JourneyRunner::updateCustomer(Database& db, const Effect& effect, StoreCustomerView& view, TimeMs now) {
  json& customer = view.customer();
  applyCustomerUpdate(customer, effect);
  // The top-level copies of traits follow the traits (they are how conditions read them).
  for (auto& [k, v] : effect.set.items()) customer[k] = v;
  for (const auto& k : effect.unset) customer.erase(k);
  auto& up = db.prepare("UPDATE customers SET traits = ?, tags = ?, updated_at = ? WHERE id = ?");
  up.bind(1, customer["traits"].dump());
  up.bind(2, customer["tags"].dump());
  up.bind(3, now);
  up.bind(4, view.customerId());
  up.exec();
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

}  // namespace

Result<int> JourneyRunner::pruneJourneyLog(Database& db, TimeMs before, int limit) {
  return guardSql("prune journey log", [&]() -> Result<int> {
    auto& q = db.prepare("DELETE FROM journey_log WHERE id IN (SELECT id FROM journey_log WHERE at < ? LIMIT ?)");
    q.bind(1, before);
    q.bind(2, limit);
    const int n = q.exec();
    q.reset();
    return n;
  });
}

void JourneyRunner::log(Database& db, std::int64_t customer_id, const std::string& journey_id,
                        std::int64_t enrollment_id, TimeMs at, const std::string& step_id, const std::string& text) {
  auto& ins = db.prepare(
      "INSERT INTO journey_log (customer_id, journey_id, enrollment_id, at, step_id, text) VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, customer_id);
  ins.bind(2, journey_id);
  if (enrollment_id) ins.bind(3, enrollment_id); else ins.bind(3);
  ins.bind(4, at);
  if (step_id.empty()) ins.bind(5); else ins.bind(5, step_id);
  ins.bind(6, text);
  ins.exec();
}

std::vector<RecentMessage> JourneyRunner::recentMessages(Database& db, const RuntimeCatalog& cat,
                                                         std::int64_t customer_id, TimeMs since, TimeMs now) {
  std::vector<RecentMessage> recent;
  // Transactional messages never count; a message's moment is when it went, or is due to go.
  auto& q = db.prepare(
      "SELECT id, journey_id, step_id, channel, status, attempts, coalesce(sent_at, next_attempt_at, created_at) "
      "FROM messages WHERE customer_id = ? AND status IN ('pending', 'sent') AND category IS NULL "
      "AND coalesce(sent_at, next_attempt_at, created_at) > ?");
  q.bind(1, customer_id);
  q.bind(2, since);
  while (q.executeStep()) {
    RecentMessage m;
    m.id = q.getColumn(0).getInt64();
    m.journey_id = q.isColumnNull(1) ? "" : q.getColumn(1).getString();
    m.step_id = q.isColumnNull(2) ? "" : q.getColumn(2).getString();
    m.channel = q.getColumn(3).getString();
    auto kind = cat.channels.find(m.channel);
    m.kind = kind == cat.channels.end() ? m.channel : channelName(kind->second);
    auto journey = cat.find(m.journey_id);
    m.priority = journey ? journey->priority : 0;
    m.at = q.getColumn(6).getInt64();
    // Only a message the dispatcher cannot have picked up yet may give way (due a second later
    // at least, never attempted).
    m.displaceable = q.getColumn(4).getString() == "pending" && q.getColumn(5).getInt() == 0 && m.at > now + 1000;
    recent.push_back(std::move(m));
  }
  q.reset();
  return recent;
}

std::pair<std::string, std::string> JourneyRunner::queueSend(Database& db, std::int64_t row_id, const Journey& journey,
                                                             const Effect& effect, StoreCustomerView& view,
                                                             const Enrollment& enrollment, TimeMs now) {
  auto cat = catalog();
  const json& customer = view.customer();
  std::string status = "pending", reason, recipient;
  json rendered;
  TimeMs send_at = now;
  const Step* step = journey.step(effect.step_id);
  if (!step || step->kind != StepKind::kSend) step = &defaultSendStep();

  auto channel = cat->channels.find(effect.channel);
  const MessageTemplate* tmpl = cat->templates ? cat->templates->find(effect.template_name) : nullptr;
  if (channel == cat->channels.end()) {
    status = "failed";
    reason = "unknown channel '" + effect.channel + "' (not configured)";
  } else if (!tmpl) {
    status = "failed";
    reason = "unknown template '" + effect.template_name + "'";
  } else if (tmpl->channel() != channel->second) {
    status = "failed";
    reason = "template '" + effect.template_name + "' is for " + channelName(tmpl->channel()) + " but channel '" +
             effect.channel + "' sends " + channelName(channel->second);
  } else {
    MessageRequest request;
    request.customer_id = view.customerId();
    request.customer = &customer;
    request.journey = &journey;
    request.step = step;
    request.channel = effect.channel;
    request.kind = channelName(channel->second);
    request.now = now;
    if (auto group = enrollment.variants.find("control_group"); group != enrollment.variants.end()) {
      request.journey_control = group->second == "control";
    }
    if (channel->second != Channel::kWebhook) {
      const char* field = channel->second == Channel::kEmail ? "email" : "phone";
      if (customer.contains(field) && customer[field].is_string()) {
        request.raw_address = customer[field].get<std::string>();
        recipient = channel->second == Channel::kEmail ? normalizeEmail(request.raw_address)
                                                       : normalizePhone(request.raw_address);
        request.recipient = recipient;
      }
      if (!recipient.empty()) {
        auto& sup = db.prepare("SELECT reason FROM suppressions WHERE channel = ? AND address = ?");
        sup.bind(1, request.kind);
        sup.bind(2, recipient);
        if (sup.executeStep()) request.suppressed = sup.getColumn(0).getString();
        sup.reset();
      }
      if (recipient.empty()) recipient = request.raw_address;
    }
    const DurationMs lookback = step->rules.transactional ? 0 : capLookback(policy_, journey);
    const auto recent = lookback > 0 ? recentMessages(db, *cat, view.customerId(), now - lookback, now)
                                     : std::vector<RecentMessage>{};
    PolicyDecision decision = decideDelivery(policy_, request, recent);
    if (!decision.send) {
      status = "skipped";
      reason = decision.reason;
    } else {
      send_at = decision.send_at;
      reason = decision.reason;
      for (const auto& [id, why] : decision.displaced) displace(db, id, why, view.customerId(), now);
    }
    if (status == "pending") {
      json data = enrollment.data.is_object() ? enrollment.data : json::object();
      for (auto& [k, v] : effect.data.items()) data[k] = v;
      json context = {{"customer", customer},
                      {"event", enrollment.trigger_event},
                      {"journey", {{"id", journey.id}, {"name", journey.name}, {"step", effect.step_id}}},
                      {"data", std::move(data)}};
      RenderOptions options;
      options.now = now;
      std::string unsubscribe_url;
      // Marketing email and SMS carry an unsubscribe link (for the topic, when the step has one).
      if (unsubscribe_ && channel->second != Channel::kWebhook && !step->rules.transactional) {
        unsubscribe_url = unsubscribe_->url(view.customerId(), channelName(channel->second), step->rules.topic, now);
        context["unsubscribe_url"] = unsubscribe_url;
        options.unsubscribe_url = unsubscribe_url;
      }
      options.timezone = customer.value("timezone", "UTC");
      std::string locale = customer.contains("locale") && customer["locale"].is_string()
                               ? customer["locale"].get<std::string>() : std::string();
      auto r = tmpl->render(context, locale, options);
      if (!r) {
        status = "failed";
        reason = "render error: " + r.error().message;
      } else {
        rendered = {{"locale", r->locale}, {"subject", r->subject}, {"html", r->html},
                    {"text", r->text}, {"body", r->body}};
        if (r->sms) rendered["sms"] = {{"encoding", r->sms->encoding}, {"segments", r->sms->segments}};
        if (!unsubscribe_url.empty()) rendered["unsubscribe_url"] = unsubscribe_url;
      }
    }
  }

  auto& ins = db.prepare(
      "INSERT OR IGNORE INTO messages (idempotency_key, customer_id, journey_id, step_id, enrollment_id, channel, "
      "template, recipient, status, rendered, next_attempt_at, created_at, reason, category, topic) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, journey.id + "-" + std::to_string(row_id) + "-" + effect.step_id + "-" + std::to_string(effect.sequence));
  ins.bind(2, view.customerId());
  ins.bind(3, journey.id);
  ins.bind(4, effect.step_id);
  ins.bind(5, row_id);
  ins.bind(6, effect.channel);
  ins.bind(7, effect.template_name);
  if (recipient.empty()) ins.bind(8); else ins.bind(8, recipient);
  ins.bind(9, status);
  if (rendered.is_null()) ins.bind(10); else ins.bind(10, rendered.dump());
  if (status == "pending") ins.bind(11, send_at); else ins.bind(11);
  ins.bind(12, now);
  if (reason.empty()) ins.bind(13); else ins.bind(13, reason);
  if (step->rules.transactional) ins.bind(14, "transactional"); else ins.bind(14);
  if (step->rules.topic.empty()) ins.bind(15); else ins.bind(15, step->rules.topic);
  ins.exec();
  if (status == "pending") {
    ++metrics_.messages_queued;
  } else {
    ++metrics_.messages_skipped;
  }
  std::string outcome = status == "pending" ? (reason.empty() ? "queued" : "queued, " + reason) : status + ": " + reason;
  return {effect.step_id, "message " + effect.channel + " " + effect.template_name + " → " + outcome};
}

void JourneyRunner::displace(Database& db, std::int64_t message_id, const std::string& reason,
                             std::int64_t customer_id, TimeMs now) {
  auto& up = db.prepare(
      "UPDATE messages SET status = 'skipped', reason = ?, next_attempt_at = NULL "
      "WHERE id = ? AND status = 'pending' AND attempts = 0 AND next_attempt_at > ? "
      "RETURNING journey_id, enrollment_id, step_id, channel, template");
  up.bind(1, reason);
  up.bind(2, message_id);
  up.bind(3, now + 1000);
  if (up.executeStep()) {
    log(db, customer_id, up.getColumn(0).getString(), up.getColumn(1).getInt64(), now, up.getColumn(2).getString(),
        "message " + up.getColumn(3).getString() + " " + up.getColumn(4).getString() + " → skipped: " + reason);
    ++metrics_.messages_skipped;
  }
  up.reset();
}

Result<int> JourneyRunner::wakeDue(Database& db, TimeMs now, int limit) {
  auto cat = catalog();
  auto& q = db.prepare(
      "SELECT id, customer_id, state FROM enrollments WHERE wake_at <= ? AND journey_id NOT IN "
      "(SELECT journey_id FROM journey_state WHERE paused = 1) ORDER BY wake_at LIMIT ?");
  q.bind(1, now);
  q.bind(2, limit);
  std::vector<Enrollment> enrollments;
  auto ids = readRows(q, enrollments);
  Input input;
  input.kind = InputKind::kWake;
  input.now = now;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto customer = loadCustomerJson(db, ids[i].second, models().get(), now, scores(cat));
    if (!customer) {
      // The customer was erased: the enrollment goes with them.
      auto& del = db.prepare("DELETE FROM enrollments WHERE id = ?");
      del.bind(1, ids[i].first);
      del.exec();
      continue;
    }
    StoreCustomerView view(db, ids[i].second, std::move(*customer), now);
    Row row{ids[i].first, ids[i].second, std::move(enrollments[i])};
    if (auto r = advanceRow(db, row, input, view); !r) return fail(r.error());
  }
  return static_cast<int>(ids.size());
}

Result<std::optional<TimeMs>> JourneyRunner::nextWake(Database& db) {
  auto& q = db.prepare(
      "SELECT min(wake_at) FROM enrollments WHERE wake_at IS NOT NULL AND journey_id NOT IN "
      "(SELECT journey_id FROM journey_state WHERE paused = 1)");
  std::optional<TimeMs> next;
  if (q.executeStep() && !q.getColumn(0).isNull()) next = q.getColumn(0).getInt64();
  q.reset();
  auto& d = db.prepare(
      "SELECT min(due_at) FROM scheduled_entries WHERE journey_id NOT IN "
      "(SELECT journey_id FROM journey_state WHERE paused = 1)");
  if (d.executeStep() && !d.getColumn(0).isNull()) {
    TimeMs t = d.getColumn(0).getInt64();
    if (!next || t < *next) next = t;
  }
  d.reset();
  auto& s = db.prepare("SELECT min(segments_recheck_at) FROM customers WHERE segments_recheck_at IS NOT NULL");
  if (s.executeStep() && !s.getColumn(0).isNull()) {
    TimeMs t = s.getColumn(0).getInt64();
    if (!next || t < *next) next = t;
  }
  s.reset();
  return next;
}

Result<void> JourneyRunner::evaluateSegments(Database& db, StoreCustomerView& view, TimeMs now) {
  auto cat = catalog();
  if (!cat || cat->segments.empty()) return ok();
  std::set<std::string> member;
  auto& q = db.prepare("SELECT segment FROM segment_membership WHERE customer_id = ?");
  q.bind(1, view.customerId());
  while (q.executeStep()) member.insert(q.getColumn(0).getString());
  q.reset();
  view.setNow(now);
  std::optional<TimeMs> recheck;
  std::vector<std::pair<std::string, bool>> changes;  // segment, entered?
  for (const auto& segment : cat->segments) {
    if (!segment.when) continue;
    const bool in = segment.when->truthy(view);
    if (auto next = segment.when->nextChange(view); next && (!recheck || *next < *recheck)) recheck = next;
    if (in != (member.count(segment.name) > 0)) changes.emplace_back(segment.name, in);
  }
  auto& rc = db.prepare("UPDATE customers SET segments_recheck_at = ? WHERE id = ?");
  bindOptional(rc, 1, recheck);
  rc.bind(2, view.customerId());
  rc.exec();

  for (const auto& [segment, entered] : changes) {
    if (entered) {
      auto& ins = db.prepare("INSERT OR REPLACE INTO segment_membership (customer_id, segment, entered_at) VALUES (?, ?, ?)");
      ins.bind(1, view.customerId());
      ins.bind(2, segment);
      ins.bind(3, now);
      ins.exec();
      ++metrics_.segment_entries;
    } else {
      auto& del = db.prepare("DELETE FROM segment_membership WHERE customer_id = ? AND segment = ?");
      del.bind(1, view.customerId());
      del.bind(2, segment);
      del.exec();
      ++metrics_.segment_exits;
    }
    auto& h = db.prepare("INSERT INTO segment_history (customer_id, segment, change, at) VALUES (?, ?, ?, ?)");
    h.bind(1, view.customerId());
    h.bind(2, segment);
    h.bind(3, entered ? "entered" : "exited");
    h.bind(4, now);
    h.exec();
  }
  if (changes.empty()) return ok();
  // The customer's segment list is part of what conditions can read.
  json segments = json::array();
  for (const auto& s : member) segments.push_back(s);
  for (const auto& [segment, entered] : changes) {
    if (entered) segments.push_back(segment);
    else segments.erase(std::remove(segments.begin(), segments.end(), json(segment)), segments.end());
  }
  view.customer()["segments"] = segments;
  // Entering or leaving a segment is an event journeys start on (dynamic tiering).
  for (const auto& [segment, entered] : changes) {
    const TriggerKind kind = entered ? TriggerKind::kSegmentEntered : TriggerKind::kSegmentExited;
    TriggerInput trigger{kind, {segment, json::object(), now}};
    for (const auto& journey : cat->journeys) {
      if (journey->trigger.kind != kind || journey->trigger.name != segment) continue;
      if (paused(db, journey->id)) continue;
      if (auto r = tryEnter(db, *journey, trigger, view, now); !r) return r;
    }
  }
  return ok();
}

void JourneyRunner::planDateEntries(Database& db, StoreCustomerView& view, TimeMs after) {
  auto cat = catalog();
  if (!cat) return;
  for (const auto& journey : cat->journeys) {
    if (journey->trigger.kind != TriggerKind::kDateAttribute) continue;
    view.setNow(after);
    auto next = nextScheduledEntry(*journey, view, after);
    if (next) {
      auto& up = db.prepare(
          "INSERT INTO scheduled_entries (journey_id, customer_id, due_at) VALUES (?, ?, ?) "
          "ON CONFLICT (journey_id, customer_id) DO UPDATE SET due_at = excluded.due_at");
      up.bind(1, journey->id);
      up.bind(2, view.customerId());
      up.bind(3, *next);
      up.exec();
    } else {
      auto& del = db.prepare("DELETE FROM scheduled_entries WHERE journey_id = ? AND customer_id = ?");
      del.bind(1, journey->id);
      del.bind(2, view.customerId());
      del.exec();
    }
  }
}

Result<std::int64_t> JourneyRunner::planScheduledEntries(Database& db, TimeMs now, std::int64_t after_id, int limit) {
  auto cat = catalog();
  if (!cat) return 0;
  bool any_date = false;
  for (const auto& journey : cat->journeys) {
    if (journey->trigger.kind == TriggerKind::kDateAttribute) any_date = true;
    if (journey->trigger.kind != TriggerKind::kSchedule || after_id != 0) continue;
    StoreCustomerView nobody(db, 0, json::object(), now);
    auto next = nextScheduledEntry(*journey, nobody, now);
    if (!next) continue;
    // Keeps a broadcast already planned (or half streamed); a changed cron takes effect after it.
    auto& ins = db.prepare("INSERT OR IGNORE INTO scheduled_entries (journey_id, customer_id, due_at) VALUES (?, 0, ?)");
    ins.bind(1, journey->id);
    ins.bind(2, *next);
    ins.exec();
  }
  if (!any_date) return 0;
  auto& q = db.prepare("SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?");
  q.bind(1, after_id);
  q.bind(2, limit);
  const auto ids = readIds(q);
  auto r = forEachCustomer(db, ids, now, [&](StoreCustomerView& view) -> Result<void> {
    planDateEntries(db, view, now);
    return ok();
  });
  if (!r) return fail(r.error());
  return ids.size() < static_cast<size_t>(limit) ? 0 : ids.back();
}

Result<int> JourneyRunner::runScheduledEntries(Database& db, TimeMs now, int limit) {
  auto cat = catalog();
  if (!cat) return 0;
  auto& q = db.prepare(
      "SELECT journey_id, customer_id, due_at, cursor FROM scheduled_entries WHERE due_at <= ? AND journey_id NOT IN "
      "(SELECT journey_id FROM journey_state WHERE paused = 1) ORDER BY due_at LIMIT ?");
  q.bind(1, now);
  q.bind(2, limit);
  struct Due {
    std::string journey_id;
    std::int64_t customer_id;
    TimeMs due_at;
    std::int64_t cursor;
  };
  std::vector<Due> due;
  while (q.executeStep()) {
    due.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                   q.getColumn(3).getInt64()});
  }
  q.reset();
  int done = 0;
  for (const auto& d : due) {
    auto journey = cat->find(d.journey_id);
    auto remove = [&] {
      auto& del = db.prepare("DELETE FROM scheduled_entries WHERE journey_id = ? AND customer_id = ?");
      del.bind(1, d.journey_id);
      del.bind(2, d.customer_id);
      del.exec();
    };
    if (!journey || (journey->trigger.kind != TriggerKind::kDateAttribute &&
                     journey->trigger.kind != TriggerKind::kSchedule)) {
      remove();  // the journey is gone or no longer time-triggered
      continue;
    }
    if (d.customer_id != 0) {
      auto customer = loadCustomerJson(db, d.customer_id, models().get(), now, scores(cat));
      if (!customer) {
        remove();
        continue;
      }
      StoreCustomerView view(db, d.customer_id, std::move(*customer), now);
      TriggerInput trigger{TriggerKind::kDateAttribute, {journey->trigger.name, json::object(), d.due_at}};
      if (auto r = tryEnter(db, *journey, trigger, view, now); !r) return fail(r.error());
      planDateEntries(db, view, std::max(now, d.due_at + 1));
      ++done;
      continue;
    }
    // A broadcast: the audience streams in batches; the cursor survives a crash.
    auto& ids = db.prepare("SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?");
    ids.bind(1, d.cursor);
    ids.bind(2, limit);
    std::vector<std::int64_t> batch;
    while (ids.executeStep()) batch.push_back(ids.getColumn(0).getInt64());
    ids.reset();
    TriggerInput trigger{TriggerKind::kSchedule, {journey->trigger.name, json::object(), d.due_at}};
    for (auto id : batch) {
      auto customer = loadCustomerJson(db, id, models().get(), now, scores(cat));
      if (!customer) continue;
      StoreCustomerView view(db, id, std::move(*customer), now);
      if (auto r = tryEnter(db, *journey, trigger, view, now); !r) return fail(r.error());
    }
    done += static_cast<int>(batch.size());
    auto& up = db.prepare("UPDATE scheduled_entries SET cursor = ?, due_at = ? WHERE journey_id = ? AND customer_id = 0");
    if (batch.size() == static_cast<size_t>(limit)) {
      up.bind(1, batch.back());
      up.bind(2, d.due_at);
    } else {
      StoreCustomerView nobody(db, 0, json::object(), now);
      auto next = nextScheduledEntry(*journey, nobody, std::max(now, d.due_at));
      if (!next) {
        up.reset();
        remove();
        continue;
      }
      up.bind(1, static_cast<std::int64_t>(0));
      up.bind(2, *next);
    }
    up.bind(3, d.journey_id);
    up.exec();
  }
  return done;
}

Result<int> JourneyRunner::recheckSegmentsDue(Database& db, TimeMs now, int limit) {
  auto& q = db.prepare("SELECT id FROM customers WHERE segments_recheck_at <= ? ORDER BY segments_recheck_at LIMIT ?");
  q.bind(1, now);
  q.bind(2, limit);
  const auto ids = readIds(q);
  auto r = forEachCustomer(db, ids, now, [&](StoreCustomerView& view) { return evaluateSegments(db, view, now); });
  if (!r) return fail(r.error());
  return static_cast<int>(ids.size());
}

Result<void> JourneyRunner::migrateInFlight(Database& db, TimeMs now) {
  auto cat = catalog();
  for (const auto& journey : cat->journeys) {
    auto& q = db.prepare(
        "SELECT id, customer_id, state FROM enrollments WHERE journey_id = ? AND finished_at IS NULL AND version != ?");
    q.bind(1, journey->id);
    q.bind(2, journey->version);
    std::vector<Enrollment> enrollments;
    auto ids = readRows(q, enrollments);
    if (ids.empty()) continue;
    std::map<std::pair<std::string, std::string>, int> tally;  // (step, action) → customers
    for (size_t i = 0; i < ids.size(); ++i) {
      const Enrollment& e = enrollments[i];
      auto old_journey = versionFor(db, e.journey_id, e.version);
      Migration m;
      if (old_journey) {
        m = migrateEnrollment(*old_journey, *journey, e, now);
      } else {
        m.action = MigrationAction::kKeptOnOld;
        m.enrollment = e;
      }
      ++tally[{e.step_id, migrationActionName(m.action)}];
      if (m.action == MigrationAction::kMoved || m.action == MigrationAction::kRestart) {
        auto customer = loadCustomerJson(db, ids[i].second, models().get(), now, scores(cat));
        if (!customer) continue;
        StoreCustomerView view(db, ids[i].second, std::move(*customer), now);
        Transition t{m.enrollment, {}, {}};
        if (auto r = store(db, ids[i].first, *journey, t, view, now); !r) return r;
        if (m.action == MigrationAction::kRestart) {
          const json& trig = e.trigger_event;
          TriggerInput again{journey->trigger.kind,
                             {trig.value("name", ""), trig.value("properties", json::object()), now}};
          if (auto r = tryEnter(db, *journey, again, view, now); !r) return r;
        }
      }
    }
    for (const auto& [key, count] : tally) {
      spdlog::info("msg=\"journey changed\" journey={} version={} on_change={} step={} customers={} action={}",
                   journey->id, journey->version, onChangeName(journey->on_change), key.first, count, key.second);
    }
  }
  return ok();
}

}  // namespace journeyd
