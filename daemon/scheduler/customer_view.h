#pragma once
/// A customer as journeys see it, read from the store: the `customer` root of expressions and
/// the event aggregates (count/sum within a window) answered by indexed queries. Lives for one
/// burst of evaluations on the thread that owns the connection.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "daemon/core/result.h"
#include "daemon/expr/eval_context.h"
#include "daemon/intelligence/customer_values.h"
#include "daemon/journeys/journey.h"
#include "daemon/store/database.h"

namespace journeyd {

/// The `customer` JSON: traits merged at the top level (so `customer.first_name` works as in
/// Braze/Customer.io), then the system fields: id, user_id, email, phone, timezone, locale,
/// traits, tags, orders_count, total_spent, first_order_at, last_order_at, created_at,
/// unsubscribed. NotFound when there is no such customer.
/// With `now`, the computed values are added too (ltv, lifecycle, and with fitted `models`: rfm,
/// p_alive, churn_risk, expected_orders_90d, clv_12m), as of `now`.
/// With `scores`, each custom score (segments.yaml `scores:`) is evaluated into `scores.NAME`.
Result<nlohmann::json> loadCustomerJson(Database& db, std::int64_t customer_id, const StoredModels* models = nullptr,
                                        TimeMs now = 0, const std::vector<ScoreDefinition>* scores = nullptr);

class StoreCustomerView final : public EvalContext {
 public:
  StoreCustomerView(Database& db, std::int64_t customer_id, nlohmann::json customer, TimeMs now)
      : db_(db), customer_id_(customer_id), customer_(std::move(customer)), now_(now) {}

  [[nodiscard]] const nlohmann::json* root(std::string_view name) const override {
    return name == "customer" ? &customer_ : nullptr;
  }
  [[nodiscard]] TimeMs now() const override { return now_; }
  [[nodiscard]] std::int64_t countEvents(std::string_view name, std::optional<DurationMs> window) const override;
  [[nodiscard]] double sumEvents(std::string_view name, std::string_view property,
                                 std::optional<DurationMs> window) const override;
  [[nodiscard]] std::optional<TimeMs> earliestEventExpiry(std::string_view name,
                                                          std::optional<DurationMs> window) const override;

  void setNow(TimeMs now) { now_ = now; }
  [[nodiscard]] nlohmann::json& customer() { return customer_; }
  [[nodiscard]] std::int64_t customerId() const { return customer_id_; }

 private:
  Database& db_;
  std::int64_t customer_id_;
  nlohmann::json customer_;
  TimeMs now_;
};

}  // namespace journeyd
