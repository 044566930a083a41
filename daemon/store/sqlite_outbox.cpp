// The outbox on SQLite: the `messages` table and its attempts.
#include "daemon/store/sqlite_repos.h"
#include "daemon/store/sqlite_util.h"

namespace journeyd {

namespace {

constexpr const char* kStatusNames[] = {"pending", "sent", "failed", "skipped", "dead"};

MessageStatus statusColumn(SQLite::Statement& q, int index) {
  return parseMessageStatus(textColumn(q, index)).value_or(MessageStatus::kFailed);
}

std::vector<MessageRef> readRefs(SQLite::Statement& q) {
  std::vector<MessageRef> refs;
  while (q.executeStep()) {
    refs.push_back({q.getColumn(0).getInt64(), textColumn(q, 1),
                    q.isColumnNull(2) ? 0 : q.getColumn(2).getInt64(), textColumn(q, 3),
                    textColumn(q, 4), textColumn(q, 5)});
  }
  q.reset();
  return refs;
}

}  // namespace

const char* messageStatusName(MessageStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

std::optional<MessageStatus> parseMessageStatus(std::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kStatusNames[i]) return static_cast<MessageStatus>(i);
  }
  return std::nullopt;
}

const char* attemptName(DeliveryOutcome::Attempt attempt) {
  switch (attempt) {
    case DeliveryOutcome::Attempt::kSent:
      return "sent";
    case DeliveryOutcome::Attempt::kRetry:
      return "retry";
    case DeliveryOutcome::Attempt::kFailed:
      return "failed";
  }
  return "failed";
}

std::vector<CountedMessage> SqliteOutbox::counted(CustomerId id, TimeMs since) const {
  // Transactional messages never count; a message's moment is when it went, or is due to go.
  auto& q = db_.prepare(
      "SELECT id, journey_id, step_id, channel, status, attempts, coalesce(sent_at, "
      "next_attempt_at, created_at) "
      "FROM messages WHERE customer_id = ? AND status IN ('pending', 'sent') AND category IS NULL "
      "AND coalesce(sent_at, next_attempt_at, created_at) > ?");
  q.bind(1, id);
  q.bind(2, since);
  std::vector<CountedMessage> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), textColumn(q, 1), textColumn(q, 2), textColumn(q, 3),
                   statusColumn(q, 4), q.getColumn(5).getInt(), q.getColumn(6).getInt64()});
  }
  q.reset();
  return out;
}

