#include "daemon/customers/customer_writer.h"

#include <cctype>

namespace journeyd {

using json = nlohmann::json;

std::int64_t findCustomer(Database& db, const char* kind, const std::string& value) {
  if (value.empty()) return 0;
  auto& q = db.prepare("SELECT customer_id FROM identities WHERE kind = ? AND value = ?");
  q.bind(1, kind);
  q.bind(2, value);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

std::int64_t findCustomerBySpec(Database& db, const std::string& spec) {
  auto colon = spec.find(':');
  if (colon != std::string::npos) {
    std::string kind = spec.substr(0, colon), value = spec.substr(colon + 1);
    if (kind == "email") return findCustomer(db, "email", normalizeEmail(value));
    if (kind == "phone") return findCustomer(db, "phone", normalizePhone(value));
    if (kind == "anon") return findCustomer(db, "anon", value);
    if (kind == "user") return findCustomer(db, "user", value);
    if (kind == "id") {
      auto& q = db.prepare("SELECT id FROM customers WHERE id = ?");
      try {
        q.bind(1, static_cast<std::int64_t>(std::stoll(value)));
      } catch (...) {
        return 0;
      }
      return q.executeStep() ? q.getColumn(0).getInt64() : 0;
    }
  }
  return findCustomer(db, "user", spec);
}

namespace {

bool hasUserId(Database& db, std::int64_t customer) {
  auto& q = db.prepare("SELECT 1 FROM identities WHERE customer_id = ? AND kind = 'user' LIMIT 1");
  q.bind(1, customer);
  return q.executeStep();
}

std::int64_t createCustomer(Database& db, TimeMs now) {
  auto& q = db.prepare("INSERT INTO customers (created_at, updated_at) VALUES (?, ?)");
  q.bind(1, now);
  q.bind(2, now);
  q.exec();
  return db.sql().getLastInsertRowid();
}

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
std::string reportedAddress(Database& db, const InboundMessage& m, std::int64_t customer) {
  for (const char* key : {"email_address", "email", "recipient"}) {
    std::string address = normalizeEmail(stringAt(m.properties, key));
    if (address.empty()) continue;
    auto& own = db.prepare("SELECT 1 FROM identities WHERE customer_id = ? AND kind = 'email' AND value = ?");
    own.bind(1, customer);
    own.bind(2, address);
    const bool theirs = own.executeStep();
    own.reset();
    return theirs ? address : std::string{};
  }
  auto& q = db.prepare(
      "SELECT value FROM identities WHERE customer_id = ? AND kind = 'email' "
      "ORDER BY created_at DESC LIMIT 1");
  q.bind(1, customer);
  std::string address = q.executeStep() ? q.getColumn(0).getString() : std::string{};
  q.reset();
  return address;
}

/// Suppresses the address an Email Bounced / Email Marked as Spam event reports. An address
/// already suppressed keeps its first reason; no known address suppresses nothing.
void suppressReportedAddress(Database& db, const InboundMessage& m, std::int64_t customer) {
  const std::string reason = reportedSuppressionReason(m);
  if (reason.empty()) return;
  const std::string address = reportedAddress(db, m, customer);
  if (address.empty()) return;
  auto& q = db.prepare(
      "INSERT OR IGNORE INTO suppressions (channel, address, reason, at) "
      "VALUES ('email', ?, ?, ?)");
  q.bind(1, address);
  q.bind(2, reason);
  q.bind(3, m.received_at);
  q.exec();
}

}  // namespace

CustomerWriter::CustomerWriter(const OrderSettings& orders)
    : order_events_(orders.events.begin(), orders.events.end()),
      revenue_properties_(orders.revenue_properties) {}

void CustomerWriter::attach(Database& db, std::int64_t customer, const char* kind,
                            const std::string& value, TimeMs now) {
  if (value.empty()) return;
  auto& q = db.prepare(
      "INSERT INTO identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (kind, value) DO UPDATE SET customer_id = excluded.customer_id");
  q.bind(1, kind);
  q.bind(2, value);
  q.bind(3, customer);
  q.bind(4, now);
  q.exec();
}

void CustomerWriter::merge(Database& db, std::int64_t from, std::int64_t into, TimeMs now) {
  // Everything the anonymous/duplicate profile had moves; the surviving profile's own traits win.
  auto run = [&](const char* sql) {
    auto& q = db.prepare(sql);
    q.bind(1, into);
    q.bind(2, from);
    q.exec();
  };
  run("UPDATE identities SET customer_id = ? WHERE customer_id = ?");
  run("UPDATE events SET customer_id = ? WHERE customer_id = ?");
  run(R"sql(UPDATE customers SET
        traits = json_patch(f.traits, customers.traits),
        timezone = coalesce(customers.timezone, f.timezone),
        locale = coalesce(customers.locale, f.locale),
        created_at = min(customers.created_at, f.created_at),
        orders_count = customers.orders_count + f.orders_count,
        total_spent = customers.total_spent + f.total_spent,
        purchase_days = customers.purchase_days + f.purchase_days,
        first_order_at = coalesce(min(customers.first_order_at, f.first_order_at),
                                  customers.first_order_at, f.first_order_at),
        last_order_at = coalesce(max(customers.last_order_at, f.last_order_at),
                                 customers.last_order_at, f.last_order_at)
      FROM (SELECT * FROM customers WHERE id = ?2) AS f
      WHERE customers.id = ?1)sql");
  auto& del = db.prepare("DELETE FROM customers WHERE id = ?");
  del.bind(1, from);
  del.exec();
  auto& log = db.prepare("INSERT INTO customer_merges (from_id, into_id, at) VALUES (?, ?, ?)");
  log.bind(1, from);
  log.bind(2, into);
  log.bind(3, now);
  log.exec();
}

Result<std::int64_t> CustomerWriter::resolveAlias(Database& db, const InboundMessage& m) {
  const TimeMs now = m.received_at;
  std::int64_t known = findCustomer(db, "user", m.user_id);
  std::int64_t previous = findCustomer(db, "user", m.previous_id);
  if (!previous) previous = findCustomer(db, "anon", m.previous_id);
  if (known && previous && known != previous) {
    merge(db, previous, known, now);
    return known;
  }
  std::int64_t target = known ? known : previous;
  if (!target) target = createCustomer(db, now);
  // An unknown previous id is most often a pre-login anonymous id: later events under it land here.
  if (!previous) attach(db, target, "anon", m.previous_id, now);
  if (!known) attach(db, target, "user", m.user_id, now);
  return target;
}

Result<std::int64_t> CustomerWriter::resolve(Database& db, const InboundMessage& m) {
  if (m.type == MessageType::kAlias) return resolveAlias(db, m);
  const TimeMs now = m.received_at;
  std::int64_t by_user = findCustomer(db, "user", m.user_id);
  std::int64_t by_anon = findCustomer(db, "anon", m.anonymous_id);
  // An anonymous id already tied to another known user is a shared device: it does not make
  // this user that person.
  const bool anon_is_other_user = by_anon && !by_user && !m.user_id.empty() && hasUserId(db, by_anon);
  std::int64_t target = by_user ? by_user : (anon_is_other_user ? 0 : by_anon);

  std::string email, phone;
  if (m.type == MessageType::kIdentify) {
    email = normalizeEmail(stringAt(m.traits, "email"));
    phone = normalizePhone(stringAt(m.traits, "phone"));
  }
  if (!target) {
    // A profile known only by email/phone (e.g. from a CSV import) is this person.
    for (auto [kind, value] : {std::pair{"email", &email}, std::pair{"phone", &phone}}) {
      std::int64_t c = findCustomer(db, kind, *value);
      if (c && (m.user_id.empty() || !hasUserId(db, c))) {
        target = c;
        break;
      }
    }
  }
  if (!target) target = createCustomer(db, now);

  if (by_user && by_anon && by_user != by_anon) {
    if (!hasUserId(db, by_anon)) {
      merge(db, by_anon, by_user, now);  // the anonymous visitor turned out to be this user
    } else {
      attach(db, by_user, "anon", m.anonymous_id, now);  // a shared device: the id moves on
    }
  }
  if (!by_user) attach(db, target, "user", m.user_id, now);
  if (!by_anon || anon_is_other_user) attach(db, target, "anon", m.anonymous_id, now);
  for (auto [kind, value] : {std::pair{"email", &email}, std::pair{"phone", &phone}}) {
    if (value->empty()) continue;
    std::int64_t c = findCustomer(db, kind, *value);
    if (c == target) continue;
    if (!c) {
      attach(db, target, kind, *value, now);
    } else if (!hasUserId(db, c)) {
      merge(db, c, target, now);
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

Result<AppliedMessage> CustomerWriter::apply(Database& db, const InboundMessage& m) {
  AppliedMessage applied;
  {
    auto& seen = db.prepare("SELECT customer_id FROM events WHERE message_id = ?");
    seen.bind(1, m.message_id);
    if (seen.executeStep()) {
      applied.customer_id = seen.getColumn(0).getInt64();
      applied.duplicate = true;
      return applied;
    }
  }
  auto customer = resolve(db, m);
  if (!customer) return fail(customer.error());
  applied.customer_id = *customer;

  const json& payload = m.type == MessageType::kIdentify || m.type == MessageType::kGroup
                            ? (m.type == MessageType::kGroup ? m.properties : m.traits)
                            : m.properties;
  auto& ins = db.prepare(
      "INSERT INTO events (customer_id, message_id, type, name, ts, received_at, properties, context) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, applied.customer_id);
  ins.bind(2, m.message_id);
  ins.bind(3, messageTypeName(m.type));
  if (m.event.empty()) {
    ins.bind(4);
  } else {
    ins.bind(4, m.event);
  }
  ins.bind(5, m.timestamp);
  ins.bind(6, m.received_at);
  if (payload.is_null()) {
    ins.bind(7);
  } else {
    ins.bind(7, payload.dump());
  }
  if (m.context.is_null()) {
    ins.bind(8);
  } else {
    ins.bind(8, m.context.dump());
  }
  ins.exec();

  if (m.type == MessageType::kIdentify) {
    auto& before = db.prepare("SELECT traits FROM customers WHERE id = ?");
    before.bind(1, applied.customer_id);
    if (before.executeStep()) applied.previous_traits = json::parse(before.getColumn(0).getString(), nullptr, false);
    before.reset();
    std::string timezone = stringAt(m.context, "timezone");
    if (timezone.empty()) timezone = stringAt(m.traits, "timezone");
    std::string locale = stringAt(m.context, "locale");
    if (locale.empty()) locale = stringAt(m.traits, "locale");
    auto& up = db.prepare(
        "UPDATE customers SET traits = json_patch(traits, ?), timezone = coalesce(?, timezone), "
        "locale = coalesce(?, locale), updated_at = ? WHERE id = ?");
    up.bind(1, m.traits.is_object() ? m.traits.dump() : std::string("{}"));
    if (timezone.empty()) up.bind(2); else up.bind(2, timezone);
    if (locale.empty()) up.bind(3); else up.bind(3, locale);
    up.bind(4, m.received_at);
    up.bind(5, applied.customer_id);
    up.exec();
  } else if (m.type == MessageType::kTrack && order_events_.count(m.event)) {
    applied.is_order = true;
    auto& up = db.prepare(
        "UPDATE customers SET orders_count = orders_count + 1, total_spent = total_spent + ?, "
        "purchase_days = purchase_days + (last_order_at IS NULL OR (?2 / 86400000 != last_order_at / 86400000 "
        "AND ?2 / 86400000 != first_order_at / 86400000)), "
        "first_order_at = min(coalesce(first_order_at, ?2), ?2), "
        "last_order_at = max(coalesce(last_order_at, ?2), ?2), updated_at = ?3 WHERE id = ?4");
    up.bind(1, orderRevenue(m.properties));
    up.bind(2, m.timestamp);
    up.bind(3, m.received_at);
    up.bind(4, applied.customer_id);
    up.exec();
  }
  if (m.type == MessageType::kTrack) suppressReportedAddress(db, m, applied.customer_id);
  return applied;
}

Result<void> CustomerWriter::erase(Database& db, std::int64_t customer_id) {
  auto& exists = db.prepare("SELECT 1 FROM customers WHERE id = ?");
  exists.bind(1, customer_id);
  if (!exists.executeStep()) return fail(Error::notFound("no such customer"));
  // Everything about the person goes, messages (their rendered text) and journey history too;
  // the suppression list stays, keyed by address, so an erased address is still not contacted.
  for (const char* sql : {"DELETE FROM events WHERE customer_id = ?",
                          "DELETE FROM identities WHERE customer_id = ?",
                          "DELETE FROM message_attempts WHERE message_id IN (SELECT id FROM messages WHERE customer_id = ?)",
                          "DELETE FROM messages WHERE customer_id = ?",
                          "DELETE FROM journey_log WHERE customer_id = ?",
                          "DELETE FROM enrollments WHERE customer_id = ?",
                          "DELETE FROM segment_membership WHERE customer_id = ?",
                          "DELETE FROM segment_history WHERE customer_id = ?",
                          "DELETE FROM scheduled_entries WHERE customer_id = ?",
                          "DELETE FROM customers WHERE id = ?"}) {
    auto& q = db.prepare(sql);
    q.bind(1, customer_id);
    q.exec();
  }
  return ok();
}

}  // namespace journeyd
