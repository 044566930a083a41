#include "daemon/delivery/outbox.h"

#include <nlohmann/json.hpp>

#include "daemon/customers/inbound_message.h"

namespace journeyd {

namespace {

std::string textColumn(SQLite::Statement& q, int index) {
  return q.isColumnNull(index) ? std::string{} : q.getColumn(index).getString();
}

std::string stringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

Result<std::vector<OutboxRow>> readDueRows(
    Database& db, TimeMs now, int scan_limit, int max_rows,
    const std::function<bool(std::int64_t id, std::string_view channel)>& take) {
  return guardSql("read due messages", [&]() -> Result<std::vector<OutboxRow>> {
    std::vector<OutboxRow> rows;
    auto& q = db.prepare(
        "SELECT m.id, m.channel, m.idempotency_key, m.customer_id, m.journey_id, m.step_id, m.recipient, "
        "m.rendered, m.attempts, m.created_at, m.enrollment_id, m.template, m.category, m.topic, c.traits, "
        "(SELECT reason FROM suppressions s WHERE s.address = m.recipient) "
        "FROM messages m LEFT JOIN customers c ON c.id = m.customer_id "
        "WHERE m.status = 'pending' AND m.next_attempt_at <= ? ORDER BY m.next_attempt_at, m.id LIMIT ?");
    q.bind(1, now);
    q.bind(2, scan_limit);
    while (static_cast<int>(rows.size()) < max_rows && q.executeStep()) {
      const std::int64_t id = q.getColumn(0).getInt64();
      const std::string channel = textColumn(q, 1);
      if (!take(id, channel)) continue;
      OutboxRow row;
      row.id = id;
      row.channel = channel;
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
      rows.push_back(std::move(row));
    }
    // An unfinished statement would hold the read snapshot open and hide later commits.
    q.reset();
    return rows;
  });
}

void addUnsubscribeHeaders(const std::string& unsubscribe_url, OutboundMessage& message) {
  if (unsubscribe_url.empty()) return;
  message.headers.emplace_back("List-Unsubscribe", "<" + unsubscribe_url + ">");
  if (unsubscribe_url.rfind("https://", 0) == 0) {
    message.headers.emplace_back("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  }
}

Result<OutboundMessage> buildOutboundMessage(const OutboxRow& row, MessageKind kind) {
  auto rendered = nlohmann::json::parse(row.rendered, nullptr, false);
  if (rendered.is_discarded() || !rendered.is_object()) {
    return fail(Error::invalid("the stored rendered message is not a JSON object"));
  }
  OutboundMessage m;
  m.id = row.idempotency_key;
  m.channel = row.channel;
  m.to = row.recipient;
  m.subject = stringField(rendered, "subject");
  m.html = stringField(rendered, "html");
  m.text = stringField(rendered, "text");
  m.body = stringField(rendered, "body");
  m.metadata["customer_id"] = std::to_string(row.customer_id);
  if (!row.journey_id.empty()) m.metadata["journey"] = row.journey_id;
  if (!row.step_id.empty()) m.metadata["step"] = row.step_id;
  m.created_at = row.created_at;
  if (kind == MessageKind::kEmail)
    addUnsubscribeHeaders(stringField(rendered, "unsubscribe_url"), m);
  return m;
}

std::optional<Suppression> bounceSuppression(const OutboxRow& row, MessageKind kind,
                                             const std::string& detail) {
  if (kind == MessageKind::kWebhook) return std::nullopt;
  const bool email = kind == MessageKind::kEmail;
  std::string address = email ? normalizeEmail(row.recipient) : normalizePhone(row.recipient);
  if (address.empty()) return std::nullopt;
  return Suppression{email ? "email" : "sms", std::move(address), "hard bounce: " + detail};
}

Result<void> recordOutcomes(Database& db, const std::vector<AttemptOutcome>& outcomes) {
  using Status = AttemptOutcome::Status;
  for (const auto& o : outcomes) {
    const int attempted = o.attempted ? 1 : 0;
    if (o.status == Status::kSent) {
      // What was sent is recorded as sent, even when a higher-priority message displaced it
      // while the dispatcher already had it in flight (a race the runner's margin makes rare).
      // What was sent is recorded as sent, also when it was withdrawn (its enrollment exited)
      // while the dispatcher already had it in flight.
      auto& up = db.prepare(
          "UPDATE messages SET status = 'sent', sent_at = ?, provider_id = ?, "
          "attempts = attempts + 1, next_attempt_at = NULL, reason = NULL "
          "WHERE id = ? AND (status = 'pending' OR (status = 'skipped' AND "
          "(reason LIKE '%given to higher-priority%' OR reason LIKE 'withdrawn: %')))");
      up.bind(1, o.at);
      if (o.provider_id.empty())
        up.bind(2);
      else
        up.bind(2, o.provider_id);
      up.bind(3, o.message_id);
      up.exec();
    } else if (o.status == Status::kRetry) {
      auto& up = db.prepare(
          "UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?, reason = ? "
          "WHERE id = ? AND status = 'pending'");
      up.bind(1, o.next_attempt_at);
      up.bind(2, o.reason);
      up.bind(3, o.message_id);
      up.exec();
    } else if (o.status == Status::kWithdrawn) {
      auto& up = db.prepare(
          "UPDATE messages SET status = 'skipped', next_attempt_at = NULL, reason = ? "
          "WHERE id = ? AND status = 'pending'");
      up.bind(1, o.reason);
      up.bind(2, o.message_id);
      up.exec();
    } else {
      auto& up = db.prepare(
          "UPDATE messages SET status = ?, attempts = attempts + ?, next_attempt_at = NULL, "
          "reason = ? WHERE id = ? AND status = 'pending'");
      up.bind(1, o.status == Status::kDead ? "dead" : "failed");
      up.bind(2, attempted);
      up.bind(3, o.reason);
      up.bind(4, o.message_id);
      up.exec();
    }
    if (o.attempted) {
      auto& ins = db.prepare(
          "INSERT INTO message_attempts (message_id, at, result, detail) VALUES (?, ?, ?, ?)");
      ins.bind(1, o.message_id);
      ins.bind(2, o.at);
      ins.bind(3, attemptResultName(o.attempt_result));
      if (o.detail.empty())
        ins.bind(4);
      else
        ins.bind(4, o.detail);
      ins.exec();
    }
    if (o.log) {
      auto& ins = db.prepare(
          "INSERT INTO journey_log (customer_id, journey_id, enrollment_id, at, step_id, text) VALUES (?, ?, ?, ?, ?, ?)");
      ins.bind(1, o.log->customer_id);
      ins.bind(2, o.log->journey_id);
      if (o.log->enrollment_id) ins.bind(3, o.log->enrollment_id); else ins.bind(3);
      ins.bind(4, o.at);
      if (o.log->step_id.empty()) ins.bind(5); else ins.bind(5, o.log->step_id);
      ins.bind(6, o.log->text);
      ins.exec();
    }
    if (o.suppression) {
      auto& sup = db.prepare(
          "INSERT OR IGNORE INTO suppressions (channel, address, reason, at) VALUES (?, ?, ?, ?)");
      sup.bind(1, o.suppression->channel);
      sup.bind(2, o.suppression->address);
      sup.bind(3, o.suppression->reason);
      sup.bind(4, o.at);
      sup.exec();
    }
  }
  return ok();
}

}  // namespace journeyd
