#pragma once
/// IANA time zones by name, and the one rule for which zone a customer lives in. Callers get a
/// `const date::time_zone*` (nullptr = UTC) and include <date/tz.h> only where they use it.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace journeyd {

/// The zone with this IANA name; nullptr for UTC and when unknown (the caller falls back to UTC).
[[nodiscard]] const date::time_zone* findTimeZone(std::string_view name);

/// The zone a customer's calendar dates and local times are in (waits, conditions, templates,
/// date triggers, quiet hours): their `timezone` when it names a known IANA zone, else
/// `business_zone` (the config's policy.timezone). "UTC" counts as none, as the customer JSON
/// writes it for a customer without a zone. nullptr is UTC.
[[nodiscard]] const date::time_zone* customerTimeZone(const nlohmann::json& customer,
                                                      const date::time_zone* business_zone);

/// The IANA name of a zone; "UTC" for nullptr.
[[nodiscard]] const std::string& timeZoneName(const date::time_zone* zone);

}  // namespace journeyd
