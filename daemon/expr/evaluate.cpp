// Evaluation of the compiled tree. The hot path for conditions is path lookup plus comparison;
// neither allocates: paths read the caller's JSON in place and literals are pre-built.
#include <cmath>

#include "daemon/expr/node.h"

namespace journeyd {

std::string_view opText(Op op) {
  switch (op) {
    case Op::kNone:
      return "";
    case Op::kNeg:
      return "-";
    case Op::kNot:
      return "not";
    case Op::kExists:
      return "exists";
    case Op::kNotExists:
      return "not exists";
    case Op::kEmpty:
      return "is empty";
    case Op::kNotEmpty:
      return "is not empty";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "in";
    case Op::kNotIn:
      return "not in";
    case Op::kContains:
      return "contains";
  }
  return "";
}

bool isComparison(Op op) {
  switch (op) {
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kIn:
    case Op::kNotIn:
    case Op::kContains:
      return true;
    default:
      return false;
  }
}

namespace {

const nlohmann::json* step(const nlohmann::json* j, const PathSegment& seg) {
  if (seg.is_index) {
    if (!j->is_array()) return nullptr;
    long long size = static_cast<long long>(j->size());
    long long i = seg.index < 0 ? size + seg.index : seg.index;  // list[-1] is the last item
    return i >= 0 && i < size ? &(*j)[static_cast<size_t>(i)] : nullptr;
  }
  if (!j->is_object()) return nullptr;
  auto it = j->find(seg.key);
  return it == j->end() ? nullptr : &*it;
}

Value lookupPath(const Node& node, const EvalContext& ctx) {
  const nlohmann::json* j = ctx.root(node.root);
  for (const auto& seg : node.path) {
    if (j == nullptr) return Value();
    j = step(j, seg);
  }
  return Value::fromJson(j);
}

Value lookupIndex(const Value& base, const Value& key) {
  if (base.kind() == Value::Kind::kJson) {
    const nlohmann::json& j = base.asJson();
    if (key.kind() == Value::Kind::kString && j.is_object()) {
      auto it = j.find(key.asString());
      return it == j.end() ? Value() : Value::fromJson(&*it);
    }
    if (key.kind() == Value::Kind::kNumber && j.is_array()) {
      return Value::fromJson(
          step(&j, PathSegment{{}, static_cast<long long>(key.asNumber()), true}));
    }
    return Value();
  }
  if (base.kind() == Value::Kind::kList && key.kind() == Value::Kind::kNumber) {
    long long size = static_cast<long long>(base.listSize());
    long long i = static_cast<long long>(key.asNumber());
    if (i < 0) i += size;
    return i >= 0 && i < size ? base.listItem(static_cast<size_t>(i)) : Value();
  }
  return Value();
}

bool contains(const Value& container, const Value& item) {
  if (container.isListLike()) {
    for (size_t i = 0, n = container.listSize(); i < n; ++i) {
      if (valuesEqual(container.listItem(i), item)) return true;
    }
    return false;
  }
  if (container.kind() == Value::Kind::kString && item.kind() == Value::Kind::kString) {
    return container.asString().find(item.asString()) != std::string_view::npos;
  }
  if (container.kind() == Value::Kind::kJson && item.kind() == Value::Kind::kString) {
    return container.asJson().contains(item.asString());  // a key of an object
  }
  return false;
}

bool isEmpty(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kString:
      return v.asString().empty();
    case Value::Kind::kList:
      return v.listSize() == 0;
    case Value::Kind::kJson:
      return v.asJson().empty();
    default:
      return false;
  }
}

// The context's zone when a or b is a calendar date (the only values it changes); asked only then,
// as a customer's zone costs a lookup.
const date::time_zone* dateZone(const Value& a, const Value& b, const EvalContext& ctx) {
  auto isDate = [](const Value& v) {
    return v.kind() == Value::Kind::kString && isCalendarDate(v.asString());
  };
  return isDate(a) || isDate(b) ? ctx.timeZone() : nullptr;
}

Value arithmetic(Op op, Value a, Value b, const EvalContext& ctx) {
  using Kind = Value::Kind;
  if (op == Op::kAdd && a.kind() == Kind::kString && b.kind() == Kind::kString) {
    std::string joined(a.asString());
    joined += b.asString();
    return Value::ownedString(std::move(joined));
  }
  // An ISO-8601 time plus or minus a duration is a time, in epoch ms.
  if ((op == Op::kAdd || op == Op::kSub) &&
      (a.kind() == Kind::kDuration || b.kind() == Kind::kDuration)) {
    if (a.kind() == Kind::kString) {
      auto t = timeOf(a, ctx);
      a = t ? Value::number(static_cast<double>(*t)) : Value();
    }
    if (b.kind() == Kind::kString && op == Op::kAdd) {
      auto t = timeOf(b, ctx);
      b = t ? Value::number(static_cast<double>(*t)) : Value();
    }
  }
  if (!a.isNumeric() || !b.isNumeric()) return Value();
  double x = a.asNumber();
  double y = b.asNumber();
  bool da = a.kind() == Kind::kDuration;
  bool db = b.kind() == Kind::kDuration;
  double r;
  switch (op) {
    case Op::kAdd:
      r = x + y;
      break;
    case Op::kSub:
      r = x - y;
      break;
    case Op::kMul:
      r = x * y;
      break;
    case Op::kDiv:
      if (y == 0) return Value();
      r = x / y;
      break;
    case Op::kMod:
      if (y == 0) return Value();
      r = std::fmod(x, y);
      break;
    default:
      return Value();
  }
  bool duration = (da && db) ? op != Op::kDiv : (da || (db && op == Op::kMul));
  return duration ? Value::duration(static_cast<DurationMs>(std::llround(r))) : Value::number(r);
}

Value binary(const Node& node, const EvalContext& ctx) {
  Value a = evaluateNode(*node.children[0], ctx);
  Value b = evaluateNode(*node.children[1], ctx);
  switch (node.op) {
    case Op::kEq:
      return Value::boolean(valuesEqual(a, b));
    case Op::kNe:
      return Value::boolean(!valuesEqual(a, b));
    case Op::kLt: {
      auto c = compareValues(a, b, dateZone(a, b, ctx));
      return Value::boolean(c && *c < 0);
    }
    case Op::kLe: {
      auto c = compareValues(a, b, dateZone(a, b, ctx));
      return Value::boolean(c && *c <= 0);
    }
    case Op::kGt: {
      auto c = compareValues(a, b, dateZone(a, b, ctx));
      return Value::boolean(c && *c > 0);
    }
    case Op::kGe: {
      auto c = compareValues(a, b, dateZone(a, b, ctx));
      return Value::boolean(c && *c >= 0);
    }
    case Op::kIn:
      return Value::boolean(contains(b, a));
    case Op::kNotIn:
      return Value::boolean(!contains(b, a));
    case Op::kContains:
      return Value::boolean(contains(a, b));
    default:
      return arithmetic(node.op, std::move(a), std::move(b), ctx);
  }
}

Value unary(const Node& node, const EvalContext& ctx) {
  Value v = evaluateNode(*node.children[0], ctx);
  switch (node.op) {
    case Op::kNot:
      return Value::boolean(!v.truthy());
    case Op::kExists:
      return Value::boolean(!v.isNull());
    case Op::kNotExists:
      return Value::boolean(v.isNull());
    case Op::kEmpty:
      return Value::boolean(isEmpty(v));
    case Op::kNotEmpty:
      return Value::boolean(!isEmpty(v));
    case Op::kNeg:
      if (v.kind() == Value::Kind::kNumber) return Value::number(-v.asNumber());
      if (v.kind() == Value::Kind::kDuration)
        return Value::duration(-static_cast<DurationMs>(v.asNumber()));
      return Value();
    default:
      return Value();
  }
}

}  // namespace

