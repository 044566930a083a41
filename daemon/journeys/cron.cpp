#include "daemon/journeys/cron.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace journeyd {

namespace {

using namespace std::chrono;
using LocalMs = date::local_time<milliseconds>;

LocalMs toLocal(TimeMs t, const date::time_zone* zone) {
  date::sys_time<milliseconds> sys{milliseconds(t)};
  if (!zone) return LocalMs(sys.time_since_epoch());
  return zone->to_local(sys);
}

TimeMs toSys(LocalMs local, const date::time_zone* zone) {
  if (!zone) return local.time_since_epoch().count();
  // earliest: a skipped local time maps to the transition, a repeated one to its first occurrence.
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

LocalMs localAt(date::local_days day, int minute_of_day) {
  return LocalMs(day.time_since_epoch()) + minutes(minute_of_day);
}

const char* const kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::optional<int> parseValue(std::string_view s, const char* const* names, int name_count,
                              int name_base) {
  if (s.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  }
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < name_count; ++i) {
    if (lower == names[i]) return i + name_base;
  }
  return std::nullopt;
}

/// Parses one field into a bit per allowed value; `any` tells whether it was `*`.
bool parseField(std::string_view field, int lo, int hi, const char* const* names, int name_count,
                int name_base, std::vector<bool>& bits, bool& any) {
  bits.assign(static_cast<size_t>(hi + 1), false);
  any = field == "*" || field == "?";
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    std::string_view part = field.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      auto s = parseValue(part.substr(slash + 1), nullptr, 0, 0);
      if (!s || *s <= 0) return false;
      step = *s;
      part = part.substr(0, slash);
    }
    int from = lo, to = hi;
    if (part != "*" && part != "?") {
      auto dash = part.find('-');
      auto a = parseValue(part.substr(0, dash), names, name_count, name_base);
      if (!a) return false;
      from = *a;
      to = *a;
      if (dash != std::string_view::npos) {
        auto b = parseValue(part.substr(dash + 1), names, name_count, name_base);
        if (!b) return false;
        to = *b;
      } else if (step != 1) {
        to = hi;  // `5/15` means from 5 every 15
      }
    }
    if (from < lo || to > hi || from > to) return false;
    for (int v = from; v <= to; v += step) bits[static_cast<size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

template <size_t N>
void copyBits(const std::vector<bool>& from, std::bitset<N>& to) {
  for (size_t i = 0; i < N && i < from.size(); ++i) to[i] = from[i];
}

}  // namespace

std::optional<CronSchedule> CronSchedule::parse(std::string_view text, std::string& error) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) fields.push_back(text.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 5) {
    error = "cron needs 5 fields (minute hour day-of-month month day-of-week), got " +
            std::to_string(fields.size());
    return std::nullopt;
  }
  CronSchedule c;
  c.source_ = std::string(text);
  std::vector<bool> bits;
  bool any = false;
  static const char* const kFieldNames[] = {"minute", "hour", "day-of-month", "month",
                                            "day-of-week"};
  const int lo[] = {0, 0, 1, 1, 0};
  const int hi[] = {59, 23, 31, 12, 7};
  for (int f = 0; f < 5; ++f) {
    const char* const* names = f == 3 ? kMonthNames : f == 4 ? kDayNames : nullptr;
    int count = f == 3 ? 12 : f == 4 ? 7 : 0;
    int base = f == 3 ? 1 : 0;
    if (!parseField(fields[static_cast<size_t>(f)], lo[f], hi[f], names, count, base, bits, any)) {
      error = "bad cron " + std::string(kFieldNames[f]) + " field '" +
              std::string(fields[static_cast<size_t>(f)]) + "'";
      return std::nullopt;
    }
    switch (f) {
      case 0:
        copyBits(bits, c.minutes_);
        break;
      case 1:
        copyBits(bits, c.hours_);
        break;
      case 2:
        copyBits(bits, c.days_);
        c.days_any_ = any;
        break;
      case 3:
        copyBits(bits, c.months_);
        break;
      case 4:
        if (bits.size() > 7 && bits[7]) bits[0] = true;  // 7 is Sunday too
        copyBits(bits, c.weekdays_);
        c.weekdays_any_ = any;
        break;
    }
  }
  return c;
}

