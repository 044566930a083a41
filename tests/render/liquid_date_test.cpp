#include <doctest/doctest.h>

#include "tests/render/render_test_util.h"

using namespace journeyd;
using journeyd::test::renderLiquid;
using nlohmann::json;

namespace {
std::string inZone(std::string_view source, const std::string& zone, TimeMs now = 0) {
  RenderOptions o;
  o.timezone = zone;
  o.now = now;
  return renderLiquid(
      source, json{{"t", "2024-03-10T12:00:00Z"}, {"before_dst", "2024-03-09T12:00:00Z"}}, o);
}
}  // namespace

TEST_CASE("date shows an instant in the customer's time zone, DST included") {
  const char* fmt = "{{ t | date: '%Y-%m-%d %H:%M %Z %z' }}";
  CHECK(inZone(fmt, "Asia/Shanghai") == "2024-03-10 20:00 CST +0800");
  CHECK(inZone(fmt, "America/New_York") ==
        "2024-03-10 08:00 EDT -0400");  // DST began at 2:00 that day
  CHECK(inZone("{{ before_dst | date: '%H:%M %Z' }}", "America/New_York") == "07:00 EST");
  CHECK(inZone(fmt, "UTC") == "2024-03-10 12:00 UTC +0000");
  // A second argument names the zone explicitly.
  CHECK(inZone("{{ t | date: '%H:%M', 'Europe/London' }}", "Asia/Shanghai") == "12:00");
}

TEST_CASE("date understands strftime directives and flags") {
  const std::string zone = "UTC";
  CHECK(inZone("{{ t | date: '%a %A %b %B %-d %e %j %-m %y' }}", zone) ==
        "Sun Sunday Mar March 10 10 070 3 24");
  CHECK(inZone("{{ t | date: '%I:%M %p %P %l' }}", zone) == "12:00 PM pm 12");
  CHECK(inZone("{{ t | date: '%F %T %D %R %s %u %w %%' }}", zone) ==
        "2024-03-10 12:00:00 03/10/24 12:00 1710072000 7 0 %");
  CHECK(inZone("{{ t | date: '%^a %^B' }}", zone) == "SUN MARCH");
  CHECK(inZone("{{ t | date: '%Y年%-m月%-d日' }}", "Asia/Shanghai") == "2024年3月10日");
}

TEST_CASE(
    "date accepts epoch seconds, now/today from the options, and passes other input through") {
  CHECK(inZone("{{ 0 | date: '%Y-%m-%d %H:%M' }}", "UTC") == "1970-01-01 00:00");
  CHECK(inZone("{{ '86400' | date: '%Y-%m-%d' }}", "UTC") == "1970-01-02");
  CHECK(inZone("{{ 'now' | date: '%Y-%m-%d %H:%M' }}", "Asia/Shanghai", 1704164645000) ==
        "2024-01-02 11:04");
  CHECK(inZone("{{ 'today' | date: '%Y' }}", "UTC", 1704164645000) == "2024");
  CHECK(inZone("{{ 'someday' | date: '%Y' }}", "UTC") == "someday");
  CHECK(inZone("{{ missing | date: '%Y' }}", "UTC").empty());
  CHECK(inZone("{{ '2024-01-02 03:04:05' | date: '%H' }}", "UTC") == "03");
}

TEST_CASE("an unknown time zone is a render error") {
  CHECK(inZone("{{ t | date: '%Y' }}", "Mars/Olympus") ==
        "RENDER: t.liquid:1:8: error: date: unknown time zone 'Mars/Olympus'");
}

TEST_CASE(
    "date: the strftime of Ruby's Time that Shopify uses: RFC 822, offsets with colons, ISO "
    "weeks") {
  // RFC 822 / 2822 as mail headers and feeds write it, and Unix seconds.
  CHECK(inZone("{{ t | date: '%a, %d %b %Y %H:%M:%S %z' }}", "Asia/Shanghai") ==
        "Sun, 10 Mar 2024 20:00:00 +0800");
  CHECK(inZone("{{ t | date: '%s' }}", "Asia/Shanghai") == "1710072000");
  CHECK(inZone("{{ t | date: '%z %:z %::z' }}", "America/New_York") == "-0400 -04:00 -04:00:00");
  CHECK(inZone("{{ t | date: '%Y-%m-%dT%H:%M:%S%:z' }}", "Asia/Kolkata") ==
        "2024-03-10T17:30:00+05:30");
  CHECK(inZone("{{ t | date: '%v' }}", "UTC") == "10-MAR-2024");
  CHECK(inZone("{{ t | date: '%+' }}", "Asia/Shanghai") == "Sun Mar 10 20:00:00 CST 2024");
  // ISO 8601 week dates, across year ends.
  CHECK(inZone("{{ t | date: '%G-W%V-%u' }}", "UTC") == "2024-W10-7");
  CHECK(inZone("{{ '2021-01-01T12:00:00Z' | date: '%G-W%V-%u %g' }}", "UTC") == "2020-W53-5 20");
  CHECK(inZone("{{ '2024-12-30T12:00:00Z' | date: '%G-W%V-%u' }}", "UTC") == "2025-W01-1");
  CHECK(inZone("{{ '2026-01-04T12:00:00Z' | date: '%G-W%V' }}", "UTC") == "2026-W01");
}

TEST_CASE("a date without a time shows as that day in any zone") {
  auto show = [](const std::string& zone, std::string_view source = "{{ d | date: '%B %-d' }}") {
    RenderOptions o;
    o.timezone = zone;
    return renderLiquid(source, json{{"d", "2026-03-20"}, {"t", "2026-03-20T02:00:00Z"}}, o);
  };
  CHECK(show("America/New_York") == "March 20");
  CHECK(show("Pacific/Honolulu") == "March 20");
  CHECK(show("Asia/Shanghai") == "March 20");
  CHECK(show("UTC") == "March 20");
  CHECK(show("Asia/Shanghai", "{{ d | date: '%A %H:%M', 'America/New_York' }}") == "Friday 00:00");
  // An instant is still shown where the customer is.
  CHECK(show("America/New_York", "{{ t | date: '%B %-d %H:%M' }}") == "March 19 22:00");
}
