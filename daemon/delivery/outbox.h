#pragma once
/// The SQL side of delivery: reading due rows of the `messages` outbox, turning a row into the
/// OutboundMessage a connector sends, and recording attempt outcomes. Functions over a
/// Database the caller's thread owns (the claimer's read-only connection, the StoreWriter's).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "daemon/core/result.h"
#include "daemon/delivery/retry_policy.h"
#include "daemon/store/database.h"

namespace journeyd {

/// A pending outbox row as the dispatcher needs it.
struct OutboxRow {
  std::int64_t id = 0;
  std::string idempotency_key;
  std::int64_t customer_id = 0;
  std::string journey_id;
  std::string step_id;
  std::string channel;
  std::string recipient;
  std::string rendered;  ///< JSON written by the journey runner
  int attempts = 0;
  TimeMs created_at = 0;
  std::int64_t enrollment_id = 0;
  std::string template_name;
  // What the policy decides again at claim time (see withdrawAtClaim), read in the same snapshot.
  bool transactional = false;
  std::string topic;
  std::optional<std::string> customer_traits;  ///< the customer's traits (JSON) now; nullopt: erased
  std::string suppressed;                      ///< the suppression list's reason for the recipient now
};

/// Reads due rows (`status = 'pending' AND next_attempt_at <= now`) oldest first, looking at
/// no more than `scan_limit` rows; `take(id, channel)` says whether to claim a row (false for
/// rows already in flight or for channels with no room). Returns at most `max_rows` rows and
/// ends the read transaction before returning, so the next call sees new commits.
Result<std::vector<OutboxRow>> readDueRows(
    Database& db, TimeMs now, int scan_limit, int max_rows,
    const std::function<bool(std::int64_t id, std::string_view channel)>& take);

/// The message a connector sends for `row`: id = idempotency key, parts from `rendered`,
/// metadata {customer_id, journey, step}, and for email the unsubscribe headers. An error
/// when `rendered` is not a JSON object (a permanent problem of the row).
Result<OutboundMessage> buildOutboundMessage(const OutboxRow& row, MessageKind kind);

/// The compliance hook for email: adds `List-Unsubscribe: <url>` and, for an https URL (RFC 8058
/// one-click requires https), `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. Nothing for
/// an empty URL.
void addUnsubscribeHeaders(const std::string& unsubscribe_url, OutboundMessage& message);

/// The suppression a hard bounce of `row` adds: channel "email" or "sms" by the channel's
/// kind, the normalized recipient, reason "hard bounce: <the connector's reason>". nullopt for
/// webhooks and recipients that do not normalize (nothing the journey runner could match).
std::optional<Suppression> bounceSuppression(const OutboxRow& row, MessageKind kind,
                                             const std::string& detail);

/// Records outcomes in one go (call from a StoreWriter job): the row's new status, for every
/// attempt a message_attempts row, and each outcome's suppression. Only rows still 'pending'
/// are changed, so a row an operator cancelled meanwhile keeps its status; its bounce still
/// suppresses the address. An address already suppressed keeps its first reason.
Result<void> recordOutcomes(Database& db, const std::vector<AttemptOutcome>& outcomes);

}  // namespace journeyd