std::optional<TimeMs> CronSchedule::nextAfter(TimeMs after, const date::time_zone* zone) const {
  auto local = toLocal(after, zone);
  auto day = date::floor<date::days>(local);
  for (int d = 0; d < 366 * 5; ++d, day += date::days(1)) {
    date::year_month_day ymd{day};
    if (!months_[static_cast<unsigned>(ymd.month())]) continue;
    bool dom = days_[static_cast<unsigned>(ymd.day())];
    bool dow = weekdays_[date::weekday(day).c_encoding()];
    // Vixie cron: when both day fields are restricted, either may match.
    bool day_ok = days_any_ ? dow : weekdays_any_ ? dom : (dom || dow);
    if (!day_ok) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[static_cast<size_t>(h)]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[static_cast<size_t>(m)]) continue;
        TimeMs t = toSys(localAt(day, h * 60 + m), zone);
        if (t > after) return t;
      }
    }
  }
  return std::nullopt;
}

int localWeekday(TimeMs t, const date::time_zone* zone) {
  return static_cast<int>(date::weekday(date::floor<date::days>(toLocal(t, zone))).c_encoding());
}

TimeMs nextLocalMoment(TimeMs from, std::optional<int> minute_of_day, std::uint8_t weekday_mask,
                       const date::time_zone* zone) {
  if (weekday_mask == 0) weekday_mask = 0x7f;
  auto day = date::floor<date::days>(toLocal(from, zone));
  for (int d = 0; d < 9; ++d, day += date::days(1)) {
    unsigned wd = date::weekday(day).c_encoding();
    if (!(weekday_mask & (1u << wd))) continue;
    if (!minute_of_day) {
      if (d == 0) return from;
      return toSys(localAt(day, 0), zone);
    }
    TimeMs t = toSys(localAt(day, *minute_of_day), zone);
    if (t >= from) return t;
  }
  return from;  // unreachable with a non-empty mask
}

TimeMs atLocalTimeOfDay(TimeMs t, int minute_of_day, const date::time_zone* zone) {
  auto day = date::floor<date::days>(toLocal(t, zone));
  return toSys(localAt(day, minute_of_day), zone);
}

std::optional<TimeMs> nextDateOccurrence(TimeMs date_value, bool yearly, DurationMs offset,
                                         int minute_of_day, TimeMs after,
                                         const date::time_zone* zone) {
  auto base_day = date::floor<date::days>(date::sys_time<milliseconds>(milliseconds(date_value)));
  date::year_month_day base{base_day};
  auto offset_days = date::days(offset / kDayMs);
  auto moment = [&](date::year_month_day ymd) {
    if (!ymd.ok()) ymd = ymd.year() / ymd.month() / date::last;  // 29 Feb in a common year
    date::local_days day{date::sys_days(ymd).time_since_epoch()};
    return toSys(localAt(day + offset_days, minute_of_day), zone);
  };
  if (!yearly) {
    TimeMs t = moment(base);
    return t > after ? std::optional<TimeMs>(t) : std::nullopt;
  }
  date::year_month_day now_ymd{date::floor<date::days>(toLocal(after, zone))};
  for (int dy = -1; dy <= 2; ++dy) {
    auto y = now_ymd.year() + date::years(dy);
    TimeMs t = moment(y / base.month() / base.day());
    if (t > after) return t;
  }
  return std::nullopt;
}

