#pragma once
/// Applies inbound messages to customer state inside the writer's transaction: resolves the
/// person behind the ids (OneID), merges profiles when two turn out to be one, stores the event
/// once per messageId, keeps traits and order facts current, and suppresses the email address
/// of a hard bounce or spam complaint the email provider reports (Segment's Email Bounced /
/// Email Marked as Spam).
#include <string>
#include <unordered_set>

#include "daemon/config/config.h"
#include "daemon/customers/inbound_message.h"
#include "daemon/store/database.h"

namespace journeyd {

/// What applying one message did, for the layers after it (journeys react to these).
struct AppliedMessage {
  std::int64_t customer_id = 0;
  bool duplicate = false;  ///< messageId seen before: nothing was changed
  bool is_order = false;
  /// identify only: the traits before this message changed them (for attribute_changed triggers).
  nlohmann::json previous_traits;
};

/// Runs on the writer thread only (it uses the writer's connection).
class CustomerWriter {
 public:
  explicit CustomerWriter(const OrderSettings& orders);

  Result<AppliedMessage> apply(Database& db, const InboundMessage& message);

  /// Erases a customer: profile, identities and events. NotFound when there is none.
  static Result<void> erase(Database& db, std::int64_t customer_id);

 private:
  Result<std::int64_t> resolve(Database& db, const InboundMessage& m);
  Result<std::int64_t> resolveAlias(Database& db, const InboundMessage& m);
  void attach(Database& db, std::int64_t customer, const char* kind, const std::string& value,
              TimeMs now);
  void merge(Database& db, std::int64_t from, std::int64_t into, TimeMs now);
  double orderRevenue(const nlohmann::json& properties) const;

  std::unordered_set<std::string> order_events_;
  std::vector<std::string> revenue_properties_;
};

/// Looks up the customer an identity belongs to; 0 when unknown.
std::int64_t findCustomer(Database& db, const char* kind, const std::string& value);

/// Resolves an API id: a userId, or `email:…`, `phone:…`, `anon:…`, `id:N` (internal id).
std::int64_t findCustomerBySpec(Database& db, const std::string& spec);

}  // namespace journeyd
