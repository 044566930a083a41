// When could a condition change with no new data? Only through time: clock functions (now,
// days_since, ...) move, and events leave their count()/sum() windows. The answer lets the
// daemon schedule one re-evaluation instead of rescanning every customer nightly.
//
// It is a lower bound: never later than the real change, sometimes earlier (the caller then
// re-evaluates and asks again).
#include <algorithm>
#include <cmath>
#include <functional>

#include "daemon/expr/node.h"

namespace journeyd {

namespace {

// Far enough for any marketing rule (birthdays, anniversaries), near enough to stay exact in ms.
constexpr DurationMs kHorizonMs = 200LL * 366 * kDayMs;
// A rule mixing now() into arithmetic we cannot solve is re-checked at this granularity.
constexpr DurationMs kContinuousStepMs = kMinuteMs;

struct TimeShape {
  bool depends = false;   ///< the value can change as time passes
  bool monotone = false;  ///< ... and it is a monotone function of now() alone
};

TimeShape shapeOf(const Node& node);

bool dependsOnTime(const Node& node) { return shapeOf(node).depends; }

TimeShape shapeOf(const Node& node) {
  switch (node.kind) {
    case NodeKind::kLiteral:
    case NodeKind::kPath:
      return {};
    case NodeKind::kCall: {
      bool args_depend = std::any_of(node.children.begin(), node.children.end(),
                                     [](const auto& c) { return dependsOnTime(*c); });
      if (node.function->time == TimeBehaviour::kClock) return {true, !args_depend};
      if (node.function->time == TimeBehaviour::kEventWindow) return {true, false};
      auto name = node.function->name;
      if (!node.children.empty() && (name == "round" || name == "min" || name == "max")) {
        // Monotone in their first argument when the others are fixed (min/max either way round).
        for (size_t i = 0; i < node.children.size(); ++i) {
          TimeShape s = shapeOf(*node.children[i]);
          bool others_fixed = true;
          for (size_t j = 0; j < node.children.size(); ++j) {
            if (j != i && dependsOnTime(*node.children[j])) others_fixed = false;
          }
          if (s.monotone && others_fixed && (i == 0 || name != "round")) return {true, true};
        }
      }
      return {args_depend, false};
    }
    case NodeKind::kUnary:
      if (node.op == Op::kNeg) return shapeOf(*node.children[0]);
      return {dependsOnTime(*node.children[0]), false};
    case NodeKind::kBinary: {
      TimeShape a = shapeOf(*node.children[0]);
      TimeShape b = shapeOf(*node.children[1]);
      bool linear = node.op == Op::kAdd || node.op == Op::kSub || node.op == Op::kMul;
      if ((linear || node.op == Op::kDiv) && a.monotone && !b.depends) return {true, true};
      if (linear && b.monotone && !a.depends) return {true, true};
      return {a.depends || b.depends, false};
    }
    default: {
      bool depends = std::any_of(node.children.begin(), node.children.end(),
                                 [](const auto& c) { return dependsOnTime(*c); });
      return {depends, false};
    }
  }
}

std::optional<TimeMs> earliest(std::optional<TimeMs> a, std::optional<TimeMs> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// The next instant after now at which a clock function's value steps.
std::optional<TimeMs> clockStep(const Node& call, const EvalContext& ctx) {
  auto name = call.function->name;
  TimeMs now = ctx.now();
  if (name == "now") return now + kContinuousStepMs;
  auto t = call.children.empty() ? std::nullopt : timeOf(evaluateNode(*call.children[0], ctx), ctx);
  if (!t) return std::nullopt;
  DurationMs unit =
      name == "hours_since" ? kHourMs : (name == "minutes_since" ? kMinuteMs : kDayMs);
  // days_until(t) is -days_since(t), so both step at the same instants.
  auto floorDiv = [](TimeMs a, DurationMs b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  };
  return *t + (floorDiv(now - *t, unit) + 1) * unit;
}

std::optional<TimeMs> windowExpiry(const Node& call, const EvalContext& ctx) {
  Value name = call.children.empty() ? Value() : evaluateNode(*call.children[0], ctx);
  Value window = namedArg(call, 0, ctx);
  if (name.kind() != Value::Kind::kString || !window.isNumeric()) return std::nullopt;
  return ctx.earliestEventExpiry(name.asString(), static_cast<DurationMs>(window.asNumber()));
}

// Any instant at which some time-dependent leaf below `node` changes: safe for any shape.
std::optional<TimeMs> anyLeafChange(const Node& node, const EvalContext& ctx) {
  std::optional<TimeMs> best;
  if (node.kind == NodeKind::kCall && node.function->time == TimeBehaviour::kClock) {
    best = clockStep(node, ctx);
  } else if (node.kind == NodeKind::kCall && node.function->time == TimeBehaviour::kEventWindow) {
    best = windowExpiry(node, ctx);
  }
  for (const auto& c : node.children) best = earliest(best, anyLeafChange(*c, ctx));
  for (const auto& c : node.named) {
    if (c) best = earliest(best, anyLeafChange(*c, ctx));
  }
  return best;
}

bool truthAt(const Node& node, const EvalContext& ctx, TimeMs at) {
  ShiftedNowContext shifted(ctx, at);
  return evaluateNode(node, shifted).truthy();
}

// `clock_side op fixed_side` where clock_side is monotone in now(): the first instant the
// comparison flips, found by bisection (exact to the millisecond, ~43 evaluations).
std::optional<TimeMs> solveMonotone(const Node& cmp, size_t clock_side, const EvalContext& ctx) {
  TimeMs now = ctx.now();
  TimeMs lo = now;
  TimeMs hi = now + kHorizonMs;
  std::function<bool(TimeMs)> changed;
  if (cmp.op == Op::kEq || cmp.op == Op::kNe) {
    // Not monotone as a truth value: report when the clock side's value next moves.
    const Node& side = *cmp.children[clock_side];
    changed = [&side, &ctx, start = evaluateNode(side, ctx)](TimeMs at) {
      ShiftedNowContext shifted(ctx, at);
      return !valuesEqual(evaluateNode(side, shifted), start);
    };
  } else {
    changed = [&cmp, &ctx, start = truthAt(cmp, ctx, now)](TimeMs at) {
      return truthAt(cmp, ctx, at) != start;
    };
  }
  if (!changed(hi)) return std::nullopt;
  while (hi - lo > 1) {
    TimeMs mid = lo + (hi - lo) / 2;
    (changed(mid) ? hi : lo) = mid;
  }
  return hi;
}

// `count(...) op fixed`: counts only fall as events expire, so a threshold can only flip one way.
std::optional<TimeMs> solveWindow(const Node& cmp, size_t window_side, const EvalContext& ctx) {
  const Node& call = *cmp.children[window_side];
  auto expiry = windowExpiry(call, ctx);
  if (!expiry || call.function->name != "count" || cmp.op == Op::kEq || cmp.op == Op::kNe) {
    return expiry;
  }
  Value fixed = evaluateNode(*cmp.children[1 - window_side], ctx);
  Value current = evaluateNode(call, ctx);
  auto holds = [&](const Value& count) {
    auto c = window_side == 0 ? compareValues(count, fixed) : compareValues(fixed, count);
    if (!c) return false;
    switch (cmp.op) {
      case Op::kLt:
        return *c < 0;
      case Op::kLe:
        return *c <= 0;
      case Op::kGt:
        return *c > 0;
      case Op::kGe:
        return *c >= 0;
      default:
        return true;
    }
  };
  if (holds(current) == holds(Value::number(0))) return std::nullopt;
  return expiry;
}

}  // namespace

std::optional<TimeMs> nextChangeOf(const Node& node, const EvalContext& ctx) {
  if (!dependsOnTime(node)) return std::nullopt;
  switch (node.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      // An `and` that holds flips when any part flips; one that fails needs every failing part
      // to flip, so not before the last of their first flips. `or` is the mirror image.
      bool is_and = node.kind == NodeKind::kAnd;
      bool holds = evaluateNode(node, ctx).truthy();
      std::optional<TimeMs> result;
      for (const auto& c : node.children) {
        bool child_holds = evaluateNode(*c, ctx).truthy();
        auto next = nextChangeOf(*c, ctx);
        if (holds == is_and) {
          result = earliest(result, next);
        } else if (child_holds != is_and) {
          if (!next) return std::nullopt;
          result = result ? std::max(*result, *next) : next;
        }
      }
      return result;
    }
    case NodeKind::kUnary:
      if (node.op == Op::kNot) return nextChangeOf(*node.children[0], ctx);
      break;
    case NodeKind::kBinary:
      if (!isComparison(node.op) || node.op == Op::kIn || node.op == Op::kNotIn ||
          node.op == Op::kContains) {
        break;
      }
      for (size_t side = 0; side < 2; ++side) {
        const Node& moving = *node.children[side];
        if (dependsOnTime(*node.children[1 - side])) continue;
        if (shapeOf(moving).monotone) return solveMonotone(node, side, ctx);
        if (moving.kind == NodeKind::kCall &&
            moving.function->time == TimeBehaviour::kEventWindow) {
          return solveWindow(node, side, ctx);
        }
      }
      break;
    default:
      break;
  }
  auto next = anyLeafChange(node, ctx);
  if (next && *next <= ctx.now()) next = ctx.now() + 1;
  return next;
}

}  // namespace journeyd
