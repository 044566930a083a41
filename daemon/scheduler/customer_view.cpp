#include "daemon/scheduler/customer_view.h"

#include <cmath>

#include "daemon/core/time.h"

namespace journeyd {

using json = nlohmann::json;

Result<json> loadCustomerJson(Database& db, std::int64_t customer_id, const StoredModels* models, TimeMs now,
                              const std::vector<ScoreDefinition>* scores) {
  auto& q = db.prepare(
      "SELECT traits, tags, timezone, locale, created_at, orders_count, total_spent, first_order_at, "
      "last_order_at, purchase_days FROM customers WHERE id = ?");
  q.bind(1, customer_id);
  if (!q.executeStep()) return fail(Error::notFound("no customer " + std::to_string(customer_id)));
  json traits = json::parse(q.getColumn(0).getString(), nullptr, false);
  if (!traits.is_object()) traits = json::object();
  json c = traits;  // traits first, so system fields below win on a name clash
  c["traits"] = traits;
  json tags = json::parse(q.getColumn(1).getString(), nullptr, false);
  c["tags"] = tags.is_array() ? tags : json::array();
  c["id"] = std::to_string(customer_id);
  c["timezone"] = q.getColumn(2).isNull() ? json("UTC") : json(q.getColumn(2).getString());
  c["locale"] = q.getColumn(3).isNull() ? json() : json(q.getColumn(3).getString());
  c["created_at"] = formatIsoTime(q.getColumn(4).getInt64());
  c["orders_count"] = q.getColumn(5).getInt64();
  c["total_spent"] = q.getColumn(6).getDouble();
  c["first_order_at"] = q.getColumn(7).isNull() ? json() : json(formatIsoTime(q.getColumn(7).getInt64()));
  c["last_order_at"] = q.getColumn(8).isNull() ? json() : json(formatIsoTime(q.getColumn(8).getInt64()));
  c["unsubscribed"] = traits.value("unsubscribed", false) == true;
  if (now > 0) {
    CustomerOrderFacts facts;
    facts.orders_count = q.getColumn(5).getInt64();
    facts.purchase_days = q.getColumn(9).getInt64();
    facts.total_spent = q.getColumn(6).getDouble();
    if (!q.getColumn(7).isNull()) facts.first_order_at = q.getColumn(7).getInt64();
    if (!q.getColumn(8).isNull()) facts.last_order_at = q.getColumn(8).getInt64();
    facts.signed_up_at = q.getColumn(4).getInt64();
    static const StoredModels kNoModels;
    const json values = customerValues(facts, models ? *models : kNoModels, now);
    for (const auto& [key, value] : values.items()) c[key] = value;
  }
  q.reset();
  c["user_id"] = nullptr;
  c["email"] = nullptr;
  c["phone"] = nullptr;
  auto& ids = db.prepare("SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY created_at");
  ids.bind(1, customer_id);
  while (ids.executeStep()) {
    std::string kind = ids.getColumn(0).getString();
    if (kind == "user" || kind == "email" || kind == "phone") {
      c[kind == "user" ? "user_id" : kind] = ids.getColumn(1).getString();  // the latest wins
    }
  }
  json segments = json::array();
  auto& seg = db.prepare("SELECT segment FROM segment_membership WHERE customer_id = ? ORDER BY segment");
  seg.bind(1, customer_id);
  while (seg.executeStep()) segments.push_back(seg.getColumn(0).getString());
  seg.reset();
  c["segments"] = std::move(segments);
  if (scores && !scores->empty()) {
    // Custom weighted scores: the marketer's formula over this customer, weights in YAML.
    StoreCustomerView view(db, customer_id, c, now);
    json values = json::object();
    for (const auto& score : *scores) {
      if (score.value) values[score.name] = std::round(score.value->number(view) * 1e4) / 1e4;
    }
    c["scores"] = std::move(values);
  }
  return c;
}

std::int64_t StoreCustomerView::countEvents(std::string_view name, std::optional<DurationMs> window) const {
  auto& q = db_.prepare("SELECT count(*) FROM events WHERE customer_id = ? AND name = ? AND ts >= ? AND ts <= ?");
  q.bind(1, customer_id_);
  q.bind(2, std::string(name));
  q.bind(3, window ? now_ - *window : std::numeric_limits<std::int64_t>::min());
  q.bind(4, now_);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

double StoreCustomerView::sumEvents(std::string_view name, std::string_view property,
                                    std::optional<DurationMs> window) const {
  auto& q = db_.prepare(
      "SELECT total(json_extract(properties, '$.\"' || ? || '\"')) FROM events "
      "WHERE customer_id = ? AND name = ? AND ts >= ? AND ts <= ?");
  q.bind(1, std::string(property));
  q.bind(2, customer_id_);
  q.bind(3, std::string(name));
  q.bind(4, window ? now_ - *window : std::numeric_limits<std::int64_t>::min());
  q.bind(5, now_);
  return q.executeStep() ? q.getColumn(0).getDouble() : 0.0;
}

std::optional<TimeMs> StoreCustomerView::earliestEventExpiry(std::string_view name,
                                                             std::optional<DurationMs> window) const {
  if (!window) return std::nullopt;
  auto& q = db_.prepare("SELECT min(ts) FROM events WHERE customer_id = ? AND name = ? AND ts >= ? AND ts <= ?");
  q.bind(1, customer_id_);
  q.bind(2, std::string(name));
  q.bind(3, now_ - *window);
  q.bind(4, now_);
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getInt64() + *window;
}

}  // namespace journeyd
