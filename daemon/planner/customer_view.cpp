#include "daemon/planner/customer_view.h"

#include <cmath>
#include <limits>

#include "daemon/core/time_zone.h"

namespace journeyd {

using json = nlohmann::json;

const date::time_zone* CustomerView::timeZone() const {
  return customerTimeZone(customer_, business_zone_);
}

json customerJson(const CustomerRecord& r, const CustomerRepo& customers,
                  const StoredModels* models, TimeMs now,
                  const std::vector<ScoreDefinition>* scores,
                  const date::time_zone* business_zone) {
  json c = r.traits;  // traits first, so system fields below win on a name clash
  c["traits"] = r.traits;
  c["tags"] = r.tags;
  c["id"] = std::to_string(r.id);
  c["timezone"] = r.timezone.empty() ? json("UTC") : json(r.timezone);
  c["locale"] = r.locale.empty() ? json() : json(r.locale);
  c["created_at"] = formatIsoTime(r.created_at);
  c["orders_count"] = r.orders_count;
  c["total_spent"] = r.total_spent;
  c["first_order_at"] = r.first_order_at ? json(formatIsoTime(*r.first_order_at)) : json();
  c["last_order_at"] = r.last_order_at ? json(formatIsoTime(*r.last_order_at)) : json();
  c["unsubscribed"] = r.traits.value("unsubscribed", false) == true;
  if (now > 0) {
    CustomerOrderFacts facts;
    facts.orders_count = r.orders_count;
    facts.purchase_days = r.purchase_days;
    facts.total_spent = r.total_spent;
    facts.first_order_at = r.first_order_at;
    facts.last_order_at = r.last_order_at;
    facts.signed_up_at = r.created_at;
    static const StoredModels kNoModels;
    const json values = customerValues(facts, models ? *models : kNoModels, now);
    for (const auto& [key, value] : values.items()) c[key] = value;
  }
  c["user_id"] = r.user_id.empty() ? json() : json(r.user_id);
  c["email"] = r.email.empty() ? json() : json(r.email);
  c["phone"] = r.phone.empty() ? json() : json(r.phone);
  c["segments"] = r.segments;
  if (scores && !scores->empty()) {
    // Custom weighted scores: the marketer's formula over this customer, weights in YAML.
    CustomerView view(customers, r.id, c, now, business_zone);
    json values = json::object();
    for (const auto& score : *scores) {
      if (score.value) values[score.name] = std::round(score.value->number(view) * 1e4) / 1e4;
    }
    c["scores"] = std::move(values);
  }
  return c;
}

TimeMs CustomerView::windowStart(std::optional<DurationMs> window) const {
  return window ? now_ - *window : std::numeric_limits<TimeMs>::min();
}

std::int64_t CustomerView::countEvents(std::string_view name,
                                       std::optional<DurationMs> window) const {
  return customers_.countEvents(id_, name, windowStart(window), now_);
}

double CustomerView::sumEvents(std::string_view name, std::string_view property,
                               std::optional<DurationMs> window) const {
  return customers_.sumEvents(id_, name, property, windowStart(window), now_);
}

std::optional<TimeMs> CustomerView::earliestEventExpiry(std::string_view name,
                                                        std::optional<DurationMs> window) const {
  if (!window) return std::nullopt;
  auto first = customers_.earliestEvent(id_, name, now_ - *window, now_);
  if (!first) return std::nullopt;
  return *first + *window;
}

}  // namespace journeyd
