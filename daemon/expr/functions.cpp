// The function registry: each built-in function's signature (checked at compile time) and its
// implementation. Registered in one table, explicitly, with no static-initialiser magic.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "daemon/expr/node.h"

namespace journeyd {

namespace {

Value arg(const Node& call, size_t i, const EvalContext& ctx) {
  return i < call.children.size() ? evaluateNode(*call.children[i], ctx) : Value();
}

Value elapsed(const Node& call, const EvalContext& ctx, DurationMs unit, bool until) {
  auto t = timeOf(arg(call, 0, ctx), ctx);
  if (!t) return Value();
  // Whole units, as a marketer counts them: 59.9 days since is 59, 6.1 days until is 7, so
  // days_until(t) == -days_since(t) and both reach 0 exactly at t.
  double since = static_cast<double>(ctx.now() - *t) / static_cast<double>(unit);
  return Value::number(until ? -std::floor(since) : std::floor(since));
}

Value daysSince(const Node& c, const EvalContext& ctx) { return elapsed(c, ctx, kDayMs, false); }
Value hoursSince(const Node& c, const EvalContext& ctx) { return elapsed(c, ctx, kHourMs, false); }
Value minutesSince(const Node& c, const EvalContext& ctx) {
  return elapsed(c, ctx, kMinuteMs, false);
}
Value daysUntil(const Node& c, const EvalContext& ctx) { return elapsed(c, ctx, kDayMs, true); }
Value nowFn(const Node&, const EvalContext& ctx) {
  return Value::number(static_cast<double>(ctx.now()));
}

std::optional<DurationMs> windowArg(const Node& call, const EvalContext& ctx) {
  Value w = namedArg(call, 0, ctx);
  if (!w.isNumeric()) return std::nullopt;
  return static_cast<DurationMs>(w.asNumber());
}

Value count(const Node& call, const EvalContext& ctx) {
  Value name = arg(call, 0, ctx);
  if (name.kind() != Value::Kind::kString) return Value();
  return Value::number(static_cast<double>(ctx.countEvents(name.asString(), windowArg(call, ctx))));
}

Value sum(const Node& call, const EvalContext& ctx) {
  Value name = arg(call, 0, ctx);
  Value property = arg(call, 1, ctx);
  if (name.kind() != Value::Kind::kString || property.kind() != Value::Kind::kString)
    return Value();
  return Value::number(ctx.sumEvents(name.asString(), property.asString(), windowArg(call, ctx)));
}

Value changeCase(const Node& call, const EvalContext& ctx, bool upper) {
  Value s = arg(call, 0, ctx);
  if (s.kind() != Value::Kind::kString) return Value();
  std::string out(s.asString());
  // ASCII only: other scripts (e.g. Chinese) have no case, and locale-aware mapping is not pure.
  for (char& c : out) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
  }
  return Value::ownedString(std::move(out));
}
Value lower(const Node& c, const EvalContext& ctx) { return changeCase(c, ctx, false); }
Value upper(const Node& c, const EvalContext& ctx) { return changeCase(c, ctx, true); }

Value len(const Node& call, const EvalContext& ctx) {
  Value v = arg(call, 0, ctx);
  switch (v.kind()) {
    case Value::Kind::kNull:
      return Value::number(0);
    case Value::Kind::kString: {
      // Characters, not bytes: count every byte that does not continue a UTF-8 sequence.
      auto s = v.asString();
      return Value::number(static_cast<double>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      })));
    }
    case Value::Kind::kList:
      return Value::number(static_cast<double>(v.listSize()));
    case Value::Kind::kJson:
      return Value::number(static_cast<double>(v.asJson().size()));
    default:
      return Value();
  }
}

Value coalesce(const Node& call, const EvalContext& ctx) {
  for (const auto& child : call.children) {
    Value v = evaluateNode(*child, ctx);
    if (!v.isNull()) return v;
  }
  return Value();
}

Value roundFn(const Node& call, const EvalContext& ctx) {
  Value x = arg(call, 0, ctx);
  if (x.kind() != Value::Kind::kNumber) return Value();
  double digits = 0;
  if (call.children.size() > 1) {
    Value d = arg(call, 1, ctx);
    if (d.kind() != Value::Kind::kNumber) return Value();
    digits = std::clamp(std::round(d.asNumber()), -15.0, 15.0);
  }
  double scale = std::pow(10.0, digits);
  return Value::number(std::round(x.asNumber() * scale) / scale);
}

