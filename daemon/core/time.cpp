#include "daemon/core/time.h"

#include <date/date.h>
#include <date/tz.h>

#include <cctype>
#include <chrono>
#include <sstream>

namespace journeyd {

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}
}  // namespace

std::optional<TimeMs> parseIsoTime(std::string_view s) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  auto ymd = date::year{year} / date::month{static_cast<unsigned>(month)} /
             date::day{static_cast<unsigned>(day)};
  if (!ymd.ok()) return std::nullopt;
  size_t pos = 10;
  int64_t millis = 0;
  int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!digits(s, pos, 2, hour) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !digits(s, pos + 3, 2, minute)) {
      return std::nullopt;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int64_t scale = 100;
        size_t start = pos;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
          millis += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (pos < s.size()) {
      char c = s[pos];
      if (c == 'Z' || c == 'z') {
        ++pos;
      } else if (c == '+' || c == '-') {
        int oh, om = 0;
        if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
        size_t next = pos + 3;
        if (next < s.size() && s[next] == ':') ++next;
        if (next < s.size()) {
          if (!digits(s, next, 2, om)) return std::nullopt;
          next += 2;
        }
        if (oh > 23 || om > 59) return std::nullopt;
        offset_minutes = (oh * 60 + om) * (c == '+' ? 1 : -1);
        pos = next;
      } else {
        return std::nullopt;
      }
    }
    if (pos != s.size()) return std::nullopt;
  }
  auto days = date::sys_days{ymd}.time_since_epoch().count();
  int64_t secs =
      static_cast<int64_t>(days) * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

bool isCalendarDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::optional<TimeMs> parseIsoTimeIn(std::string_view text, const date::time_zone* zone) {
  auto t = parseIsoTime(text);
  if (!t || !zone || !isCalendarDate(text)) return t;
  using std::chrono::milliseconds;
  const date::local_time<milliseconds> midnight{milliseconds(*t)};
  // earliest: a skipped midnight maps to the transition, as cron.cpp's local times do.
  return zone->to_sys(midnight, date::choose::earliest).time_since_epoch().count();
}

std::string formatIsoTime(TimeMs t) {
  // By hand rather than with date::format (a stream per call): this runs for every customer
  // view, event and log line.
  using namespace std::chrono;
  const auto tp = sys_time<milliseconds>(milliseconds(t));
  const auto day = floor<days>(tp);
  const date::year_month_day ymd{day};
  std::int64_t ms = (tp - day).count();
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return date::format("%FT%TZ", tp);
  char out[25];
  auto put = [&](int at, int width, std::int64_t value) {
    for (int i = width - 1; i >= 0; --i) {
      out[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, 4, year);
  out[4] = '-';
  put(5, 2, static_cast<unsigned>(ymd.month()));
  out[7] = '-';
  put(8, 2, static_cast<unsigned>(ymd.day()));
  out[10] = 'T';
  put(11, 2, ms / 3600000);
  ms %= 3600000;
  out[13] = ':';
  put(14, 2, ms / 60000);
  ms %= 60000;
  out[16] = ':';
  put(17, 2, ms / 1000);
  out[19] = '.';
  put(20, 3, ms % 1000);
  out[23] = 'Z';
  return std::string(out, 24);
}

std::optional<DurationMs> parseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  DurationMs total = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    int64_t n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      n = n * 10 + (s[pos] - '0');
      if (n > (int64_t{1} << 40)) return std::nullopt;
      ++pos;
    }
    if (pos == start || pos == s.size()) return std::nullopt;
    DurationMs unit;
    if (s.substr(pos, 2) == "ms") {
      unit = 1;
      pos += 2;
    } else {
      switch (s[pos]) {
        case 's':
          unit = kSecondMs;
          break;
        case 'm':
          unit = kMinuteMs;
          break;
        case 'h':
          unit = kHourMs;
          break;
        case 'd':
          unit = kDayMs;
          break;
        case 'w':
          unit = kWeekMs;
          break;
        default:
          return std::nullopt;
      }
      ++pos;
    }
    total += n * unit;
  }
  return total;
}

std::string formatDuration(DurationMs d) {
  struct Unit {
    DurationMs ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {kWeekMs, "w"}, {kDayMs, "d"}, {kHourMs, "h"}, {kMinuteMs, "m"}, {kSecondMs, "s"}};
  if (d == 0) return "0s";
  for (const auto& u : kUnits) {
    if (d % u.ms == 0) return std::to_string(d / u.ms) + u.name;
  }
  return std::to_string(d) + "ms";
}

}  // namespace journeyd
