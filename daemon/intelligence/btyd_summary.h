#pragma once
/// Purchase summaries for "buy till you die" models (BG/NBD, Gamma-Gamma): from a customer's
/// orders and an as-of instant, the repeat-purchase count x, the recency t_x, the age T and the
/// mean repeat spend, following the CDNOW conventions of Fader, Hardie & Lee (2005) and
/// lifetimes (see shared/data/cdnow/REFERENCE.md, section 2).
///
/// Time is counted in whole purchase days: orders on the same customer day are merged into one
/// purchase (amounts summed). A customer day is floor((at + day_offset_ms) / 1 day), so a
/// customer's own timezone can be honoured by passing its UTC offset (0 = UTC days).
#include <cstdint>
#include <span>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

/// One order of one customer: when it happened and what it was worth (currency units).
struct Order {
  TimeMs at = 0;
  double amount = 0.0;
};

/// How orders are bucketed into purchase days and how durations are expressed.
struct SummaryOptions {
  /// The model's time unit in days: 1 = days (the product default), 7 = weeks (CDNOW).
  double time_unit_days = 1.0;
  /// Added to each instant before cutting it into days: the customer's UTC offset. Default 0.
  DurationMs day_offset_ms = 0;
};

/// The BTYD inputs of one customer at an as-of instant, in the model's time unit.
struct BtydSummary {
  double x = 0.0;         ///< repeat purchase days = distinct purchase days - 1 (0 if none)
  double t_x = 0.0;       ///< (last purchase day - first purchase day) in time units; 0 if x = 0
  double T = 0.0;         ///< (as-of day - first purchase day) in time units
  double monetary = 0.0;  ///< mean amount of the repeat purchase days, first excluded; 0 if x = 0
};

/// Running purchase facts of one customer, updated in O(1) per order arriving in time order.
/// Days are customer days (see file comment) counted from the Unix epoch.
struct PurchaseTally {
  std::int64_t first_day = 0;     ///< day of the first purchase; meaningless when days == 0
  std::int64_t last_day = 0;      ///< day of the latest purchase
  std::int64_t days = 0;          ///< distinct purchase days (x + 1); 0 = no order yet
  std::int64_t orders = 0;        ///< orders counted (before day merging)
  double first_day_amount = 0.0;  ///< merged amount of the first purchase day
  double repeat_amount = 0.0;     ///< merged amount of all later purchase days
  TimeMs first_order_at = 0;      ///< instant of the first order
  TimeMs last_order_at = 0;       ///< instant of the latest order

  [[nodiscard]] double totalAmount() const { return first_day_amount + repeat_amount; }
};

/// The customer day of an instant: floor((at + day_offset_ms) / kDayMs).
[[nodiscard]] std::int64_t customerDay(TimeMs at, DurationMs day_offset_ms = 0);

/// Adds one order to a tally in O(1). The order must not fall on a day before the tally's last
/// purchase day (same day is fine: it is merged); otherwise kInvalidArgument is returned, the
/// tally is unchanged and the caller rebuilds it with tallyOrders(). Negative or non-finite
/// amounts are refused too.
[[nodiscard]] Result<void> addOrder(PurchaseTally& tally, const Order& order,
                                    DurationMs day_offset_ms = 0);

/// Builds a tally from orders in any order, keeping those whose customer day is on or before
/// the as-of day. O(n log n). Fails on a negative or non-finite amount.
[[nodiscard]] Result<PurchaseTally> tallyOrders(std::span<const Order> orders, TimeMs as_of,
                                                DurationMs day_offset_ms = 0);

/// The BTYD summary of a tally as of an instant (T counts whole days up to the as-of day).
/// A tally with no order gives all zeros. An as-of day before the last purchase day is clamped
/// to it (T >= t_x always holds).
[[nodiscard]] BtydSummary summarize(const PurchaseTally& tally, TimeMs as_of,
                                    const SummaryOptions& options = {});

/// tallyOrders + summarize.
[[nodiscard]] Result<BtydSummary> summarizeOrders(std::span<const Order> orders, TimeMs as_of,
                                                  const SummaryOptions& options = {});

}  // namespace journeyd
