#include "daemon/intelligence/btyd_summary.h"

#include <doctest/doctest.h>

#include <cmath>

#include "tests/intelligence/cdnow_data.h"

using namespace journeyd;

namespace {
double round2(double v) { return std::round(v * 100.0) / 100.0; }
}  // namespace

TEST_CASE("CDNOW calibration summaries match the published table row for row") {
  const auto orders = cdnow::loadOrders(true);
  const auto published = cdnow::loadPublishedSummaries("cdnow_customers_summary.csv");
  const auto with_spend =
      cdnow::loadPublishedSummaries("cdnow_customers_summary_with_transactions.csv");
  REQUIRE(orders.size() == 2357);
  REQUIRE(published.size() == 2357);
  REQUIRE(with_spend.size() == 2357);
  const TimeMs as_of = cdnow::dateMs("19970930");
  double sum_x = 0;
  int repeaters = 0;
  int mismatches = 0;
  for (std::size_t i = 0; i < published.size(); ++i) {
    const auto& want = published[i];
    REQUIRE(orders.count(want.id) == 1);
    const BtydSummary got =
        summarizeOrders(orders.at(want.id), as_of, {.time_unit_days = 7.0}).value();
    const bool same = got.x == want.x && round2(got.t_x) == want.t_x && round2(got.T) == want.T &&
                      std::fabs(got.monetary - with_spend[i].zbar) <= 0.01;
    if (!same) {
      ++mismatches;
      CAPTURE(want.id);
      CHECK(got.x == want.x);
      CHECK(round2(got.t_x) == want.t_x);
      CHECK(round2(got.T) == want.T);
      CHECK(got.monetary == doctest::Approx(with_spend[i].zbar).epsilon(0.001));
    }
    sum_x += got.x;
    repeaters += got.x > 0 ? 1 : 0;
  }
  CHECK(mismatches == 0);
  CHECK(sum_x == 2457);
  CHECK(repeaters == 946);
}

TEST_CASE("same-day orders merge into one purchase and the first purchase is not monetary") {
  const TimeMs day0 = parseIsoTime("2024-03-01T09:00:00Z").value();
  const std::vector<Order> orders{
      {day0, 10.0},
      {day0 + 5 * kHourMs, 5.0},     // same UTC day: merged into the first purchase
      {day0 + 2 * kDayMs, 20.0},     // repeat 1
      {day0 + 2 * kDayMs + 1, 4.0},  // same day as repeat 1
      {day0 + 9 * kDayMs, 30.0},     // repeat 2
      {day0 + 40 * kDayMs, 99.0},    // after the as-of day: ignored
  };
  const TimeMs as_of = day0 + 20 * kDayMs;
  const BtydSummary s = summarizeOrders(orders, as_of).value();
  CHECK(s.x == 2);
  CHECK(s.t_x == 9);
  CHECK(s.T == 20);
  CHECK(s.monetary == doctest::Approx((24.0 + 30.0) / 2));
  const PurchaseTally tally = tallyOrders(orders, as_of).value();
  CHECK(tally.first_day_amount == 15.0);
  CHECK(tally.orders == 5);
  CHECK(tally.totalAmount() == 69.0);
}

TEST_CASE("a customer's UTC offset moves the day boundary") {
  const TimeMs late_evening = parseIsoTime("2024-03-01T23:30:00Z").value();
  const std::vector<Order> orders{{late_evening, 1.0}, {late_evening + kHourMs, 1.0}};
  const TimeMs as_of = late_evening + 3 * kDayMs;
  CHECK(summarizeOrders(orders, as_of).value().x == 1);  // UTC: two days
  CHECK(summarizeOrders(orders, as_of, {.day_offset_ms = -2 * kHourMs}).value().x == 0);
}

TEST_CASE("the incremental tally equals a rebuild and refuses out-of-order days") {
  const TimeMs t0 = parseIsoTime("2024-01-01T12:00:00Z").value();
  std::vector<Order> orders;
  PurchaseTally incremental;
  for (int i = 0; i < 50; ++i) {
    const Order order{t0 + (i * 37 % 11 + i * 3) * kDayMs / 2, 1.0 + i};
    if (!orders.empty() && customerDay(order.at) < customerDay(orders.back().at)) continue;
    orders.push_back(order);
    REQUIRE(addOrder(incremental, order));
  }
  const TimeMs as_of = orders.back().at + 10 * kDayMs;
  const PurchaseTally rebuilt = tallyOrders(orders, as_of).value();
  CHECK(incremental.days == rebuilt.days);
  CHECK(incremental.repeat_amount == doctest::Approx(rebuilt.repeat_amount));
  CHECK(incremental.first_day_amount == rebuilt.first_day_amount);

  PurchaseTally before = incremental;
  auto refused = addOrder(incremental, {t0 - kDayMs, 5.0});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(incremental.days == before.days);
  CHECK_FALSE(addOrder(incremental, {orders.back().at, -1.0}));
  CHECK_FALSE(addOrder(incremental, {orders.back().at, NAN}));
}

TEST_CASE("a customer with no order summarizes to zeros") {
  const BtydSummary s = summarize(PurchaseTally{}, 1'000'000);
  CHECK(s.x == 0);
  CHECK(s.T == 0);
}
