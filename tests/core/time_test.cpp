#include "daemon/core/time.h"

#include <date/tz.h>
#include <doctest/doctest.h>

#include "daemon/core/diagnostic.h"
#include "daemon/core/json_input.h"

using namespace journeyd;

TEST_CASE("ISO-8601 instants parse to epoch milliseconds") {
  struct Row {
    const char* text;
    std::optional<TimeMs> want;
  };
  const Row rows[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2024-01-02T03:04:05Z", 1704164645000},
      {"2024-01-02T03:04:05.678Z", 1704164645678},
      {"2024-01-02T04:04:05+01:00", 1704164645000},
      {"2024-01-02T02:04:05-0100", 1704164645000},
      {"2024-01-02", 1704153600000},
      {"2015-02-23T22:28:55.111Z", 1424730535111},
      {"2024-02-30T00:00:00Z", std::nullopt},
      {"2024-01-02T25:00:00Z", std::nullopt},
      {"yesterday", std::nullopt},
      {"2024-01-02T03:04:05Zjunk", std::nullopt},
  };
  for (const auto& row : rows) {
    CAPTURE(row.text);
    CHECK(parseIsoTime(row.text) == row.want);
  }
}

TEST_CASE("a calendar date is the start of that day in the given zone; instants ignore the zone") {
  const auto* new_york = date::locate_zone("America/New_York");
  const auto* shanghai = date::locate_zone("Asia/Shanghai");
  struct Row {
    const char* text;
    const date::time_zone* zone;
    const char* want;
  };
  const Row rows[] = {
      {"2026-03-20", new_york, "2026-03-20T04:00:00.000Z"},  // EDT, -4
      {"2026-01-20", new_york, "2026-01-20T05:00:00.000Z"},  // EST, -5
      {"2026-03-20", shanghai, "2026-03-19T16:00:00.000Z"},
      {"2026-03-20", nullptr, "2026-03-20T00:00:00.000Z"},  // UTC
      // Chile springs forward at midnight: the day starts at the transition, 01:00 local.
      {"2024-09-08", date::locate_zone("America/Santiago"), "2024-09-08T04:00:00.000Z"},
      {"2026-03-20T18:00:00-04:00", shanghai, "2026-03-20T22:00:00.000Z"},
      {"2026-03-20T00:00:00Z", new_york, "2026-03-20T00:00:00.000Z"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.text);
    auto t = parseIsoTimeIn(row.text, row.zone);
    REQUIRE(t);
    CHECK(formatIsoTime(*t) == row.want);
  }
  CHECK_FALSE(parseIsoTimeIn("2026-02-30", new_york));
  CHECK(isCalendarDate("2026-03-20"));
  CHECK_FALSE(isCalendarDate("2026-03-20T00:00:00Z"));
  CHECK_FALSE(isCalendarDate("20260320"));
}

TEST_CASE("instants format back to ISO-8601 with milliseconds") {
  CHECK(formatIsoTime(1704164645678) == "2024-01-02T03:04:05.678Z");
  CHECK(parseIsoTime(formatIsoTime(1424730535111)) == 1424730535111);
}

TEST_CASE("durations use s, m, h, d and w") {
  CHECK(parseDuration("90s") == 90 * kSecondMs);
  CHECK(parseDuration("15m") == 15 * kMinuteMs);
  CHECK(parseDuration("2h") == 2 * kHourMs);
  CHECK(parseDuration("3d") == 3 * kDayMs);
  CHECK(parseDuration("2w") == 14 * kDayMs);
  CHECK(parseDuration("1h30m") == 90 * kMinuteMs);
  CHECK(parseDuration("250ms") == 250);
  CHECK_FALSE(parseDuration("1x").has_value());
  CHECK_FALSE(parseDuration("d").has_value());
  CHECK_FALSE(parseDuration("").has_value());
  CHECK(formatDuration(3 * kDayMs) == "3d");
  CHECK(formatDuration(90 * kMinuteMs) == "90m");
}

TEST_CASE("diagnostics print in the compiler convention") {
  Diagnostics d;
  d.error({"journeys/a.yaml", 21, 13}, "unknown channel 'emial' (did you mean 'email'?)");
  d.warning({"journeys/a.yaml", 3, 0}, "unused");
  CHECK(d.hasErrors());
  CHECK(d.format() ==
        "journeys/a.yaml:21:13: error: unknown channel 'emial' (did you mean 'email'?)\n"
        "journeys/a.yaml:3: warning: unused\n");
  CHECK(closestMatch("emial", {"email", "sms", "webhook"}) == "email");
  CHECK(closestMatch("zzzzzz", {"email", "sms"}).empty());
}

TEST_CASE("JSON input guards: nesting depth outside strings, and well-formed UTF-8") {
  using journeyd::invalidUtf8;
  using journeyd::jsonTooDeep;
  CHECK_FALSE(jsonTooDeep(R"({"a": [[{"b": 1}]]})", 4));
  CHECK(jsonTooDeep(R"({"a": [[{"b": 1}]]})", 3) == 8u);
  CHECK_FALSE(jsonTooDeep(R"({"a": "[[[[[[\"[[[["})", 2));  // brackets in strings do not count
  CHECK(jsonTooDeep(std::string(100000, '['), 64) == 64u);
  CHECK_FALSE(invalidUtf8("plain ascii, 王芳 🙂"));
  CHECK(invalidUtf8("ab\xC3\x28") == 2u);        // a lead byte without its continuation
  CHECK(invalidUtf8("\xC0\xAF") == 0u);          // overlong '/'
  CHECK(invalidUtf8("x\xED\xA0\x80") == 1u);     // a UTF-16 surrogate
  CHECK(invalidUtf8("\xF4\x90\x80\x80") == 0u);  // above U+10FFFF
  CHECK(invalidUtf8("\xFF") == 0u);
  CHECK(invalidUtf8("\xE2\x82") == 0u);  // truncated
}
