#pragma once
/// Applies inbound messages to customer state inside a write transaction: resolves the person
/// behind the ids (OneID), merges profiles when two turn out to be one, stores the event once
/// per messageId, keeps traits and order facts current, and suppresses the email address of a
/// hard bounce or spam complaint the email provider reports (Segment's Email Bounced / Email
/// Marked as Spam). The rules live here; the rows behind them in the store's CustomerRepo.
#include <string>
#include <unordered_set>

#include "daemon/config/config.h"
#include "daemon/customers/inbound_message.h"
#include "daemon/store/store.h"

namespace journeyd {

/// What applying one message did, for the layers after it (journeys react to these).
struct AppliedMessage {
  CustomerId customer_id = 0;
  bool duplicate = false;  ///< messageId seen before: nothing was changed
  bool is_order = false;
  /// identify only: the traits before this message changed them (for attribute_changed triggers).
  nlohmann::json previous_traits;
};

/// Immutable after construction; apply() runs inside a write job on the caller's Tx.
class CustomerWriter {
 public:
  explicit CustomerWriter(const OrderSettings& orders);

  Result<AppliedMessage> apply(Tx& tx, const InboundMessage& message) const;

 private:
  CustomerId resolve(CustomerRepo& customers, const InboundMessage& m) const;
  CustomerId resolveAlias(CustomerRepo& customers, const InboundMessage& m) const;
  double orderRevenue(const nlohmann::json& properties) const;

  std::unordered_set<std::string> order_events_;
  std::vector<std::string> revenue_properties_;
};

/// Resolves an API id: a userId, or `email:…`, `phone:…`, `anon:…`, `user:…`, `id:N` (internal
/// id); 0 when unknown.
CustomerId findCustomerBySpec(const CustomerRepo& customers, const std::string& spec);

}  // namespace journeyd
