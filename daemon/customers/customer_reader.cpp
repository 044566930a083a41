#include "daemon/customers/customer_reader.h"

#include <nlohmann/json.hpp>

#include "daemon/core/time.h"

namespace journeyd {

using json = nlohmann::json;

namespace {
json parseJsonColumn(const SQLite::Column& c) {
  if (c.isNull()) return json();
  return json::parse(c.getString(), nullptr, false);
}
json timeColumn(const SQLite::Column& c) {
  if (c.isNull()) return json();
  return formatIsoTime(c.getInt64());
}
}  // namespace

Result<json> customerProfile(Database& db, std::int64_t customer_id, int recent_events) {
  return guardSql("read customer", [&]() -> Result<json> {
    auto& q = db.prepare(
        "SELECT traits, timezone, locale, created_at, updated_at, orders_count, total_spent, "
        "first_order_at, last_order_at FROM customers WHERE id = ?");
    q.bind(1, customer_id);
    if (!q.executeStep()) return fail(Error::notFound("no such customer"));
    json out;
    out["id"] = customer_id;
    out["userId"] = nullptr;
    out["traits"] = parseJsonColumn(q.getColumn(0));
    out["timezone"] = q.getColumn(1).isNull() ? json() : json(q.getColumn(1).getString());
    out["locale"] = q.getColumn(2).isNull() ? json() : json(q.getColumn(2).getString());
    out["created_at"] = timeColumn(q.getColumn(3));
    out["updated_at"] = timeColumn(q.getColumn(4));
    out["orders"] = {{"count", q.getColumn(5).getInt64()},
                     {"total_spent", q.getColumn(6).getDouble()},
                     {"first_order_at", timeColumn(q.getColumn(7))},
                     {"last_order_at", timeColumn(q.getColumn(8))}};

    json identities = {{"user", json::array()}, {"anon", json::array()},
                       {"email", json::array()}, {"phone", json::array()}};
    auto& ids = db.prepare(
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY created_at, value");
    ids.bind(1, customer_id);
    while (ids.executeStep()) {
      std::string kind = ids.getColumn(0).getString();
      identities[kind].push_back(ids.getColumn(1).getString());
    }
    if (!identities["user"].empty()) out["userId"] = identities["user"].back();
    out["identities"] = std::move(identities);

    json events = json::array();
    auto& ev = db.prepare(
        "SELECT message_id, type, name, ts, received_at, properties FROM events "
        "WHERE customer_id = ? ORDER BY ts DESC, id DESC LIMIT ?");
    ev.bind(1, customer_id);
    ev.bind(2, recent_events);
    while (ev.executeStep()) {
      json e = {{"messageId", ev.getColumn(0).getString()},
                {"type", ev.getColumn(1).getString()},
                {"timestamp", formatIsoTime(ev.getColumn(3).getInt64())},
                {"received_at", formatIsoTime(ev.getColumn(4).getInt64())}};
      if (!ev.getColumn(2).isNull()) e["event"] = ev.getColumn(2).getString();
      e["properties"] = parseJsonColumn(ev.getColumn(5));
      events.push_back(std::move(e));
    }
    out["events"] = std::move(events);
    return out;
  });
}

Result<StoreCounts> storeCounts(Database& db) {
  return guardSql("count", [&]() -> Result<StoreCounts> {
    StoreCounts c;
    c.customers = db.sql().execAndGet("SELECT count(*) FROM customers").getInt64();
    c.events = db.sql().execAndGet("SELECT count(*) FROM events").getInt64();
    return c;
  });
}

}  // namespace journeyd