std::vector<ClaimedMessage> SqliteOutbox::due(
    TimeMs now, OutboxCursor& cursor, int scan_limit, int max_rows,
    const std::function<ClaimDecision(std::int64_t, std::string_view)>& decide) const {
  // Two steps: the due rows' ids and channels from the pending index (most of them may be in
  // flight already and are passed over), then the whole row only for those claimed, with the
  // customer's traits and the recipient's suppression read in the same snapshot: the dispatcher
  // decides the policy again on them (see withdrawAtClaim).
  auto& scan = db_.prepare(
      "SELECT id, channel, next_attempt_at FROM messages WHERE status = 'pending' AND "
      "next_attempt_at <= ? "
      "AND (next_attempt_at, id) > (?, ?) ORDER BY next_attempt_at, id LIMIT ?");
  scan.bind(1, now);
  scan.bind(2, cursor.at);
  scan.bind(3, cursor.id);
  scan.bind(4, scan_limit);
  std::vector<std::pair<std::int64_t, bool>> claimed;  // id, with the customer's consent data
  bool held = false;  // a row was left for later: the cursor stays before it
  while (static_cast<int>(claimed.size()) < max_rows && scan.executeStep()) {
    const std::int64_t id = scan.getColumn(0).getInt64();
    const ClaimDecision d = decide(id, scan.getColumn(1).getText());
    if (d == ClaimDecision::kLater) held = true;
    if (!held) cursor = {scan.getColumn(2).getInt64(), id};
    if (d == ClaimDecision::kTake || d == ClaimDecision::kTakeForPerson) {
      claimed.emplace_back(id, d == ClaimDecision::kTakeForPerson);
    }
  }
  // An unfinished statement would hold the read snapshot open and hide later commits.
  scan.reset();
  auto& person = db_.prepare(
      "SELECT m.id, m.channel, m.idempotency_key, m.customer_id, m.journey_id, m.step_id, "
      "m.recipient, "
      "m.rendered, m.attempts, m.created_at, m.enrollment_id, m.template, m.category, m.topic, "
      "c.traits, "
      "(SELECT reason FROM suppressions s WHERE s.address = m.recipient), m.enrollment_key, "
      "m.next_attempt_at "
      "FROM messages m LEFT JOIN customers c ON c.id = m.customer_id WHERE m.id = ?");
  auto& system = db_.prepare(
      "SELECT m.id, m.channel, m.idempotency_key, m.customer_id, m.journey_id, m.step_id, "
      "m.recipient, "
      "m.rendered, m.attempts, m.created_at, m.enrollment_id, m.template, m.category, m.topic, "
      "NULL, "
      "NULL, m.enrollment_key, m.next_attempt_at FROM messages m WHERE m.id = ?");
  std::vector<ClaimedMessage> rows;
  rows.reserve(claimed.size());
  for (const auto& [id, for_person] : claimed) {
    auto& q = for_person ? person : system;
    q.bind(1, id);
    if (q.executeStep()) {
      ClaimedMessage row;
      row.id = id;
      row.channel = textColumn(q, 1);
      row.idempotency_key = textColumn(q, 2);
      row.customer_id = q.getColumn(3).getInt64();
      row.journey_id = textColumn(q, 4);
      row.step_id = textColumn(q, 5);
      row.recipient = textColumn(q, 6);
      row.rendered = textColumn(q, 7);
      row.attempts = q.getColumn(8).getInt();
      row.created_at = q.getColumn(9).getInt64();
      row.enrollment_id = q.isColumnNull(10) ? 0 : q.getColumn(10).getInt64();
      row.template_name = textColumn(q, 11);
      row.transactional = textColumn(q, 12) == "transactional";
      row.topic = textColumn(q, 13);
      if (!q.isColumnNull(14)) row.customer_traits = q.getColumn(14).getString();
      row.suppressed = textColumn(q, 15);
      row.enrollment_key = textColumn(q, 16);
      row.due_at = q.isColumnNull(17) ? row.created_at : q.getColumn(17).getInt64();
      rows.push_back(std::move(row));
    }
    q.reset();
  }
  return rows;
}

OutboxStats SqliteOutbox::stats(TimeMs now) const {
  OutboxStats s;
  auto& q = db_.prepare(
      "SELECT count(*), count(CASE WHEN next_attempt_at <= ?1 THEN 1 END), "
      "min(CASE WHEN next_attempt_at <= ?1 THEN next_attempt_at END), min(next_attempt_at) "
      "FROM messages WHERE status = 'pending'");
  q.bind(1, now);
  if (q.executeStep()) {
    s.pending = q.getColumn(0).getInt64();
    s.due = q.getColumn(1).getInt64();
    s.oldest_due_at = timeColumn(q, 2);
    s.next_due_at = timeColumn(q, 3);
  }
  q.reset();
  return s;
}

