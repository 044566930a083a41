#pragma once
/// Time values: instants are milliseconds since the Unix epoch (UTC), durations are
/// milliseconds. Parsing and formatting of ISO-8601 instants and of journeyd durations
/// (`90s`, `15m`, `2h`, `3d`, `2w`).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace journeyd {

using TimeMs = std::int64_t;      ///< instant: ms since 1970-01-01T00:00:00Z
using DurationMs = std::int64_t;  ///< span of time in ms

constexpr DurationMs kSecondMs = 1000;
constexpr DurationMs kMinuteMs = 60 * kSecondMs;
constexpr DurationMs kHourMs = 60 * kMinuteMs;
constexpr DurationMs kDayMs = 24 * kHourMs;
constexpr DurationMs kWeekMs = 7 * kDayMs;

/// Parses an ISO-8601 / RFC 3339 instant: `2024-01-02T03:04:05Z`, with optional fraction and
/// `+hh:mm` / `-hhmm` offset; a date alone (`2024-01-02`) is midnight UTC. nullopt when malformed.
/// For a customer's data use parseIsoTimeIn: a date alone is a day of their calendar.
std::optional<TimeMs> parseIsoTime(std::string_view text);

/// As parseIsoTime, but a calendar date (`2024-01-02`, no time) is the start of that day in
/// `zone` (UTC when null): the customer's zone, else the business zone. Instants with a time are
/// unaffected by `zone`. Where local midnight does not exist (a DST jump), the day starts at the
/// transition.
std::optional<TimeMs> parseIsoTimeIn(std::string_view text, const date::time_zone* zone);

/// True for a calendar date: exactly `YYYY-MM-DD`, no time (not checked for validity).
[[nodiscard]] bool isCalendarDate(std::string_view text);

/// `2024-01-02T03:04:05.678Z` (milliseconds always shown).
std::string formatIsoTime(TimeMs t);

/// Parses `90s`, `15m`, `2h`, `3d`, `2w` (also `500ms`, and combinations like `1h30m`).
std::optional<DurationMs> parseDuration(std::string_view text);

/// The shortest exact spelling of a duration in the units above (`3d`, `90m`, `1500ms`).
std::string formatDuration(DurationMs d);

}  // namespace journeyd
