#include "daemon/journeys/cron.h"

#include <doctest/doctest.h>

using namespace journeyd;

namespace {
TimeMs at(const char* iso) { return *parseIsoTime(iso); }
}  // namespace

TEST_CASE("cron next times in UTC") {
  struct Row {
    const char* cron;
    const char* after;
    const char* want;
  };
  const Row rows[] = {
      {"0 9 * * *", "2024-03-01T08:59:00Z", "2024-03-01T09:00:00.000Z"},
      {"0 9 * * *", "2024-03-01T09:00:00Z", "2024-03-02T09:00:00.000Z"},
      {"*/15 * * * *", "2024-03-01T10:07:00Z", "2024-03-01T10:15:00.000Z"},
      {"30 8 * * mon-fri", "2024-03-01T09:00:00Z", "2024-03-04T08:30:00.000Z"},  // Fri → Mon
      {"0 0 1 * *", "2024-01-31T12:00:00Z", "2024-02-01T00:00:00.000Z"},
      {"0 12 29 feb *", "2024-03-01T00:00:00Z", "2028-02-29T12:00:00.000Z"},
      {"0 10 1 * sun", "2024-03-01T11:00:00Z", "2024-03-03T10:00:00.000Z"},  // dom OR dow
      {"0 10 * * 7", "2024-03-01T11:00:00Z", "2024-03-03T10:00:00.000Z"},    // 7 = Sunday
      {"5,10 1-2 * jan,DEC *", "2024-12-31T23:00:00Z", "2025-01-01T01:05:00.000Z"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.cron);
    CAPTURE(row.after);
    std::string error;
    auto cron = CronSchedule::parse(row.cron, error);
    REQUIRE_MESSAGE(cron, error);
    auto next = cron->nextAfter(at(row.after), nullptr);
    REQUIRE(next);
    CHECK(formatIsoTime(*next) == row.want);
  }
}

