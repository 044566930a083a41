// The date filter: strftime formatting of an instant in the customer's time zone (a calendar date
// shows as itself).
#include <date/date.h>
#include <date/tz.h>

#include <cctype>
#include <chrono>

#include "daemon/render/liquid_filters.h"

namespace journeyd {
namespace {

constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

/// Broken-down local time, everything strftime needs.
struct LocalTime {
  int year, month, day, hour, minute, second, millis, wday, yday;
  std::int64_t epoch_seconds;
  std::string abbrev;
  int offset_minutes;
};

bool isDigits(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

/// The instant an input denotes: "now"/"today", epoch seconds (number or digit string), ISO-8601.
std::optional<TimeMs> toInstant(const Json& v, TimeMs now) {
  if (v.is_number()) return static_cast<TimeMs>(v.get<double>() * 1000.0);
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s == "now" || s == "today" || s == "Now" || s == "Today") return now;
  if (isDigits(s)) return toInteger(v).value_or(0) * 1000;
  return parseIsoTime(s);
}

void pad(std::string& out, long value, int width, char flag, char fill) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  if (value < 0) out += '-';
  if (flag != '-') {
    const char f = flag == '_' ? ' ' : (flag == '0' ? '0' : fill);
    for (int i = static_cast<int>(digits.size()); i < width; ++i) out += f;
  }
  out += digits;
}

void appendCased(std::string& out, std::string_view s, char flag) {
  for (char c : s)
    out += flag == '^' ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
}

void formatTime(std::string& out, std::string_view fmt, const LocalTime& t) {
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    char flag = 0;
    char c = fmt[++i];
    if ((c == '-' || c == '_' || c == '0' || c == '^') && i + 1 < fmt.size()) {
      flag = c;
      c = fmt[++i];
    }
    int colons = 0;  // %:z → +08:00, %::z → +08:00:00 (Ruby)
    while (c == ':' && i + 1 < fmt.size() && colons < 2) {
      ++colons;
      c = fmt[++i];
    }
    const int hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
    switch (c) {
      case 'Y':
        pad(out, t.year, 1, flag, '0');
        break;
      case 'C':
        pad(out, t.year / 100, 2, flag, '0');
        break;
      case 'y':
        pad(out, t.year % 100, 2, flag, '0');
        break;
      case 'm':
        pad(out, t.month, 2, flag, '0');
        break;
      case 'd':
        pad(out, t.day, 2, flag, '0');
        break;
      case 'e':
        pad(out, t.day, 2, flag, ' ');
        break;
      case 'j':
        pad(out, t.yday + 1, 3, flag, '0');
        break;
      case 'H':
        pad(out, t.hour, 2, flag, '0');
        break;
      case 'k':
        pad(out, t.hour, 2, flag, ' ');
        break;
      case 'I':
        pad(out, hour12, 2, flag, '0');
        break;
      case 'l':
        pad(out, hour12, 2, flag, ' ');
        break;
      case 'M':
        pad(out, t.minute, 2, flag, '0');
        break;
      case 'S':
        pad(out, t.second, 2, flag, '0');
        break;
      case 'L':
        pad(out, t.millis, 3, flag, '0');
        break;
      case 'N':
        pad(out, t.millis, 3, flag, '0');
        out += "000000";
        break;
      case 's':
        out += std::to_string(t.epoch_seconds);
        break;
      case 'u':
        out += std::to_string(t.wday == 0 ? 7 : t.wday);
        break;
      case 'w':
        out += std::to_string(t.wday);
        break;
      case 'U':
        pad(out, (t.yday + 7 - t.wday) / 7, 2, flag, '0');
        break;
      case 'W':
        pad(out, (t.yday + 7 - (t.wday + 6) % 7) / 7, 2, flag, '0');
        break;
      case 'a':
        appendCased(out, std::string_view(kDays[t.wday]).substr(0, 3), flag);
        break;
      case 'A':
        appendCased(out, kDays[t.wday], flag);
        break;
      case 'b':
      case 'h':
        appendCased(out, std::string_view(kMonths[t.month - 1]).substr(0, 3), flag);
        break;
      case 'B':
        appendCased(out, kMonths[t.month - 1], flag);
        break;
      case 'p':
        appendCased(out, t.hour < 12 ? "AM" : "PM", flag);
        break;
      case 'P':
        out += t.hour < 12 ? "am" : "pm";
        break;
      case 'Z':
        out += t.abbrev;
        break;
      case 'z': {
        const int m = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
        out += t.offset_minutes < 0 ? '-' : '+';
        pad(out, m / 60, 2, 0, '0');
        if (colons > 0) out += ':';
        pad(out, m % 60, 2, 0, '0');
        if (colons > 1) out += ":00";
        break;
      }
      case 'G':
      case 'g':
      case 'V': {
        // ISO 8601 week date: weeks start on Monday; week 1 holds the year's first Thursday.
        auto leap = [](int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
        const int monday0 = (t.wday + 6) % 7;
        int year = t.year;
        int thursday = t.yday - monday0 + 3;  // day of the year of this week's Thursday
        if (thursday < 0) {
          --year;
          thursday += leap(year) ? 366 : 365;
        } else if (thursday >= (leap(year) ? 366 : 365)) {
          thursday -= leap(year) ? 366 : 365;
          ++year;
        }
        if (c == 'G') pad(out, year, 1, flag, '0');
        if (c == 'g') pad(out, year % 100, 2, flag, '0');
        if (c == 'V') pad(out, thursday / 7 + 1, 2, flag, '0');
        break;
      }
      case 'v':
        formatTime(out, "%e-%^b-%Y", t);
        break;
      case '+':
        formatTime(out, "%a %b %e %H:%M:%S %Z %Y", t);
        break;
      case 'F':
        formatTime(out, "%Y-%m-%d", t);
        break;
      case 'T':
      case 'X':
        formatTime(out, "%H:%M:%S", t);
        break;
      case 'D':
      case 'x':
        formatTime(out, "%m/%d/%y", t);
        break;
      case 'R':
        formatTime(out, "%H:%M", t);
        break;
      case 'r':
        formatTime(out, "%I:%M:%S %p", t);
        break;
      case 'c':
        formatTime(out, "%a %b %e %H:%M:%S %Y", t);
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        if (flag != 0) out += flag;
        out += c;
    }
  }
}

bool fDate(FilterContext& ctx) {
  const Json& v = ctx.value.get();
  if (v.is_null()) return true;
  const std::string fmt = ctx.arg(0) != nullptr ? toText(*ctx.arg(0)) : "";
  if (fmt.empty()) return true;
  auto instant = toInstant(v, ctx.options.now);
  if (!instant) return true;  // like Shopify: input that is no date passes through unchanged
  const std::string zone_name = ctx.arg(1) != nullptr ? toText(*ctx.arg(1)) : ctx.options.timezone;
  const date::time_zone* zone = nullptr;
  if (ctx.cache.zone != nullptr && ctx.cache.zone_name == zone_name) {
    zone = static_cast<const date::time_zone*>(ctx.cache.zone);
  } else {
    try {
      zone = date::locate_zone(zone_name.empty() ? "UTC" : zone_name);
    } catch (const std::exception&) {
      return ctx.fail("unknown time zone '" + zone_name + "'");
    }
    ctx.cache.zone = zone;
    ctx.cache.zone_name = zone_name;
  }
  // A calendar date ("2026-03-20") is that day where it is shown, not an instant at UTC midnight.
  if (v.is_string() && isCalendarDate(v.get_ref<const std::string&>())) {
    instant = parseIsoTimeIn(v.get_ref<const std::string&>(), zone);
  }
  using std::chrono::milliseconds;
  const date::sys_time<milliseconds> sys{milliseconds{*instant}};
  LocalTime t{};
  try {
    const date::sys_info info = zone->get_info(sys);
    const auto local = date::local_time<milliseconds>{sys.time_since_epoch() + info.offset};
    const auto day = date::floor<date::days>(local);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<milliseconds> hms{local - day};
    t.year = static_cast<int>(ymd.year());
    t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    t.hour = static_cast<int>(hms.hours().count());
    t.minute = static_cast<int>(hms.minutes().count());
    t.second = static_cast<int>(hms.seconds().count());
    t.millis = static_cast<int>(hms.subseconds().count());
    t.wday = static_cast<int>(date::weekday{day}.c_encoding());
    t.yday = static_cast<int>((day - date::local_days{ymd.year() / 1 / 1}).count());
    t.epoch_seconds = date::floor<std::chrono::seconds>(sys).time_since_epoch().count();
    t.abbrev = info.abbrev;
    t.offset_minutes =
        static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(info.offset).count());
  } catch (const std::exception& e) {
    return ctx.fail(e.what());
  }
  std::string out;
  formatTime(out, fmt, t);
  return setResult(ctx, std::move(out)), true;
}

}  // namespace

void addDateFilters(std::vector<FilterDef>& out) { out.push_back({"date", fDate, 0, 2}); }

}  // namespace journeyd
