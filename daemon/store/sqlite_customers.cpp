// Customers on SQLite: profiles, identities, events, order facts, erasure.
#include <limits>

#include "daemon/store/sqlite_repos.h"
#include "daemon/store/sqlite_util.h"

namespace journeyd {

using json = nlohmann::json;

const char* identityKindName(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kUser:
      return "user";
    case IdentityKind::kAnonymous:
      return "anon";
    case IdentityKind::kEmail:
      return "email";
    case IdentityKind::kPhone:
      return "phone";
  }
  return "user";
}

std::optional<CustomerRecord> SqliteCustomers::load(CustomerId id) const {
  auto& q = db_.prepare(
      "SELECT traits, tags, timezone, locale, created_at, orders_count, total_spent, "
      "first_order_at, "
      "last_order_at, purchase_days, plan_rev, segments_recheck_at FROM customers WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) {
    q.reset();
    return std::nullopt;
  }
  CustomerRecord c;
  c.revision = q.getColumn(10).getInt64();
  c.segments_recheck_at = timeColumn(q, 11);
  c.id = id;
  c.traits = json::parse(q.getColumn(0).getString(), nullptr, false);
  if (!c.traits.is_object()) c.traits = json::object();
  c.tags = json::parse(q.getColumn(1).getString(), nullptr, false);
  if (!c.tags.is_array()) c.tags = json::array();
  c.timezone = textColumn(q, 2);
  c.locale = textColumn(q, 3);
  c.created_at = q.getColumn(4).getInt64();
  c.orders_count = q.getColumn(5).getInt64();
  c.total_spent = q.getColumn(6).getDouble();
  c.first_order_at = timeColumn(q, 7);
  c.last_order_at = timeColumn(q, 8);
  c.purchase_days = q.getColumn(9).getInt64();
  q.reset();
  auto& ids =
      db_.prepare("SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY created_at");
  ids.bind(1, id);
  while (ids.executeStep()) {
    const std::string kind = ids.getColumn(0).getString();
    if (kind == "user") c.user_id = ids.getColumn(1).getString();  // the latest wins
    if (kind == "email") c.email = ids.getColumn(1).getString();
    if (kind == "phone") c.phone = ids.getColumn(1).getString();
  }
  ids.reset();
  auto& seg =
      db_.prepare("SELECT segment FROM segment_membership WHERE customer_id = ? ORDER BY segment");
  seg.bind(1, id);
  while (seg.executeStep()) c.segments.push_back(seg.getColumn(0).getString());
  seg.reset();
  return c;
}

bool SqliteCustomers::exists(CustomerId id) const {
  auto& q = db_.prepare("SELECT 1 FROM customers WHERE id = ?");
  q.bind(1, id);
  const bool found = q.executeStep();
  q.reset();
  return found;
}

CustomerId SqliteCustomers::findByIdentity(IdentityKind kind, const std::string& value) const {
  if (value.empty()) return 0;
  auto& q = db_.prepare("SELECT customer_id FROM identities WHERE kind = ? AND value = ?");
  q.bind(1, identityKindName(kind));
  q.bind(2, value);
  const CustomerId id = q.executeStep() ? q.getColumn(0).getInt64() : 0;
  q.reset();
  return id;
}

bool SqliteCustomers::hasIdentity(CustomerId id, IdentityKind kind,
                                  const std::string& value) const {
  auto& q = value.empty()
                ? db_.prepare("SELECT 1 FROM identities WHERE customer_id = ? AND kind = ? LIMIT 1")
                : db_.prepare(
                      "SELECT 1 FROM identities WHERE customer_id = ? AND kind = ? AND value = ?");
  q.bind(1, id);
  q.bind(2, identityKindName(kind));
  if (!value.empty()) q.bind(3, value);
  const bool found = q.executeStep();
  q.reset();
  return found;
}

std::string SqliteCustomers::latestIdentity(CustomerId id, IdentityKind kind) const {
  auto& q = db_.prepare(
      "SELECT value FROM identities WHERE customer_id = ? AND kind = ? ORDER BY created_at DESC "
      "LIMIT 1");
  q.bind(1, id);
  q.bind(2, identityKindName(kind));
  std::string value = q.executeStep() ? q.getColumn(0).getString() : std::string();
  q.reset();
  return value;
}

