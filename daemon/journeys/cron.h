#pragma once
/// Five-field cron schedules (`minute hour day-of-month month day-of-week`) evaluated in a
/// timezone, and the local-time helpers `wait_until` and date triggers need. DST-safe: a local
/// time that does not exist (spring forward) maps to the moment of the transition, one that
/// happens twice (fall back) to its first occurrence, so nothing fires twice or never.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/time.h"
#include "daemon/core/time_zone.h"

namespace journeyd {

/// A parsed cron expression. Immutable.
class CronSchedule {
 public:
  /// Parses 5 fields with `*`, lists, ranges, steps and names (jan, mon). On failure returns
  /// nullopt and sets `error` to a message naming the bad field.
  [[nodiscard]] static std::optional<CronSchedule> parse(std::string_view text, std::string& error);

  /// The first matching minute strictly after `after`, in the given zone (UTC when null);
  /// nullopt when none within five years (e.g. `0 0 30 2 *`).
  [[nodiscard]] std::optional<TimeMs> nextAfter(TimeMs after, const date::time_zone* zone) const;

  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     ///< 1..31
  std::bitset<13> months_;   ///< 1..12
  std::bitset<7> weekdays_;  ///< 0 = Sunday
  bool days_any_ = true;
  bool weekdays_any_ = true;
};

/// Weekday (0 = Sunday) of the instant in the zone (UTC when null).
[[nodiscard]] int localWeekday(TimeMs t, const date::time_zone* zone);

/// The earliest instant >= `from` whose local time of day is `minute_of_day` (any time when
/// nullopt: the start of the next allowed day, or `from` itself when today is allowed) on a
/// weekday in `weekday_mask` (bit 0 = Sunday).
[[nodiscard]] TimeMs nextLocalMoment(TimeMs from, std::optional<int> minute_of_day,
                                     std::uint8_t weekday_mask, const date::time_zone* zone);

/// The instant of local `minute_of_day` on the local calendar day containing `t`.
[[nodiscard]] TimeMs atLocalTimeOfDay(TimeMs t, int minute_of_day, const date::time_zone* zone);

/// The next date-trigger moment strictly after `after`: the date (its UTC calendar day, as
/// birthdays are stored), every year on that month/day when `yearly` (29 Feb → 28 Feb in other
/// years), shifted by `offset` whole days, at local `minute_of_day`. nullopt when it is past.
[[nodiscard]] std::optional<TimeMs> nextDateOccurrence(TimeMs date_value, bool yearly,
                                                       DurationMs offset, int minute_of_day,
                                                       TimeMs after, const date::time_zone* zone);

/// A window of local time in which messages may go out: days of the week and a time of day
/// range ("weekdays 10:00-18:00"). An end before the start runs past midnight into the next day.
struct SendWindow {
  std::uint8_t weekday_mask = 0x7f;  ///< bit 0 = Sunday … bit 6 = Saturday
  int start_minute = 0;
  int end_minute = 24 * 60;
  std::string text;  ///< as written, for reasons ("weekdays 10:00-18:00")
};

/// "weekdays 10:00-18:00", "daily 09:00-21:00", "mon-fri 10:00-18:00", "sat,sun 10:00-16:00",
/// "22:00-02:00" (every day); an en dash works as the range mark. nullopt with `error` set when
/// malformed.
[[nodiscard]] std::optional<SendWindow> parseSendWindow(std::string_view text, std::string& error);

/// The earliest instant >= `t` inside the window, in the zone (UTC when null).
[[nodiscard]] TimeMs nextInSendWindow(TimeMs t, const SendWindow& window,
                                      const date::time_zone* zone);

/// "HH:MM" → minutes after midnight; nullopt when malformed.
[[nodiscard]] std::optional<int> parseTimeOfDay(std::string_view text);

}  // namespace journeyd
