#include "daemon/planner/apply_plan.h"

#include "daemon/delivery/policy.h"
#include "daemon/planner/planner.h"

namespace journeyd {

namespace {

/// Writes the operations of one plan, in order, resolving enrollment slots to row ids.
class Writer {
 public:
  Writer(Tx& tx, const CustomerPlan& plan) : tx_(tx), plan_(plan) {}

  /// Writes every operation into `out`: the enrollments' row ids, the messages taken back.
  void run(AppliedPlan& out) {
    for (const auto& op : plan_.ops) std::visit(*this, op);
    out.enrollment_ids = std::move(ids_);
    out.skipped = std::move(skipped_);
  }

  void operator()(const EnrollmentWrite& w) {
    if (w.slot < 0) return;
    if (static_cast<size_t>(w.slot) >= ids_.size()) ids_.resize(static_cast<size_t>(w.slot) + 1, 0);
    std::int64_t& id = ids_[static_cast<size_t>(w.slot)];
    if (id == 0 && w.id == 0) {
      id = tx_.enrollments().insert(plan_.customer_id, w.enrollment, w.state_json);
      return;
    }
    if (id == 0) id = w.id;
    tx_.enrollments().update(id, w.enrollment, w.state_json);
  }

  void operator()(const MessageInsert& m) {
    NewMessage message = m.message;
    message.enrollment_id = idOf(m.enrollment);
    message.idempotency_key =
        messageKey(message.journey_id, message.enrollment_id, message.step_id, m.sequence);
    tx_.outbox().insert(message);
  }

  void operator()(const MessageDisplace& d) {
    if (auto ref = tx_.outbox().displace(d.message_id, d.reason, plan_.now + kClaimMarginMs)) {
      skipped_.push_back({ref->channel, SkipKind::kCapped});
      log(ref->journey_id, ref->enrollment_id, ref->step_id,
          "message " + ref->channel + " " + ref->template_name + " → skipped: " + d.reason);
    }
  }

  void operator()(const MessagesWithdraw& w) {
    const std::int64_t enrollment = idOf(w.enrollment);
    if (enrollment == 0) return;
    for (const auto& ref : tx_.outbox().withdrawPending(plan_.customer_id, enrollment, w.reason)) {
      skipped_.push_back({ref.channel, SkipKind::kJourneyExit});
      log(ref.journey_id, ref.enrollment_id, ref.step_id,
          "message " + ref.channel + " " + ref.template_name + " → skipped: " + w.reason);
    }
  }

  void operator()(const CustomerUpdate& u) {
    tx_.customers().applyUpdate(plan_.customer_id, u.update, plan_.now);
  }

  void operator()(const EventEmit& e) {
    NewEvent event;
    event.customer_id = plan_.customer_id;
    event.message_id = "journey:" + std::to_string(idOf(e.enrollment)) + ":" + e.step_id + ":" +
                       std::to_string(e.sequence);
    event.type = "track";
    event.name = e.name;
    event.ts = plan_.now;
    event.received_at = plan_.now;
    event.properties = e.properties.dump();
    tx_.customers().insertEvent(event);
  }

  void operator()(const SegmentChange& c) {
    tx_.segments().change(plan_.customer_id, c.segment, c.entered, plan_.now);
  }

  void operator()(const SegmentRecheck& r) { tx_.segments().setRecheck(plan_.customer_id, r.at); }

  void operator()(const ScheduleEntry& s) {
    if (s.due_at) {
      tx_.schedules().put({s.journey_id, plan_.customer_id, *s.due_at, 0});
    } else {
      tx_.schedules().remove(s.journey_id, plan_.customer_id);
    }
  }

  void operator()(const LogLines& l) {
    const std::int64_t enrollment = idOf(l.enrollment);
    std::vector<JourneyLogLine> lines;
    lines.reserve(l.lines.size());
    for (const auto& line : l.lines)
      lines.push_back(
          {plan_.customer_id, l.journey_id, enrollment, line.at, line.step_id, line.text});
    tx_.journeyLog().append(lines, l.encoded);
  }

 private:
  void log(const std::string& journey_id, std::int64_t enrollment_id, const std::string& step_id,
           std::string text) {
    tx_.journeyLog().append(
        {plan_.customer_id, journey_id, enrollment_id, plan_.now, step_id, std::move(text)});
  }
  [[nodiscard]] std::int64_t idOf(EnrollmentSlot slot) const {
    return slot >= 0 && static_cast<size_t>(slot) < ids_.size() ? ids_[static_cast<size_t>(slot)]
                                                                : 0;
  }

  Tx& tx_;
  const CustomerPlan& plan_;
  std::vector<std::int64_t> ids_;
  std::vector<SkippedMessage> skipped_;
};

}  // namespace

AppliedPlan applyPlan(Tx& tx, const CustomerPlan& plan) {
  AppliedPlan out;
  // A plan made from an older view of the customer than the store's is refused whole: its work
  // stays where it was (inbox rows, due wake-ups) and is planned again.
  if (plan.revision && !tx.customers().claimRevision(plan.customer_id, *plan.revision)) return out;
  if (!plan.inbox_done.empty()) tx.inbox().remove(plan.inbox_done);
  for (auto id : plan.enrollments_gone) tx.enrollments().remove(id);
  Writer(tx, plan).run(out);
  out.applied = true;
  return out;
}

}  // namespace journeyd
