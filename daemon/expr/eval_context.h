#pragma once
/// What an expression may read while it is evaluated: the data roots, the current time and
/// aggregates over the customer's recent events. The caller supplies it; the expression
/// module itself reads no clock and does no I/O.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/time.h"

namespace journeyd {

/// The read-only view an expression is evaluated against. Implementations must be cheap to
/// query (called on the hot path); one instance is used from one thread at a time.
class EvalContext {
 public:
  virtual ~EvalContext() = default;

  /// The JSON value bound to a root name (`customer`, `event`, ...); nullptr when absent.
  [[nodiscard]] virtual const nlohmann::json* root(std::string_view name) const = 0;
  /// The instant the evaluation happens at.
  [[nodiscard]] virtual TimeMs now() const = 0;
  /// The zone a calendar date (`2026-03-20`, no time) is a day of: the customer's, else the
  /// business's; nullptr is UTC. Instants with a time do not depend on it.
  [[nodiscard]] virtual const date::time_zone* timeZone() const { return nullptr; }
  /// Events named `name` with now() - window < time <= now(); all past events when window is
  /// nullopt.
  [[nodiscard]] virtual std::int64_t countEvents(std::string_view name,
                                                 std::optional<DurationMs> window) const = 0;
  /// The sum of the numeric `property` of those events (non-numeric values count as 0).
  [[nodiscard]] virtual double sumEvents(std::string_view name, std::string_view property,
                                         std::optional<DurationMs> window) const = 0;
  /// When the oldest of those events leaves the window (its time + window); nullopt when there
  /// is none or the window is unbounded.
  [[nodiscard]] virtual std::optional<TimeMs> earliestEventExpiry(
      std::string_view name, std::optional<DurationMs> window) const = 0;
};

/// One event of a customer's history, as JsonEvalContext holds it.
struct EventRecord {
  std::string name;
  TimeMs time = 0;
  nlohmann::json properties = nlohmann::json::object();
};

/// An EvalContext over plain JSON and a vector of events: for tests, `simulate` and simple
/// callers. Roots are the members of one JSON object. Events are scanned linearly.
class JsonEvalContext final : public EvalContext {
 public:
  JsonEvalContext(nlohmann::json roots, TimeMs now, std::vector<EventRecord> events = {});

  [[nodiscard]] const nlohmann::json* root(std::string_view name) const override;
  [[nodiscard]] TimeMs now() const override { return now_; }
  /// customerTimeZone(the `customer` root, the business zone).
  [[nodiscard]] const date::time_zone* timeZone() const override;
  [[nodiscard]] std::int64_t countEvents(std::string_view name,
                                         std::optional<DurationMs> window) const override;
  [[nodiscard]] double sumEvents(std::string_view name, std::string_view property,
                                 std::optional<DurationMs> window) const override;
  [[nodiscard]] std::optional<TimeMs> earliestEventExpiry(
      std::string_view name, std::optional<DurationMs> window) const override;

  void setNow(TimeMs now) { now_ = now; }
  /// The zone of a customer without one of their own (policy.timezone); default UTC.
  void setBusinessZone(const date::time_zone* zone) { business_zone_ = zone; }
  [[nodiscard]] nlohmann::json& data() { return roots_; }

 private:
  [[nodiscard]] bool inWindow(const EventRecord& e, std::string_view name,
                              std::optional<DurationMs> window) const;

  nlohmann::json roots_;
  TimeMs now_;
  const date::time_zone* business_zone_ = nullptr;
  std::vector<EventRecord> events_;
};

}  // namespace journeyd