std::vector<StoredMessage> SqliteOutbox::ofCustomer(CustomerId id, int limit) const {
  auto& q = db_.prepare(
      "SELECT id, idempotency_key, journey_id, step_id, enrollment_id, enrollment_key, channel, "
      "template, recipient, "
      "status, rendered, next_attempt_at, created_at, reason, category, topic, sent_at, attempts "
      "FROM messages WHERE customer_id = ? ORDER BY id LIMIT ?");
  q.bind(1, id);
  q.bind(2, limit);
  std::vector<StoredMessage> out;
  while (q.executeStep()) {
    StoredMessage s;
    s.id = q.getColumn(0).getInt64();
    NewMessage& m = s.message;
    m.customer_id = id;
    m.idempotency_key = textColumn(q, 1);
    m.journey_id = textColumn(q, 2);
    m.step_id = textColumn(q, 3);
    m.enrollment_id = q.isColumnNull(4) ? 0 : q.getColumn(4).getInt64();
    m.enrollment_key = textColumn(q, 5);
    m.channel = textColumn(q, 6);
    m.template_name = textColumn(q, 7);
    m.recipient = textColumn(q, 8);
    m.status = statusColumn(q, 9);
    m.rendered = textColumn(q, 10);
    m.next_attempt_at = timeColumn(q, 11);
    m.created_at = q.getColumn(12).getInt64();
    m.reason = textColumn(q, 13);
    m.transactional = textColumn(q, 14) == "transactional";
    m.topic = textColumn(q, 15);
    s.sent_at = timeColumn(q, 16);
    s.attempts = q.getColumn(17).getInt();
    out.push_back(std::move(s));
  }
  q.reset();
  return out;
}

