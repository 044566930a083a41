#pragma once
/// The EvalContext journey conditions run against: the caller's read-only customer view (the
/// `customer` root and event counts) with the enrollment's `event`, `data` and `journey` roots
/// laid over it and `now` pinned to the input's time.
#include <nlohmann/json.hpp>

#include "daemon/expr/eval_context.h"

namespace journeyd {

/// Borrows everything it is given; lives for one evaluation burst on one thread.
class JourneyEvalContext final : public EvalContext {
 public:
  JourneyEvalContext(const EvalContext& customer, TimeMs now, const nlohmann::json* event,
                     const nlohmann::json* data, const nlohmann::json* journey)
      : base_(customer), now_(now), event_(event), data_(data), journey_(journey) {}

  [[nodiscard]] const nlohmann::json* root(std::string_view name) const override {
    if (name == "event") return event_;
    if (name == "data") return data_;
    if (name == "journey") return journey_;
    return base_.root(name);
  }
  [[nodiscard]] TimeMs now() const override { return now_; }
  [[nodiscard]] const date::time_zone* timeZone() const override { return base_.timeZone(); }
  // Event aggregates come from the caller's view, whose now() must equal the input's time.
  [[nodiscard]] std::int64_t countEvents(std::string_view name,
                                         std::optional<DurationMs> window) const override {
    return base_.countEvents(name, window);
  }
  [[nodiscard]] double sumEvents(std::string_view name, std::string_view property,
                                 std::optional<DurationMs> window) const override {
    return base_.sumEvents(name, property, window);
  }
  [[nodiscard]] std::optional<TimeMs> earliestEventExpiry(
      std::string_view name, std::optional<DurationMs> window) const override {
    return base_.earliestEventExpiry(name, window);
  }

 private:
  const EvalContext& base_;
  TimeMs now_;
  const nlohmann::json* event_;
  const nlohmann::json* data_;
  const nlohmann::json* journey_;
};

}  // namespace journeyd