Value namedArg(const Node& call, size_t slot, const EvalContext& ctx) {
  return slot < call.named.size() && call.named[slot] ? evaluateNode(*call.named[slot], ctx)
                                                      : Value();
}

std::optional<TimeMs> timeOf(const Value& v, const EvalContext& ctx) {
  return v.asTime(dateZone(v, v, ctx));
}

Value evaluateNode(const Node& node, const EvalContext& ctx) {
  switch (node.kind) {
    case NodeKind::kLiteral:
      return node.value;
    case NodeKind::kPath:
      return lookupPath(node, ctx);
    case NodeKind::kBinary:
      return binary(node, ctx);
    case NodeKind::kAnd:
      return Value::boolean(evaluateNode(*node.children[0], ctx).truthy() &&
                            evaluateNode(*node.children[1], ctx).truthy());
    case NodeKind::kOr:
      return Value::boolean(evaluateNode(*node.children[0], ctx).truthy() ||
                            evaluateNode(*node.children[1], ctx).truthy());
    case NodeKind::kUnary:
      return unary(node, ctx);
    case NodeKind::kCall:
      return node.function->impl(node, ctx);
    case NodeKind::kIndex:
      return lookupIndex(evaluateNode(*node.children[0], ctx),
                         evaluateNode(*node.children[1], ctx));
    case NodeKind::kList: {
      if (node.value.kind() == Value::Kind::kList) return node.value;
      std::vector<Value> items;
      items.reserve(node.children.size());
      for (const auto& child : node.children) items.push_back(evaluateNode(*child, ctx));
      return Value::ownedList(std::move(items));
    }
  }
  return Value();
}

}  // namespace journeyd