std::optional<CustomerId> SqliteCustomers::eventOwner(const std::string& message_id) const {
  auto& q = db_.prepare("SELECT customer_id FROM events WHERE message_id = ?");
  q.bind(1, message_id);
  std::optional<CustomerId> owner;
  if (q.executeStep()) owner = q.getColumn(0).getInt64();
  q.reset();
  return owner;
}

bool SqliteCustomers::eventIdWithPrefix(const std::string& prefix) const {
  // A range on the unique index: every id starting with the prefix sorts in [prefix, prefix +
  // 0xFF).
  auto& q = db_.prepare("SELECT 1 FROM events WHERE message_id >= ? AND message_id < ? LIMIT 1");
  q.bind(1, prefix);
  q.bind(2, prefix + "\xFF");
  const bool found = q.executeStep();
  q.reset();
  return found;
}

std::int64_t SqliteCustomers::countEvents(CustomerId id, std::string_view name, TimeMs from,
                                          TimeMs to) const {
  auto& q = db_.prepare(
      "SELECT count(*) FROM events WHERE customer_id = ? AND name = ? AND ts >= ? AND ts <= ?");
  q.bind(1, id);
  q.bind(2, std::string(name));
  q.bind(3, from);
  q.bind(4, to);
  const std::int64_t n = q.executeStep() ? q.getColumn(0).getInt64() : 0;
  q.reset();
  return n;
}

double SqliteCustomers::sumEvents(CustomerId id, std::string_view name, std::string_view property,
                                  TimeMs from, TimeMs to) const {
  auto& q = db_.prepare(
      "SELECT total(json_extract(properties, '$.\"' || ? || '\"')) FROM events "
      "WHERE customer_id = ? AND name = ? AND ts >= ? AND ts <= ?");
  q.bind(1, std::string(property));
  q.bind(2, id);
  q.bind(3, std::string(name));
  q.bind(4, from);
  q.bind(5, to);
  const double total = q.executeStep() ? q.getColumn(0).getDouble() : 0.0;
  q.reset();
  return total;
}

std::optional<TimeMs> SqliteCustomers::earliestEvent(CustomerId id, std::string_view name,
                                                     TimeMs from, TimeMs to) const {
  auto& q = db_.prepare(
      "SELECT min(ts) FROM events WHERE customer_id = ? AND name = ? AND ts >= ? AND ts <= ?");
  q.bind(1, id);
  q.bind(2, std::string(name));
  q.bind(3, from);
  q.bind(4, to);
  std::optional<TimeMs> at;
  if (q.executeStep()) at = timeColumn(q, 0);
  q.reset();
  return at;
}

std::vector<CustomerId> SqliteCustomers::idsAfter(CustomerId after, int limit) const {
  auto& q = db_.prepare("SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?");
  q.bind(1, after);
  q.bind(2, limit);
  return readIds(q);
}

std::optional<json> SqliteCustomers::profile(CustomerId id, int recent_events) const {
  auto& q = db_.prepare(
      "SELECT traits, timezone, locale, created_at, updated_at, orders_count, total_spent, "
      "first_order_at, last_order_at FROM customers WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) {
    q.reset();
    return std::nullopt;
  }
  json out;
  out["id"] = id;
  out["userId"] = nullptr;
  out["traits"] = jsonColumn(q, 0);
  out["timezone"] = q.isColumnNull(1) ? json() : json(q.getColumn(1).getString());
  out["locale"] = q.isColumnNull(2) ? json() : json(q.getColumn(2).getString());
  out["created_at"] = isoColumn(q, 3);
  out["updated_at"] = isoColumn(q, 4);
  out["orders"] = {{"count", q.getColumn(5).getInt64()},
                   {"total_spent", q.getColumn(6).getDouble()},
                   {"first_order_at", isoColumn(q, 7)},
                   {"last_order_at", isoColumn(q, 8)}};
  q.reset();

  json identities = {{"user", json::array()},
                     {"anon", json::array()},
                     {"email", json::array()},
                     {"phone", json::array()}};
  auto& ids = db_.prepare(
      "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY created_at, value");
  ids.bind(1, id);
  while (ids.executeStep())
    identities[ids.getColumn(0).getString()].push_back(ids.getColumn(1).getString());
  ids.reset();
  if (!identities["user"].empty()) out["userId"] = identities["user"].back();
  out["identities"] = std::move(identities);

  json events = json::array();
  auto& ev = db_.prepare(
      "SELECT message_id, type, name, ts, received_at, properties FROM events "
      "WHERE customer_id = ? ORDER BY ts DESC, id DESC LIMIT ?");
  ev.bind(1, id);
  ev.bind(2, recent_events);
  while (ev.executeStep()) {
    json e = {{"messageId", ev.getColumn(0).getString()},
              {"type", ev.getColumn(1).getString()},
              {"timestamp", formatIsoTime(ev.getColumn(3).getInt64())},
              {"received_at", formatIsoTime(ev.getColumn(4).getInt64())}};
    if (!ev.isColumnNull(2)) e["event"] = ev.getColumn(2).getString();
    e["properties"] = jsonColumn(ev, 5);
    events.push_back(std::move(e));
  }
  ev.reset();
  out["events"] = std::move(events);
  return out;
}

