// Segment messages as the HTTP API and import read them: timestamps as leniently as Segment.
#include "daemon/customers/inbound_message.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace journeyd;
using json = nlohmann::json;

TEST_CASE("Segment timestamps: the forms Segment accepts, one-digit fields included") {
  const auto at = [](const char* text) {
    return formatIsoTime(parseSegmentTimestamp(text).value_or(-1));
  };
  // Segment's own batch example writes a one-digit month.
  CHECK(at("2015-2-24T04:46:30.000Z") == "2015-02-24T04:46:30.000Z");
  CHECK(at("2015-2-4T4:6:3Z") == "2015-02-04T04:06:03.000Z");
  CHECK(at("2026-03-05 08:00:00+08:00") == "2026-03-05T00:00:00.000Z");
  CHECK(at("2026-3-5T08:00:00.5-05:00") == "2026-03-05T13:00:00.500Z");
  CHECK(at("2026-03-05") == "2026-03-05T00:00:00.000Z");
  for (const char* bad :
       {"", "yesterday", "2026-13-01T00:00:00Z", "2026-2-30", "2026-03-05T25:00:00Z", "2026-3",
        "26-03-05T00:00:00Z", "2026-03-05T08:00:00+99:00", "2026-03-05Tnoon"}) {
    CAPTURE(bad);
    CHECK_FALSE(parseSegmentTimestamp(bad).has_value());
  }
}

TEST_CASE("an unreadable timestamp costs nothing: the time received stands in, with a warning") {
  const TimeMs received = *parseIsoTime("2026-03-05T08:00:00Z");
  auto batch = parseSegmentBatch(json::parse(R"({"batch": [
        {"type": "track", "userId": "a", "event": "Opened", "timestamp": "2015-2-24T04:46:30.000Z"},
        {"type": "track", "userId": "b", "event": "Opened", "timestamp": "last tuesday"},
        {"type": "track", "userId": "c", "event": "Opened", "timestamp": 1700000000}]})"),
                                 received);
  REQUIRE(batch);
  REQUIRE(batch->size() == 3);
  CHECK(formatIsoTime((*batch)[0].timestamp) == "2015-02-24T04:46:30.000Z");
  CHECK((*batch)[0].warning.empty());
  CHECK((*batch)[1].timestamp == received);
  CHECK((*batch)[1].warning_field == "batch[1].timestamp");
  CHECK((*batch)[1].warning ==
        "timestamp \"last tuesday\" is not an ISO-8601 date-time; the time the message was "
        "received is used");
  CHECK((*batch)[2].timestamp == received);
  CHECK((*batch)[2].warning_field == "batch[2].timestamp");
  // A message that is wrong in itself still refuses the batch, naming the field.
  auto bad =
      parseSegmentBatch(json::parse(R"({"batch": [{"type": "track", "userId": "a"}]})"), received);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "batch[0].event");
}

TEST_CASE(
    "phone numbers become E.164, with the default region for numbers without a country code") {
  // Without a region the country of "415-555-0100" is unknown: its digits are the identity.
  setDefaultPhoneRegion("");
  CHECK(normalizePhone("415-555-0100") == "4155550100");
  CHECK(normalizePhone("+1 (415) 555-0100") == "+14155550100");
  CHECK(normalizePhone("+86 138 0013 8000") == "+8613800138000");
  CHECK(normalizePhone("call me") == "");
  CHECK(normalizePhone("12") == "");

  setDefaultPhoneRegion("US");
  for (const char* written :
       {"415-555-0100", "(415) 555.0100", "+1 415 555 0100", "1-415-555-0100", "+14155550100"}) {
    CAPTURE(written);
    CHECK(normalizePhone(written) == "+14155550100");
  }
  CHECK(normalizePhone("+86 138 0013 8000") ==
        "+8613800138000");  // a country code wins over the region

  setDefaultPhoneRegion("CN");
  CHECK(normalizePhone("138 0013 8000") == "+8613800138000");
  setDefaultPhoneRegion("");
}