std::int64_t SqliteOutbox::insert(const NewMessage& m) {
  auto& ins = db_.prepare(
      "INSERT OR IGNORE INTO messages (idempotency_key, customer_id, journey_id, step_id, "
      "enrollment_id, channel, "
      "template, recipient, status, rendered, next_attempt_at, created_at, reason, category, "
      "topic, enrollment_key) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, m.idempotency_key);
  ins.bind(2, m.customer_id);
  bindText(ins, 3, m.journey_id);
  bindText(ins, 4, m.step_id);
  if (m.enrollment_id) {
    ins.bind(5, m.enrollment_id);
  } else {
    ins.bind(5);
  }
  ins.bind(6, m.channel);
  ins.bind(7, m.template_name);
  bindText(ins, 8, m.recipient);
  ins.bind(9, messageStatusName(m.status));
  bindText(ins, 10, m.rendered);
  bindOptionalTime(ins, 11, m.status == MessageStatus::kPending ? m.next_attempt_at : std::nullopt);
  ins.bind(12, m.created_at);
  bindText(ins, 13, m.reason);
  if (m.transactional) {
    ins.bind(14, "transactional");
  } else {
    ins.bind(14);
  }
  bindText(ins, 15, m.topic);
  bindText(ins, 16, m.enrollment_key);
  return ins.exec() > 0 ? db_.sql().getLastInsertRowid() : 0;
}

std::optional<MessageRef> SqliteOutbox::displace(std::int64_t id, const std::string& reason,
                                                 TimeMs not_claimable_before) {
  auto& up = db_.prepare(
      "UPDATE messages SET status = 'skipped', reason = ?, next_attempt_at = NULL "
      "WHERE id = ? AND status = 'pending' AND attempts = 0 AND next_attempt_at > ? "
      "RETURNING id, journey_id, enrollment_id, step_id, channel, template");
  up.bind(1, reason);
  up.bind(2, id);
  up.bind(3, not_claimable_before);
  auto refs = readRefs(up);
  if (refs.empty()) return std::nullopt;
  return refs.front();
}

std::vector<MessageRef> SqliteOutbox::withdrawPending(CustomerId customer,
                                                      std::int64_t enrollment_id,
                                                      const std::string& reason) {
  auto& w = db_.prepare(
      "UPDATE messages SET status = 'skipped', reason = ?, next_attempt_at = NULL "
      "WHERE customer_id = ? AND enrollment_id = ? AND status = 'pending' "
      "RETURNING id, journey_id, enrollment_id, step_id, channel, template");
  w.bind(1, reason);
  w.bind(2, customer);
  w.bind(3, enrollment_id);
  return readRefs(w);
}

void SqliteOutbox::recordOutcomes(const std::vector<DeliveryOutcome>& outcomes) {
  using Status = DeliveryOutcome::Status;
  for (const auto& o : outcomes) {
    if (o.status == Status::kSent) {
      // What was sent is recorded as sent, even when it was taken back (displaced by a
      // higher-priority message, withdrawn by an exit) while the dispatcher had it in flight.
      auto& up = db_.prepare(
          "UPDATE messages SET status = 'sent', sent_at = ?, provider_id = ?, attempts = attempts "
          "+ 1, "
          "next_attempt_at = NULL, reason = CASE WHEN attempts = 0 AND status = 'pending' THEN "
          "reason END "
          "WHERE id = ? AND (status = 'pending' OR (status = 'skipped' AND "
          "(reason LIKE '%given to higher-priority%' OR reason LIKE 'withdrawn: %')))");
      up.bind(1, o.at);
      bindText(up, 2, o.provider_id);
      up.bind(3, o.message_id);
      up.exec();
    } else if (o.status == Status::kRetry) {
      auto& up = db_.prepare(
          "UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?, reason = ? "
          "WHERE id = ? AND status = 'pending'");
      up.bind(1, o.next_attempt_at);
      up.bind(2, o.reason);
      up.bind(3, o.message_id);
      up.exec();
    } else if (o.status == Status::kWithdrawn) {
      auto& up = db_.prepare(
          "UPDATE messages SET status = 'skipped', next_attempt_at = NULL, reason = ? "
          "WHERE id = ? AND status = 'pending'");
      up.bind(1, o.reason);
      up.bind(2, o.message_id);
      if (up.exec() > 0) {
        // The customer's story says what became of it (`explain`).
        auto& log = db_.prepare(
            "INSERT INTO journey_log (customer_id, journey_id, enrollment_id, at, step_id, text) "
            "SELECT customer_id, journey_id, enrollment_id, ?, step_id, "
            "'message ' || channel || ' ' || template || ' → skipped: ' || reason "
            "FROM messages WHERE id = ? AND journey_id IS NOT NULL");
        log.bind(1, o.at);
        log.bind(2, o.message_id);
        log.exec();
      }
    } else {
      auto& up = db_.prepare(
          "UPDATE messages SET status = ?, attempts = attempts + ?, next_attempt_at = NULL, "
          "reason = ? WHERE id = ? AND status = 'pending'");
      up.bind(1, messageStatusName(o.status == Status::kDead ? MessageStatus::kDead
                                                             : MessageStatus::kFailed));
      up.bind(2, o.attempted ? 1 : 0);
      up.bind(3, o.reason);
      up.bind(4, o.message_id);
      up.exec();
    }
    // An attempt is recorded when it tells more than the message row: a first-time success is
    // the row itself (sent_at, provider_id, attempts = 1).
    const bool first_success = o.status == Status::kSent &&
                               o.attempt_result == DeliveryOutcome::Attempt::kSent &&
                               o.detail == o.provider_id && o.retries_before == 0;
    if (o.attempted && !first_success) {
      auto& ins = db_.prepare(
          "INSERT INTO message_attempts (message_id, at, result, detail) VALUES (?, ?, ?, ?)");
      ins.bind(1, o.message_id);
      ins.bind(2, o.at);
      ins.bind(3, attemptName(o.attempt_result));
      bindText(ins, 4, o.detail);
      ins.exec();
    }
    if (o.suppression) {
      auto& sup = db_.prepare(
          "INSERT OR IGNORE INTO suppressions (channel, address, reason, at) VALUES (?, ?, ?, ?)");
      sup.bind(1, channelKindName(o.suppression->channel));
      sup.bind(2, o.suppression->address);
      sup.bind(3, o.suppression->reason);
      sup.bind(4, o.at);
      sup.exec();
    }
  }
}

}  // namespace journeyd