StoreCounts SqliteCustomers::counts() const {
  StoreCounts c;
  auto& q = db_.prepare("SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM events)");
  if (q.executeStep()) {
    c.customers = q.getColumn(0).getInt64();
    c.events = q.getColumn(1).getInt64();
  }
  q.reset();
  return c;
}

CustomerId SqliteCustomers::create(TimeMs now, CustomerId id) {
  if (id > 0) {
    auto& q = db_.prepare("INSERT INTO customers (id, created_at, updated_at) VALUES (?, ?, ?)");
    q.bind(1, id);
    q.bind(2, now);
    q.bind(3, now);
    q.exec();
    return id;
  }
  auto& q = db_.prepare("INSERT INTO customers (created_at, updated_at) VALUES (?, ?)");
  q.bind(1, now);
  q.bind(2, now);
  q.exec();
  return db_.sql().getLastInsertRowid();
}

void SqliteCustomers::importOrderFacts(CustomerId id, std::int64_t orders_count, double total_spent,
                                       std::optional<TimeMs> first_order_at,
                                       std::optional<TimeMs> last_order_at,
                                       std::int64_t purchase_days) {
  auto& q = db_.prepare(
      "UPDATE customers SET orders_count = ?, total_spent = ?, first_order_at = ?, last_order_at = "
      "?, "
      "purchase_days = ? WHERE id = ?");
  q.bind(1, orders_count);
  q.bind(2, total_spent);
  bindOptionalTime(q, 3, first_order_at);
  bindOptionalTime(q, 4, last_order_at);
  q.bind(5, purchase_days);
  q.bind(6, id);
  q.exec();
}

void SqliteCustomers::attachIdentity(CustomerId id, IdentityKind kind, const std::string& value,
                                     TimeMs now) {
  if (value.empty()) return;
  auto& q = db_.prepare(
      "INSERT INTO identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (kind, value) DO UPDATE SET customer_id = excluded.customer_id");
  q.bind(1, identityKindName(kind));
  q.bind(2, value);
  q.bind(3, id);
  q.bind(4, now);
  q.exec();
}

void SqliteCustomers::merge(CustomerId from, CustomerId into, TimeMs now) {
  // Everything the anonymous/duplicate profile had moves; the surviving profile's own traits win.
  auto run = [&](const char* sql) {
    auto& q = db_.prepare(sql);
    q.bind(1, into);
    q.bind(2, from);
    q.exec();
  };
  run("UPDATE identities SET customer_id = ? WHERE customer_id = ?");
  run("UPDATE events SET customer_id = ? WHERE customer_id = ?");
  run("UPDATE journey_inbox SET customer_id = ? WHERE customer_id = ?");
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
  auto& del = db_.prepare("DELETE FROM customers WHERE id = ?");
  del.bind(1, from);
  del.exec();
  auto& log = db_.prepare("INSERT INTO customer_merges (from_id, into_id, at) VALUES (?, ?, ?)");
  log.bind(1, from);
  log.bind(2, into);
  log.bind(3, now);
  log.exec();
}