Value pick(const Node& call, const EvalContext& ctx, bool want_max) {
  Value a = arg(call, 0, ctx);
  Value b = arg(call, 1, ctx);
  if (!a.isNumeric() || !b.isNumeric()) return Value();
  return (a.asNumber() < b.asNumber()) == want_max ? b : a;
}
Value minFn(const Node& c, const EvalContext& ctx) { return pick(c, ctx, false); }
Value maxFn(const Node& c, const EvalContext& ctx) { return pick(c, ctx, true); }

Value absFn(const Node& call, const EvalContext& ctx) {
  Value x = arg(call, 0, ctx);
  if (x.kind() == Value::Kind::kNumber) return Value::number(std::fabs(x.asNumber()));
  if (x.kind() == Value::Kind::kDuration) {
    return Value::duration(static_cast<DurationMs>(std::fabs(x.asNumber())));
  }
  return Value();
}

Value containsAny(const Node& call, const EvalContext& ctx) {
  Value a = arg(call, 0, ctx);
  Value b = arg(call, 1, ctx);
  if (!a.isListLike() || !b.isListLike()) return Value::boolean(false);
  for (size_t i = 0; i < a.listSize(); ++i) {
    Value x = a.listItem(i);
    for (size_t j = 0; j < b.listSize(); ++j) {
      if (valuesEqual(x, b.listItem(j))) return Value::boolean(true);
    }
  }
  return Value::boolean(false);
}

using A = ArgType;
using S = StaticType;
using T = TimeBehaviour;

const std::vector<FunctionSpec>& registry() {
  static const std::vector<FunctionSpec> kFunctions = {
      {"days_since",
       "days_since(time)",
       1,
       1,
       {A::kTime},
       {},
       {},
       S::kNumber,
       T::kClock,
       daysSince},
      {"hours_since",
       "hours_since(time)",
       1,
       1,
       {A::kTime},
       {},
       {},
       S::kNumber,
       T::kClock,
       hoursSince},
      {"minutes_since",
       "minutes_since(time)",
       1,
       1,
       {A::kTime},
       {},
       {},
       S::kNumber,
       T::kClock,
       minutesSince},
      {"days_until",
       "days_until(time)",
       1,
       1,
       {A::kTime},
       {},
       {},
       S::kNumber,
       T::kClock,
       daysUntil},
      {"now", "now()", 0, 0, {}, {}, {}, S::kNumber, T::kClock, nowFn},
      {"count",
       "count(\"Event Name\", within: 30d)",
       1,
       1,
       {A::kString},
       {"within"},
       {A::kDuration},
       S::kNumber,
       T::kEventWindow,
       count},
      {"sum",
       "sum(\"Event Name\", \"property\", within: 30d)",
       2,
       2,
       {A::kString, A::kString},
       {"within"},
       {A::kDuration},
       S::kNumber,
       T::kEventWindow,
       sum},
      {"lower", "lower(text)", 1, 1, {A::kString}, {}, {}, S::kUnknown, T::kNone, lower},
      {"upper", "upper(text)", 1, 1, {A::kString}, {}, {}, S::kUnknown, T::kNone, upper},
      {"len", "len(text or list)", 1, 1, {A::kAny}, {}, {}, S::kUnknown, T::kNone, len},
      {"coalesce",
       "coalesce(a, b, ...)",
       1,
       -1,
       {A::kAny},
       {},
       {},
       S::kUnknown,
       T::kNone,
       coalesce},
      {"round",
       "round(number, digits)",
       1,
       2,
       {A::kNumber, A::kNumber},
       {},
       {},
       S::kUnknown,
       T::kNone,
       roundFn},
      {"min", "min(a, b)", 2, 2, {A::kNumeric}, {}, {}, S::kUnknown, T::kNone, minFn},
      {"max", "max(a, b)", 2, 2, {A::kNumeric}, {}, {}, S::kUnknown, T::kNone, maxFn},
      {"abs", "abs(number)", 1, 1, {A::kNumeric}, {}, {}, S::kUnknown, T::kNone, absFn},
      {"contains_any",
       "contains_any(list, list)",
       2,
       2,
       {A::kList},
       {},
       {},
       S::kBool,
       T::kNone,
       containsAny},
  };
  return kFunctions;
}

}  // namespace

const FunctionSpec* findFunction(std::string_view name) {
  for (const auto& f : registry()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> functionNames() {
  std::vector<std::string> names;
  for (const auto& f : registry()) names.emplace_back(f.name);
  return names;
}

}  // namespace journeyd
