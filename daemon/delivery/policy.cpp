#include "daemon/delivery/policy.h"

#include <date/tz.h>

namespace journeyd {

bool inHoldout(std::int64_t customer_id, double percent) {
  if (percent <= 0) return false;
  // splitmix64: a well-spread stable hash of the id.
  std::uint64_t x = static_cast<std::uint64_t>(customer_id) + 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<double>(x % 10000) < percent * 100.0;
}

std::optional<TimeMs> quietHoursEnd(TimeMs now, const std::string& timezone, int start_minute, int end_minute) {
  if (start_minute < 0 || end_minute < 0 || start_minute == end_minute) return std::nullopt;
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(timezone);
  } catch (const std::exception&) {
    zone = date::locate_zone("UTC");
  }
  using namespace std::chrono;
  const auto local = zone->to_local(sys_time<milliseconds>(milliseconds(now)));
  const auto day = floor<days>(local);
  const int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
  const bool crosses_midnight = start_minute > end_minute;
  const bool quiet = crosses_midnight ? (minute >= start_minute || minute < end_minute)
                                      : (minute >= start_minute && minute < end_minute);
  if (!quiet) return std::nullopt;
  // The end of the window: today if it is still ahead, otherwise tomorrow (local calendar).
  auto end_day = day;
  if (crosses_midnight && minute >= start_minute) end_day += days(1);
  const auto end_local = end_day + minutes(end_minute);
  const auto end = zone->to_sys(end_local, date::choose::latest);
  return duration_cast<milliseconds>(end.time_since_epoch()).count();
}

}  // namespace journeyd
