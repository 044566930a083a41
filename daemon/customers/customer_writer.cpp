#include "daemon/customers/customer_writer.h"

#include <cctype>
#include <charconv>

namespace journeyd {

using json = nlohmann::json;

CustomerId findCustomerBySpec(const CustomerRepo& customers, const std::string& spec) {
  auto colon = spec.find(':');
  if (colon != std::string::npos) {
    std::string kind = spec.substr(0, colon), value = spec.substr(colon + 1);
    if (kind == "email")
      return customers.findByIdentity(IdentityKind::kEmail, normalizeEmail(value));
    if (kind == "phone")
      return customers.findByIdentity(IdentityKind::kPhone, normalizePhone(value));
    if (kind == "anon") return customers.findByIdentity(IdentityKind::kAnonymous, value);
    if (kind == "user") return customers.findByIdentity(IdentityKind::kUser, value);
    if (kind == "id") {
      // The whole of it a number: "1 OR 1=1" is no id (std::stoll would read the 1).
      CustomerId id = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
      if (ec != std::errc() || end != value.data() + value.size()) return 0;
      return customers.exists(id) ? id : 0;
    }
  }
  return customers.findByIdentity(IdentityKind::kUser, spec);
}

namespace {

std::string stringAt(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string lowerCase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// Why the email provider's report in a track event (Segment's Email spec) suppresses the
/// address: "hard bounce" for Email Bounced unless it says the bounce was soft, "complaint" for
/// Email Marked as Spam; empty for anything else.
std::string reportedSuppressionReason(const InboundMessage& m) {
  if (m.event == "Email Marked as Spam") return "complaint";
  if (m.event != "Email Bounced") return {};
  for (const char* key : {"bounce_type", "type"}) {
    const std::string kind = lowerCase(stringAt(m.properties, key));
    if (kind == "soft" || kind == "transient") return {};
  }
  return "hard bounce";
}

/// The address a provider's report is about: the first of properties.email_address, .email,
/// .recipient that is an email address, else the customer's latest email. A named address must be
/// one of the customer's own: a write key (often shipped in a web page) cannot suppress others'.
std::string reportedAddress(const CustomerRepo& customers, const InboundMessage& m,
                            CustomerId customer) {
  for (const char* key : {"email_address", "email", "recipient"}) {
    std::string address = normalizeEmail(stringAt(m.properties, key));
    if (address.empty()) continue;
    return customers.hasIdentity(customer, IdentityKind::kEmail, address) ? address : std::string{};
  }
  return customers.latestIdentity(customer, IdentityKind::kEmail);
}

}  // namespace

CustomerWriter::CustomerWriter(const OrderSettings& orders)
    : order_events_(orders.events.begin(), orders.events.end()),
      revenue_properties_(orders.revenue_properties) {}

CustomerId CustomerWriter::resolveAlias(CustomerRepo& customers, const InboundMessage& m) const {
  const TimeMs now = m.received_at;
  CustomerId known = customers.findByIdentity(IdentityKind::kUser, m.user_id);
  CustomerId previous = customers.findByIdentity(IdentityKind::kUser, m.previous_id);
  if (!previous) previous = customers.findByIdentity(IdentityKind::kAnonymous, m.previous_id);
  if (known && previous && known != previous) {
    customers.merge(previous, known, now);
    return known;
  }
  CustomerId target = known ? known : previous;
  if (!target) target = customers.create(now);
  // An unknown previous id is most often a pre-login anonymous id: later events under it land here.
  if (!previous) customers.attachIdentity(target, IdentityKind::kAnonymous, m.previous_id, now);
  if (!known) customers.attachIdentity(target, IdentityKind::kUser, m.user_id, now);
  return target;
}

CustomerId CustomerWriter::resolve(CustomerRepo& customers, const InboundMessage& m) const {
  if (m.type == MessageType::kAlias) return resolveAlias(customers, m);
  const TimeMs now = m.received_at;
  const CustomerId by_user = customers.findByIdentity(IdentityKind::kUser, m.user_id);
  const CustomerId by_anon = customers.findByIdentity(IdentityKind::kAnonymous, m.anonymous_id);
  auto known = [&](CustomerId c) { return customers.hasIdentity(c, IdentityKind::kUser); };
  // An anonymous id already tied to another known user is a shared device: it does not make
  // this user that person.
  const bool anon_is_other_user = by_anon && !by_user && !m.user_id.empty() && known(by_anon);
  CustomerId target = by_user ? by_user : (anon_is_other_user ? 0 : by_anon);

  std::string email, phone;
  if (m.type == MessageType::kIdentify) {
    email = normalizeEmail(stringAt(m.traits, "email"));
    phone = normalizePhone(stringAt(m.traits, "phone"));
  }
  if (!target) {
    // A profile known only by email/phone (e.g. from a CSV import) is this person.
    for (auto [kind, value] :
         {std::pair{IdentityKind::kEmail, &email}, std::pair{IdentityKind::kPhone, &phone}}) {
      const CustomerId c = customers.findByIdentity(kind, *value);
      if (c && (m.user_id.empty() || !known(c))) {
        target = c;
        break;
      }
    }
  }
  if (!target) target = customers.create(now);

  if (by_user && by_anon && by_user != by_anon) {
    if (!known(by_anon)) {
      customers.merge(by_anon, by_user, now);  // the anonymous visitor turned out to be this user
    } else {
      customers.attachIdentity(by_user, IdentityKind::kAnonymous, m.anonymous_id,
                               now);  // a shared device
    }
  }
  if (!by_user) customers.attachIdentity(target, IdentityKind::kUser, m.user_id, now);
  if (!by_anon || anon_is_other_user)
    customers.attachIdentity(target, IdentityKind::kAnonymous, m.anonymous_id, now);
  for (auto [kind, value] :
       {std::pair{IdentityKind::kEmail, &email}, std::pair{IdentityKind::kPhone, &phone}}) {
    if (value->empty()) continue;
    const CustomerId c = customers.findByIdentity(kind, *value);
    if (c == target) continue;
    if (!c) {
      customers.attachIdentity(target, kind, *value, now);
    } else if (!known(c)) {
      customers.merge(c, target, now);
    }
    // Otherwise the address belongs to another known person; profiles are not merged on a
    // shared address, the identity stays where it is.
  }
  return target;
}

double CustomerWriter::orderRevenue(const json& properties) const {
  if (!properties.is_object()) return 0;
  for (const auto& key : revenue_properties_) {
    auto it = properties.find(key);
    if (it == properties.end()) continue;
    if (it->is_number()) return it->get<double>();
    if (it->is_string()) {
      try {
        return std::stod(it->get<std::string>());
      } catch (...) {
      }
    }
  }
  return 0;
}

Result<AppliedMessage> CustomerWriter::apply(Tx& tx, const InboundMessage& m) const {
  CustomerRepo& customers = tx.customers();
  AppliedMessage applied;
  if (auto owner = customers.eventOwner(m.message_id)) {
    applied.customer_id = *owner;
    applied.duplicate = true;
    return applied;
  }
  applied.customer_id = resolve(customers, m);

  const json& payload = m.type == MessageType::kGroup      ? m.properties
                        : m.type == MessageType::kIdentify ? m.traits
                                                           : m.properties;
  NewEvent event;
  event.customer_id = applied.customer_id;
  event.message_id = m.message_id;
  event.type = messageTypeName(m.type);
  event.name = m.event;
  event.ts = m.timestamp;
  event.received_at = m.received_at;
  if (!payload.is_null()) event.properties = payload.dump();
  if (!m.context.is_null()) event.context = m.context.dump();
  customers.insertEvent(event);

  if (m.type == MessageType::kIdentify) {
    if (auto before = customers.load(applied.customer_id)) applied.previous_traits = before->traits;
    std::string timezone = stringAt(m.context, "timezone");
    if (timezone.empty()) timezone = stringAt(m.traits, "timezone");
    std::string locale = stringAt(m.context, "locale");
    if (locale.empty()) locale = stringAt(m.traits, "locale");
    customers.patchProfile(applied.customer_id, m.traits.is_object() ? m.traits : json::object(),
                           timezone, locale, m.received_at);
  } else if (m.type == MessageType::kTrack && order_events_.count(m.event)) {
    applied.is_order = true;
    customers.recordOrder(applied.customer_id, orderRevenue(m.properties), m.timestamp,
                          m.received_at);
  }
  if (m.type == MessageType::kTrack) {
    if (const std::string reason = reportedSuppressionReason(m); !reason.empty()) {
      const std::string address = reportedAddress(customers, m, applied.customer_id);
      // An address already suppressed keeps its first reason; no known address suppresses nothing.
      if (!address.empty())
        tx.suppressions().add({ChannelKind::kEmail, address, reason, m.received_at}, false);
    }
  }
  return applied;
}

}  // namespace journeyd