TEST_CASE("cron rejects malformed expressions with the bad field named") {
  struct Row {
    const char* cron;
    const char* error;
  };
  const Row rows[] = {
      {"0 9 * *", "cron needs 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"60 9 * * *", "bad cron minute field '60'"},
      {"0 24 * * *", "bad cron hour field '24'"},
      {"0 9 0 * *", "bad cron day-of-month field '0'"},
      {"0 9 * foo *", "bad cron month field 'foo'"},
      {"0 9 * * mon-", "bad cron day-of-week field 'mon-'"},
      {"*/0 9 * * *", "bad cron minute field '*/0'"},
  };
  for (const auto& row : rows) {
    std::string error;
    CHECK_FALSE(CronSchedule::parse(row.cron, error));
    CHECK(error == row.error);
  }
}

TEST_CASE("cron across daylight saving time fires once, never twice or never") {
  const auto* ny = findTimeZone("America/New_York");
  REQUIRE(ny);
  std::string error;
  // 2024-03-10: 02:00 → 03:00 in New York. 02:30 does not exist: it runs at the transition.
  auto spring = CronSchedule::parse("30 2 * * *", error);
  REQUIRE(spring);
  CHECK(formatIsoTime(*spring->nextAfter(at("2024-03-09T12:00:00Z"), ny)) ==
        "2024-03-10T07:00:00.000Z");
  CHECK(formatIsoTime(*spring->nextAfter(at("2024-03-10T07:00:00Z"), ny)) ==
        "2024-03-11T06:30:00.000Z");
  // 2024-11-03: 01:30 happens twice; it runs at the first one only.
  auto fall = CronSchedule::parse("30 1 * * *", error);
  REQUIRE(fall);
  TimeMs first = *fall->nextAfter(at("2024-11-02T12:00:00Z"), ny);
  CHECK(formatIsoTime(first) == "2024-11-03T05:30:00.000Z");  // 01:30 EDT
  CHECK(formatIsoTime(*fall->nextAfter(first, ny)) == "2024-11-04T06:30:00.000Z");
  // 9:00 local stays 9:00 local across the change.
  auto nine = CronSchedule::parse("0 9 * * *", error);
  CHECK(formatIsoTime(*nine->nextAfter(at("2024-03-09T15:00:00Z"), ny)) ==
        "2024-03-10T13:00:00.000Z");
}

TEST_CASE("next local moment for wait_until honours time, weekdays and zone") {
  const auto* shanghai = findTimeZone("Asia/Shanghai");
  REQUIRE(shanghai);
  // Friday 2024-03-01 11:00 in Shanghai (03:00Z): next weekday 10:00 is Monday 10:00 (02:00Z).
  CHECK(formatIsoTime(nextLocalMoment(at("2024-03-01T03:00:00Z"), 600, 0x3e, shanghai)) ==
        "2024-03-04T02:00:00.000Z");
  // Friday 09:00 local: 10:00 the same day.
  CHECK(formatIsoTime(nextLocalMoment(at("2024-03-01T01:00:00Z"), 600, 0x3e, shanghai)) ==
        "2024-03-01T02:00:00.000Z");
  // Exactly at the moment: no wait.
  CHECK(nextLocalMoment(at("2024-03-01T02:00:00Z"), 600, 0x7f, shanghai) ==
        at("2024-03-01T02:00:00Z"));
  // Days only: Saturday → start of Monday local.
  CHECK(formatIsoTime(nextLocalMoment(at("2024-03-02T03:00:00Z"), std::nullopt, 0x3e, shanghai)) ==
        "2024-03-03T16:00:00.000Z");
  CHECK_FALSE(findTimeZone("Mars/Olympus"));
  CHECK(parseTimeOfDay("09:30") == 570);
  CHECK_FALSE(parseTimeOfDay("9.30"));
  CHECK_FALSE(parseTimeOfDay("24:00"));
}

TEST_CASE("date occurrences: yearly birthdays, offsets and leap days") {
  const auto* shanghai = findTimeZone("Asia/Shanghai");
  // Born 1990-05-17; at 09:00 Shanghai (01:00Z).
  CHECK(formatIsoTime(*nextDateOccurrence(at("1990-05-17"), true, 0, 540,
                                          at("2024-01-01T00:00:00Z"), shanghai)) ==
        "2024-05-17T01:00:00.000Z");
  CHECK(formatIsoTime(*nextDateOccurrence(at("1990-05-17"), true, 0, 540,
                                          at("2024-05-17T01:00:00Z"), shanghai)) ==
        "2025-05-17T01:00:00.000Z");
  // Three days before.
  CHECK(formatIsoTime(*nextDateOccurrence(at("1990-05-17"), true, -3 * kDayMs, 540,
                                          at("2024-01-01T00:00:00Z"), shanghai)) ==
        "2024-05-14T01:00:00.000Z");
  // 29 February in a common year: the 28th.
  CHECK(formatIsoTime(*nextDateOccurrence(at("2000-02-29"), true, 0, 0, at("2025-01-01T00:00:00Z"),
                                          nullptr)) == "2025-02-28T00:00:00.000Z");
  // Once: past dates never come back.
  CHECK_FALSE(
      nextDateOccurrence(at("2024-01-10"), false, 0, 540, at("2024-02-01T00:00:00Z"), nullptr));
  CHECK(formatIsoTime(*nextDateOccurrence(at("2024-03-10"), false, -kDayMs, 600,
                                          at("2024-02-01T00:00:00Z"), nullptr)) ==
        "2024-03-09T10:00:00.000Z");
}

TEST_CASE("send windows: parsing, the next open moment, past midnight and across DST") {
  std::string error;
  auto w = parseSendWindow("weekdays 10:00\u201318:00", error);  // an en dash, as people type it
  REQUIRE(w);
  CHECK(w->weekday_mask == 0x3e);
  CHECK(w->start_minute == 600);
  CHECK(w->end_minute == 1080);
  CHECK(parseSendWindow("mon-wed,fri 09:00-12:00", error)->weekday_mask == 0x2e);
  CHECK(parseSendWindow("fri-mon 09:00-12:00", error)->weekday_mask == 0x63);  // wraps past Sunday
  CHECK(parseSendWindow("18:00-24:00", error)->end_minute == 1440);
  CHECK_FALSE(parseSendWindow("weekdays", error));
  CHECK_FALSE(parseSendWindow("holidays 10:00-12:00", error));
  CHECK(error.find("bad days 'holidays'") != std::string::npos);
  CHECK_FALSE(parseSendWindow("10:00-10:00", error));

  const auto* shanghai = findTimeZone("Asia/Shanghai");
  // Friday 2024-03-01 19:00 Shanghai (11:00Z) → Monday 10:00 (02:00Z).
  CHECK(formatIsoTime(nextInSendWindow(at("2024-03-01T11:00:00Z"), *w, shanghai)) ==
        "2024-03-04T02:00:00.000Z");
  // Friday 09:00 → 10:00 the same day; 12:00 → now.
  CHECK(formatIsoTime(nextInSendWindow(at("2024-03-01T01:00:00Z"), *w, shanghai)) ==
        "2024-03-01T02:00:00.000Z");
  CHECK(nextInSendWindow(at("2024-03-01T04:00:00Z"), *w, shanghai) == at("2024-03-01T04:00:00Z"));
  // 22:00-02:00 on Fridays: Saturday 01:00 is still Friday's night; Saturday 03:00 waits a week.
  auto night = parseSendWindow("fri 22:00-02:00", error);
  REQUIRE(night);
  CHECK(nextInSendWindow(at("2024-03-02T01:00:00Z"), *night, nullptr) ==
        at("2024-03-02T01:00:00Z"));
  CHECK(formatIsoTime(nextInSendWindow(at("2024-03-02T03:00:00Z"), *night, nullptr)) ==
        "2024-03-08T22:00:00.000Z");
  // New York springs forward on 2026-03-08: a 02:30 start does not exist that day and maps to
  // the transition (03:00 EDT = 07:00Z), not an hour late or never.
  auto early = parseSendWindow("daily 02:30-04:00", error);
  const auto* ny = findTimeZone("America/New_York");
  CHECK(formatIsoTime(nextInSendWindow(at("2026-03-08T05:00:00Z"), *early, ny)) ==
        "2026-03-08T07:00:00.000Z");
  // Falling back on 2026-11-01, 01:00-02:00 happens twice. At 01:15 in the second pass (EST,
  // 06:15Z) the 01:30 start still to come is 01:30 EST (06:30Z), not 01:30 EDT an hour ago.
  auto fall = parseSendWindow("daily 01:30-03:00", error);
  CHECK(formatIsoTime(nextInSendWindow(at("2026-11-01T06:15:00Z"), *fall, ny)) ==
        "2026-11-01T06:30:00.000Z");
  // …and the day after the spring change, 02:30 EDT is 06:30Z.
  CHECK(formatIsoTime(nextInSendWindow(at("2026-03-09T05:00:00Z"), *early, ny)) ==
        "2026-03-09T06:30:00.000Z");
}
