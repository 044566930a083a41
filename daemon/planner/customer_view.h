#pragma once
/// A customer as journeys see it: the `customer` root of expressions, built from the stored
/// record, and the event aggregates (count/sum within a window) read from the same snapshot.
/// Lives for one plan on the thread that holds the snapshot.
#include <cstdint>
#include <nlohmann/json.hpp>

#include "daemon/expr/eval_context.h"
#include "daemon/intelligence/customer_values.h"
#include "daemon/journeys/journey.h"
#include "daemon/store/store.h"

namespace journeyd {

/// The `customer` JSON: traits merged at the top level (so `customer.first_name` works as in
/// Braze/Customer.io), then the system fields: id, user_id, email, phone, timezone, locale,
/// traits, tags, orders_count, total_spent, first_order_at, last_order_at, created_at,
/// unsubscribed, segments. With `now` > 0 the computed values are added (ltv, lifecycle, and
/// with fitted `models`: rfm, p_alive, churn_risk, expected_orders_90d, clv_12m) as of `now`;
/// with `scores` each custom score (segments.yaml `scores:`) is evaluated into `scores.NAME`,
/// its event aggregates read from `customers`, its calendar dates in the customer's zone else
/// `business_zone` (policy.timezone; nullptr = UTC).
nlohmann::json customerJson(const CustomerRecord& record, const CustomerRepo& customers,
                            const StoredModels* models, TimeMs now,
                            const std::vector<ScoreDefinition>* scores,
                            const date::time_zone* business_zone = nullptr);

class CustomerView final : public EvalContext {
 public:
  /// `business_zone` (the config's policy.timezone; nullptr = UTC) is the zone of a customer
  /// without one of their own.
  CustomerView(const CustomerRepo& customers, CustomerId id, nlohmann::json customer, TimeMs now,
               const date::time_zone* business_zone = nullptr)
      : customers_(customers),
        id_(id),
        customer_(std::move(customer)),
        now_(now),
        business_zone_(business_zone) {}

  [[nodiscard]] const nlohmann::json* root(std::string_view name) const override {
    return name == "customer" ? &customer_ : nullptr;
  }
  [[nodiscard]] TimeMs now() const override { return now_; }
  /// customerTimeZone(customer(), business zone): read from the JSON on each call, so a journey's
  /// `update` of the timezone is seen at once.
  [[nodiscard]] const date::time_zone* timeZone() const override;
  [[nodiscard]] std::int64_t countEvents(std::string_view name,
                                         std::optional<DurationMs> window) const override;
  [[nodiscard]] double sumEvents(std::string_view name, std::string_view property,
                                 std::optional<DurationMs> window) const override;
  [[nodiscard]] std::optional<TimeMs> earliestEventExpiry(
      std::string_view name, std::optional<DurationMs> window) const override;

  void setNow(TimeMs now) { now_ = now; }
  [[nodiscard]] nlohmann::json& customer() { return customer_; }
  [[nodiscard]] const nlohmann::json& customer() const { return customer_; }
  [[nodiscard]] CustomerId customerId() const { return id_; }

 private:
  [[nodiscard]] TimeMs windowStart(std::optional<DurationMs> window) const;

  const CustomerRepo& customers_;
  CustomerId id_;
  nlohmann::json customer_;
  TimeMs now_;
  const date::time_zone* business_zone_;
};

}  // namespace journeyd