bool SqliteCustomers::insertEvent(const NewEvent& e) {
  auto& ins = db_.prepare(
      "INSERT OR IGNORE INTO events (customer_id, message_id, type, name, ts, received_at, "
      "properties, context) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, e.customer_id);
  ins.bind(2, e.message_id);
  ins.bind(3, e.type);
  bindText(ins, 4, e.name);
  ins.bind(5, e.ts);
  ins.bind(6, e.received_at);
  bindOptionalText(ins, 7, e.properties);
  bindOptionalText(ins, 8, e.context);
  return ins.exec() > 0;
}

void SqliteCustomers::patchProfile(CustomerId id, const json& traits, const std::string& timezone,
                                   const std::string& locale, TimeMs now) {
  auto& up = db_.prepare(
      "UPDATE customers SET traits = json_patch(traits, ?), timezone = coalesce(?, timezone), "
      "locale = coalesce(?, locale), updated_at = ? WHERE id = ?");
  up.bind(1, traits.is_object() ? traits.dump() : std::string("{}"));
  bindText(up, 2, timezone);
  bindText(up, 3, locale);
  up.bind(4, now);
  up.bind(5, id);
  up.exec();
}

void SqliteCustomers::recordOrder(CustomerId id, double revenue, TimeMs at, TimeMs now) {
  auto& up = db_.prepare(
      "UPDATE customers SET orders_count = orders_count + 1, total_spent = total_spent + ?, "
      "purchase_days = purchase_days + (last_order_at IS NULL OR (?2 / 86400000 != last_order_at / "
      "86400000 "
      "AND ?2 / 86400000 != first_order_at / 86400000)), "
      "first_order_at = min(coalesce(first_order_at, ?2), ?2), "
      "last_order_at = max(coalesce(last_order_at, ?2), ?2), updated_at = ?3 WHERE id = ?4");
  up.bind(1, revenue);
  up.bind(2, at);
  up.bind(3, now);
  up.bind(4, id);
  up.exec();
}

void SqliteCustomers::applyUpdate(CustomerId id, const TraitUpdate& update, TimeMs now) {
  auto& q = db_.prepare("SELECT traits, tags FROM customers WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) {
    q.reset();
    return;
  }
  json traits = jsonColumn(q, 0);
  json tags = jsonColumn(q, 1);
  q.reset();
  if (!traits.is_object()) traits = json::object();
  if (!tags.is_array()) tags = json::array();
  for (const auto& [k, v] : update.set.items()) traits[k] = v;
  for (const auto& k : update.unset) traits.erase(k);
  for (const auto& t : update.add_tags) {
    if (std::find(tags.begin(), tags.end(), json(t)) == tags.end()) tags.push_back(t);
  }
  for (const auto& t : update.remove_tags)
    tags.erase(std::remove(tags.begin(), tags.end(), json(t)), tags.end());
  auto& up = db_.prepare("UPDATE customers SET traits = ?, tags = ?, updated_at = ? WHERE id = ?");
  up.bind(1, traits.dump());
  up.bind(2, tags.dump());
  up.bind(3, now);
  up.bind(4, id);
  up.exec();
}

bool SqliteCustomers::erase(CustomerId id) {
  if (!exists(id)) return false;
  // Everything about the person goes, messages (their rendered text) and journey history too;
  // the suppression list stays, keyed by address, so an erased address is still not contacted.
  for (const char* sql :
       {"DELETE FROM events WHERE customer_id = ?", "DELETE FROM identities WHERE customer_id = ?",
        "DELETE FROM message_attempts WHERE message_id IN (SELECT id FROM messages WHERE "
        "customer_id = ?)",
        "DELETE FROM messages WHERE customer_id = ?",
        "DELETE FROM journey_log WHERE customer_id = ?",
        "DELETE FROM enrollments WHERE customer_id = ?",
        "DELETE FROM segment_membership WHERE customer_id = ?",
        "DELETE FROM segment_history WHERE customer_id = ?",
        "DELETE FROM scheduled_entries WHERE customer_id = ?",
        "DELETE FROM journey_inbox WHERE customer_id = ?", "DELETE FROM customers WHERE id = ?"}) {
    auto& q = db_.prepare(sql);
    q.bind(1, id);
    q.exec();
  }
  return true;
}

bool SqliteCustomers::claimRevision(CustomerId id, std::int64_t expected) {
  auto& q =
      db_.prepare("UPDATE customers SET plan_rev = plan_rev + 1 WHERE id = ? AND plan_rev = ?");
  q.bind(1, id);
  q.bind(2, expected);
  return q.exec() > 0;
}

std::int64_t SqliteCustomers::revision(CustomerId id) const {
  auto& q = db_.prepare("SELECT plan_rev FROM customers WHERE id = ?");
  q.bind(1, id);
  const std::int64_t rev = q.executeStep() ? q.getColumn(0).getInt64() : -1;
  q.reset();
  return rev;
}

}  // namespace journeyd
