#include <doctest/doctest.h>

#include "daemon/delivery/policy.h"

using namespace journeyd;

TEST_CASE("the global holdout is stable per customer and close to the configured share") {
  int held = 0;
  for (std::int64_t id = 1; id <= 10000; ++id) {
    bool in = inHoldout(id, 10);
    CHECK(in == inHoldout(id, 10));  // stable
    held += in;
  }
  CHECK(held > 850);
  CHECK(held < 1150);
  CHECK_FALSE(inHoldout(42, 0));
}

TEST_CASE("quiet hours defer to the end of the window in the customer's timezone, across midnight and DST") {
  const int kNine = 21 * 60, kEight = 8 * 60;
  struct Row {
    const char* now;
    const char* zone;
    int start, end;
    const char* want;  // nullptr: may go out now
  };
  const Row rows[] = {
      {"2026-03-02T14:30:00Z", "Asia/Shanghai", kNine, kEight, "2026-03-03T00:00:00.000Z"},  // 22:30 → 08:00 next day
      {"2026-03-02T23:00:00Z", "Asia/Shanghai", kNine, kEight, "2026-03-03T00:00:00.000Z"},  // 07:00 → 08:00 same day
      {"2026-03-02T04:00:00Z", "Asia/Shanghai", kNine, kEight, nullptr},                     // 12:00
      {"2026-03-02T13:00:00Z", "Asia/Shanghai", kNine, kEight, "2026-03-03T00:00:00.000Z"},  // 21:00 exactly
      {"2026-03-03T00:00:00Z", "Asia/Shanghai", kNine, kEight, nullptr},                     // 08:00 exactly
      {"2026-03-02T05:30:00Z", "UTC", 5 * 60, 6 * 60, "2026-03-02T06:00:00.000Z"},           // a daytime window
      // New York, the night clocks go forward (2026-03-08 02:00 → 03:00): 01:30 EST → 03:00 EDT.
      {"2026-03-08T06:30:00Z", "America/New_York", 60, 3 * 60, "2026-03-08T07:00:00.000Z"},
      {"2026-03-02T22:30:00Z", "Not/AZone", kNine, kEight, "2026-03-03T08:00:00.000Z"},      // unknown zone: UTC
  };
  for (const auto& row : rows) {
    CAPTURE(row.now);
    CAPTURE(row.zone);
    auto end = quietHoursEnd(*parseIsoTime(row.now), row.zone, row.start, row.end);
    if (row.want) {
      REQUIRE(end.has_value());
      CHECK(formatIsoTime(*end) == row.want);
    } else {
      CHECK_FALSE(end.has_value());
    }
  }
  CHECK_FALSE(quietHoursEnd(0, "UTC", -1, -1).has_value());
}
