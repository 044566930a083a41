#include <algorithm>

#include "daemon/core/time_zone.h"
#include "daemon/expr/eval_context.h"

namespace journeyd {

JsonEvalContext::JsonEvalContext(nlohmann::json roots, TimeMs now, std::vector<EventRecord> events)
    : roots_(std::move(roots)), now_(now), events_(std::move(events)) {}

const nlohmann::json* JsonEvalContext::root(std::string_view name) const {
  if (!roots_.is_object()) return nullptr;
  auto it = roots_.find(name);
  return it == roots_.end() ? nullptr : &*it;
}

const date::time_zone* JsonEvalContext::timeZone() const {
  const nlohmann::json* customer = root("customer");
  return customer ? customerTimeZone(*customer, business_zone_) : business_zone_;
}

bool JsonEvalContext::inWindow(const EventRecord& e, std::string_view name,
                               std::optional<DurationMs> window) const {
  if (e.name != name || e.time > now_) return false;
  return !window || e.time > now_ - *window;
}

std::int64_t JsonEvalContext::countEvents(std::string_view name,
                                          std::optional<DurationMs> window) const {
  return std::count_if(events_.begin(), events_.end(),
                       [&](const EventRecord& e) { return inWindow(e, name, window); });
}

double JsonEvalContext::sumEvents(std::string_view name, std::string_view property,
                                  std::optional<DurationMs> window) const {
  double total = 0;
  for (const auto& e : events_) {
    if (!inWindow(e, name, window) || !e.properties.is_object()) continue;
    auto it = e.properties.find(property);
    if (it != e.properties.end() && it->is_number()) total += it->get<double>();
  }
  return total;
}

std::optional<TimeMs> JsonEvalContext::earliestEventExpiry(std::string_view name,
                                                           std::optional<DurationMs> window) const {
  if (!window) return std::nullopt;
  std::optional<TimeMs> earliest;
  for (const auto& e : events_) {
    if (!inWindow(e, name, window)) continue;
    TimeMs expiry = e.time + *window;
    if (!earliest || expiry < *earliest) earliest = expiry;
  }
  return earliest;
}

}  // namespace journeyd
