#pragma once
/// What the dispatcher makes of an outbox row: the OutboundMessage a connector sends (with the
/// compliance headers), and the suppression a hard bounce of it adds. Pure functions; the rows
/// themselves are the store's (OutboxRepo).
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "daemon/core/result.h"
#include "daemon/store/records.h"

namespace journeyd {

/// The message a connector sends for `row`: id = idempotency key, parts from `rendered`,
/// metadata {customer_id, journey, step, key}, and for email the unsubscribe headers. An error
/// when `rendered` is not a JSON object (a permanent problem of the row).
Result<OutboundMessage> buildOutboundMessage(const ClaimedMessage& row, ChannelKind kind);

/// The compliance hook for email: adds `List-Unsubscribe: <url>` and, for an https URL (RFC 8058
/// one-click requires https), `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. Nothing for
/// an empty URL.
void addUnsubscribeHeaders(const std::string& unsubscribe_url, OutboundMessage& message);

/// The suppression a hard bounce of `row` adds: the channel kind, the normalized recipient,
/// reason "hard bounce: <the connector's reason>". nullopt for webhooks and recipients that do
/// not normalize (nothing the planner could match).
std::optional<DeliveryOutcome::Suppress> bounceSuppression(const ClaimedMessage& row,
                                                           ChannelKind kind,
                                                           const std::string& detail);

}  // namespace journeyd
