#include "daemon/intelligence/btyd_summary.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace journeyd {

std::int64_t customerDay(TimeMs at, DurationMs day_offset_ms) {
  const TimeMs shifted = at + day_offset_ms;
  // Floor division, so instants before 1970 land on the right day.
  std::int64_t day = shifted / kDayMs;
  if (shifted % kDayMs < 0) --day;
  return day;
}

Result<void> addOrder(PurchaseTally& tally, const Order& order, DurationMs day_offset_ms) {
  if (!std::isfinite(order.amount) || order.amount < 0.0) {
    return fail(Error::invalid(
        "order amount must be a finite number >= 0, got " + std::to_string(order.amount),
        "amount"));
  }
  const std::int64_t day = customerDay(order.at, day_offset_ms);
  if (tally.days == 0) {
    tally.first_day = tally.last_day = day;
    tally.days = 1;
    tally.orders = 1;
    tally.first_day_amount = order.amount;
    tally.first_order_at = tally.last_order_at = order.at;
    return ok();
  }
  if (day < tally.last_day) {
    return fail(
        Error::invalid("order falls before the customer's latest purchase day; rebuild "
                       "the tally from all orders",
                       "at"));
  }
  if (day == tally.last_day) {
    if (tally.days == 1) {
      tally.first_order_at = std::min(tally.first_order_at, order.at);
      tally.first_day_amount += order.amount;
    } else {
      tally.repeat_amount += order.amount;
    }
  } else {
    tally.last_day = day;
    ++tally.days;
    tally.repeat_amount += order.amount;
  }
  ++tally.orders;
  tally.last_order_at = std::max(tally.last_order_at, order.at);
  return ok();
}

Result<PurchaseTally> tallyOrders(std::span<const Order> orders, TimeMs as_of,
                                  DurationMs day_offset_ms) {
  const std::int64_t as_of_day = customerDay(as_of, day_offset_ms);
  std::vector<Order> kept;
  kept.reserve(orders.size());
  for (const Order& order : orders) {
    if (customerDay(order.at, day_offset_ms) <= as_of_day) kept.push_back(order);
  }
  std::sort(kept.begin(), kept.end(), [](const Order& l, const Order& r) { return l.at < r.at; });
  PurchaseTally tally;
  for (const Order& order : kept) {
    if (auto added = addOrder(tally, order, day_offset_ms); !added) return fail(added.error());
  }
  return tally;
}

BtydSummary summarize(const PurchaseTally& tally, TimeMs as_of, const SummaryOptions& options) {
  BtydSummary summary;
  if (tally.days == 0) return summary;
  const std::int64_t as_of_day =
      std::max(customerDay(as_of, options.day_offset_ms), tally.last_day);
  const double unit = options.time_unit_days;
  summary.x = static_cast<double>(tally.days - 1);
  summary.T = static_cast<double>(as_of_day - tally.first_day) / unit;
  if (tally.days > 1) {
    summary.t_x = static_cast<double>(tally.last_day - tally.first_day) / unit;
    summary.monetary = tally.repeat_amount / summary.x;
  }
  return summary;
}

Result<BtydSummary> summarizeOrders(std::span<const Order> orders, TimeMs as_of,
                                    const SummaryOptions& options) {
  auto tally = tallyOrders(orders, as_of, options.day_offset_ms);
  if (!tally) return fail(tally.error());
  return summarize(*tally, as_of, options);
}

}  // namespace journeyd
