#include "daemon/core/time_zone.h"

#include <date/tz.h>

#include <nlohmann/json.hpp>

namespace journeyd {

const date::time_zone* findTimeZone(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

const date::time_zone* customerTimeZone(const nlohmann::json& customer,
                                        const date::time_zone* business_zone) {
  if (!customer.is_object()) return business_zone;
  auto it = customer.find("timezone");
  if (it == customer.end() || !it->is_string()) return business_zone;
  const date::time_zone* own = findTimeZone(it->get_ref<const std::string&>());
  return own ? own : business_zone;
}

const std::string& timeZoneName(const date::time_zone* zone) {
  static const std::string kUtc = "UTC";
  return zone ? zone->name() : kUtc;
}

}  // namespace journeyd
