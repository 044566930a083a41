#pragma once
/// A customer's own change of mind about our messages — an unsubscribe link, an SMS STOP or
/// START — as commands on the store: their traits are patched, the change is recorded as an
/// event, and what journeys must react to is handed back so the caller queues it in the same
/// transaction. Replays change nothing.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/customers/customer_writer.h"

namespace journeyd {

struct ConsentChange {
  CustomerId customer_id = 0;
  nlohmann::json traits;      ///< merged into the customer's traits (JSON merge patch)
  std::string event;          ///< the track event recorded, e.g. "Unsubscribed"
  nlohmann::json properties;  ///< the event's properties
  std::string message_id;  ///< the event's dedup key: a replay records nothing and changes nothing
  TimeMs at = 0;
};

/// The change as journeys see it: an identify of the patched traits (so attribute_changed
/// triggers and exit_when conditions act on it).
struct ConsentApplied {
  AppliedMessage applied;
  InboundMessage message;
};

/// Applies the change; nullopt when it was a replay. NotFound when there is no such customer.
Result<std::optional<ConsentApplied>> applyConsentChange(Tx& tx, const ConsentChange& change);

/// A reply texted to our number: STOP (unsubscribe the number) or START (resubscribe it).
struct SmsReplyCommand {
  std::string phone;  ///< normalized
  bool stop = true;
  std::string keyword;      ///< as the customer wrote it (for the event)
  std::string message_sid;  ///< the provider's id of the text: a retried webhook is applied once
  TimeMs at = 0;
};

/// STOP suppresses the number itself (so nothing reaches it whoever it belongs to, now or later)
/// and withdraws SMS consent from the customer known by it; START lifts our STOP suppression
/// and the provider's own record of a STOP (Twilio 21610), never a suppression made for another
/// reason, and gives consent back. A reply already applied (its events exist) changes nothing,
/// so an old STOP retried after a START is harmless. Returns what journeys must react to.
Result<std::vector<ConsentApplied>> applySmsReply(Tx& tx, const SmsReplyCommand& reply);

/// Whether a suppression reason is one START lifts.
[[nodiscard]] bool liftedByStart(const std::string& reason);

}  // namespace journeyd