namespace {

/// "weekdays", "weekends", "daily", "mon-fri", "sat,sun", "mon,wed-fri" → weekday mask.
std::optional<std::uint8_t> parseDaySet(std::string_view text) {
  if (text == "weekdays") return 0x3e;
  if (text == "weekends") return 0x41;
  if (text == "daily" || text == "any" || text == "every day") return 0x7f;
  std::uint8_t mask = 0;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    auto dash = part.find('-');
    auto first = parseValue(part.substr(0, dash), kDayNames, 7, 0);
    auto last =
        dash == std::string_view::npos ? first : parseValue(part.substr(dash + 1), kDayNames, 7, 0);
    if (!first || !last || *first > 6 || *last > 6) return std::nullopt;
    for (int d = *first;; d = (d + 1) % 7) {
      mask |= static_cast<std::uint8_t>(1u << d);
      if (d == *last) break;
    }
  }
  return mask ? std::optional<std::uint8_t>(mask) : std::nullopt;
}

}  // namespace

std::optional<SendWindow> parseSendWindow(std::string_view text, std::string& error) {
  SendWindow w;
  w.text = std::string(text);
  std::string s(text);
  // An en dash (U+2013) is what people type between times; treat it as '-'.
  for (auto pos = s.find("\u2013"); pos != std::string::npos; pos = s.find("\u2013"))
    s.replace(pos, 3, "-");
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest(s);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  auto space = rest.rfind(' ');
  std::string_view range = space == std::string_view::npos ? rest : rest.substr(space + 1);
  if (space != std::string_view::npos) {
    std::string_view days = rest.substr(0, space);
    while (!days.empty() && days.back() == ' ') days.remove_suffix(1);
    auto mask = parseDaySet(days);
    if (!mask) {
      error = "bad days '" + std::string(days) +
              "' in send window (use weekdays, weekends, daily, mon-fri or sat,sun)";
      return std::nullopt;
    }
    w.weekday_mask = *mask;
  }
  auto dash = range.find('-');
  auto start =
      dash == std::string_view::npos ? std::nullopt : parseTimeOfDay(range.substr(0, dash));
  auto end = dash == std::string_view::npos ? std::nullopt : parseTimeOfDay(range.substr(dash + 1));
  if (!start || (!end && range.substr(dash + 1) != "24:00")) {
    error = "bad send window '" + std::string(text) + "' (use e.g. \"weekdays 10:00-18:00\")";
    return std::nullopt;
  }
  w.start_minute = *start;
  w.end_minute = end.value_or(24 * 60);
  if (w.start_minute == w.end_minute) {
    error = "send window '" + std::string(text) + "' is empty (start and end are the same)";
    return std::nullopt;
  }
  return w;
}

TimeMs nextInSendWindow(TimeMs t, const SendWindow& w, const date::time_zone* zone) {
  const auto local = toLocal(t, zone);
  auto day = date::floor<date::days>(local);
  const int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
  auto allowed = [&](date::local_days d) {
    return (w.weekday_mask >> date::weekday(d).c_encoding()) & 1u;
  };
  if (w.start_minute < w.end_minute) {
    if (allowed(day) && minute >= w.start_minute && minute < w.end_minute) return t;
  } else {
    // Past midnight: 22:00-02:00 on Friday covers Friday 22:00 to Saturday 02:00.
    if (allowed(day) && minute >= w.start_minute) return t;
    if (allowed(day - date::days(1)) && minute < w.end_minute) return t;
  }
  if (!(allowed(day) && minute < w.start_minute)) day += date::days(1);
  for (int d = 0; d < 8 && !allowed(day); ++d) day += date::days(1);
  const auto start = localAt(day, w.start_minute);
  const TimeMs at = toSys(start, zone);
  // The night clocks go back, a start time happens twice: after the first, take the second.
  if (at < t && zone) return zone->to_sys(start, date::choose::latest).time_since_epoch().count();
  return at;
}

std::optional<int> parseTimeOfDay(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() - colon != 3)
    return std::nullopt;
  auto h = parseValue(text.substr(0, colon), nullptr, 0, 0);
  auto m = parseValue(text.substr(colon + 1), nullptr, 0, 0);
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return *h * 60 + *m;
}

}  // namespace journeyd
