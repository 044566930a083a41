#include "daemon/expr/type_check.h"

#include <string_view>

#include "daemon/core/diagnostic.h"

namespace journeyd {

namespace {

std::string_view typeName(StaticType t) {
  switch (t) {
    case StaticType::kNull:
      return "null";
    case StaticType::kBool:
      return "true/false";
    case StaticType::kNumber:
      return "a number";
    case StaticType::kString:
      return "text";
    case StaticType::kList:
      return "a list";
    case StaticType::kDuration:
      return "a duration";
    case StaticType::kUnknown:
      break;
  }
  return "a value";
}

bool oneOf(StaticType t, std::initializer_list<StaticType> allowed) {
  if (t == StaticType::kUnknown) return true;
  for (auto a : allowed) {
    if (t == a) return true;
  }
  return false;
}

bool isArithmetic(Op op) {
  return op == Op::kAdd || op == Op::kSub || op == Op::kMul || op == Op::kDiv || op == Op::kMod;
}

}  // namespace

std::optional<std::string> checkOperands(const Node& node) {
  using S = StaticType;
  std::string op(opText(node.op));
  StaticType a = node.children.empty() ? S::kUnknown : node.children[0]->type;
  StaticType b = node.children.size() < 2 ? S::kUnknown : node.children[1]->type;
  if (node.op == Op::kNeg) {
    if (!oneOf(a, {S::kNumber, S::kDuration})) {
      return "'-' needs a number or a duration, got " + std::string(typeName(a));
    }
    return std::nullopt;
  }
  if (isArithmetic(node.op)) {
    bool text_ok = node.op == Op::kAdd && (a == S::kString || b == S::kString);
    if (text_ok) {
      if (!oneOf(a, {S::kString}) || !oneOf(b, {S::kString})) {
        return "'+' joins text only with text, got " + std::string(typeName(a)) + " and " +
               std::string(typeName(b));
      }
      return std::nullopt;
    }
    for (StaticType t : {a, b}) {
      if (!oneOf(t, {S::kNumber, S::kDuration})) {
        return "'" + op + "' needs numbers or durations, got " + std::string(typeName(t));
      }
    }
    return std::nullopt;
  }
  if (isComparison(node.op)) {
    // days_since(x) >= 30d compares a count of days with milliseconds: always a slip.
    for (size_t i = 0; i < 2; ++i) {
      const Node& call = *node.children[i];
      if (call.kind == NodeKind::kCall && call.function &&
          call.function->time == TimeBehaviour::kClock && call.function->name != "now" &&
          node.children[1 - i]->type == S::kDuration) {
        std::string name(call.function->name);
        return name + "() gives a number, not a duration: compare it with a plain number (e.g. " +
               name + "(...) >= 30)";
      }
    }
  }
  switch (node.op) {
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      for (StaticType t : {a, b}) {
        if (!oneOf(t, {S::kNumber, S::kDuration, S::kString})) {
          return "'" + op + "' compares numbers, durations, text or times, not " +
                 std::string(typeName(t));
        }
      }
      if ((a == S::kDuration && b == S::kString) || (a == S::kString && b == S::kDuration)) {
        return "'" + op + "' cannot compare a duration with text";
      }
      return std::nullopt;
    case Op::kIn:
    case Op::kNotIn:
      if (!oneOf(b, {S::kList, S::kString})) {
        return "'" + op + "' needs a list or text on its right, got " + std::string(typeName(b));
      }
      return std::nullopt;
    case Op::kContains:
      if (!oneOf(a, {S::kList, S::kString})) {
        return "'contains' needs a list or text on its left, got " + std::string(typeName(a));
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

StaticType arithmeticType(const Node& node) {
  using S = StaticType;
  StaticType a = node.children[0]->type;
  StaticType b = node.children[1]->type;
  if (a == S::kUnknown || b == S::kUnknown) return S::kUnknown;
  if (a == S::kString && b == S::kString) return S::kString;
  if (a == S::kDuration && b == S::kDuration) {
    return node.op == Op::kDiv ? S::kNumber : S::kDuration;
  }
  if (a == S::kDuration) return S::kDuration;                         // 2d * 3
  if (b == S::kDuration && node.op == Op::kMul) return S::kDuration;  // 3 * 2d
  return S::kNumber;  // time (ms) ± duration is a time
}

std::optional<std::string> checkArgument(ArgType expected, const Node& argument) {
  using S = StaticType;
  StaticType t = argument.type;
  std::string got = ", got " + std::string(typeName(t));
  switch (expected) {
    case ArgType::kAny:
      return std::nullopt;
    case ArgType::kNumber:
      if (!oneOf(t, {S::kNumber})) return "expects a number" + got;
      return std::nullopt;
    case ArgType::kNumeric:
      if (!oneOf(t, {S::kNumber, S::kDuration})) return "expects a number or a duration" + got;
      return std::nullopt;
    case ArgType::kString:
      if (!oneOf(t, {S::kString})) return "expects text in quotes" + got;
      return std::nullopt;
    case ArgType::kList:
      if (!oneOf(t, {S::kList})) return "expects a list" + got;
      return std::nullopt;
    case ArgType::kDuration:
      if (!oneOf(t, {S::kDuration})) return "expects a duration such as 30d" + got;
      return std::nullopt;
    case ArgType::kTime:
      if (!oneOf(t, {S::kString, S::kNumber, S::kNull})) {
        return "expects a time (ISO-8601 text or epoch ms)" + got;
      }
      if (argument.kind == NodeKind::kLiteral && t == S::kString &&
          !parseIsoTime(argument.value.asString())) {
        return "expects a time, but '" + std::string(argument.value.asString()) +
               "' is not ISO-8601 (e.g. 2024-01-31T09:00:00Z)";
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<std::pair<size_t, std::string>> checkCall(const Node& call,
                                                      const std::vector<size_t>& arg_offsets,
                                                      size_t name_offset) {
  std::vector<std::pair<size_t, std::string>> problems;
  const FunctionSpec& f = *call.function;
  int given = static_cast<int>(call.children.size());
  if (given < f.min_args || (f.max_args >= 0 && given > f.max_args)) {
    std::string wanted;
    if (f.min_args == f.max_args) {
      wanted = std::to_string(f.min_args) + (f.min_args == 1 ? " argument" : " arguments");
    } else if (f.max_args < 0) {
      wanted =
          "at least " + std::to_string(f.min_args) + (f.min_args == 1 ? " argument" : " arguments");
    } else {
      wanted = std::to_string(f.min_args) + " to " + std::to_string(f.max_args) + " arguments";
    }
    problems.emplace_back(name_offset, std::string(f.name) + "() takes " + wanted + ", got " +
                                           std::to_string(given) +
                                           " (usage: " + std::string(f.usage) + ")");
  }
  for (size_t i = 0; i < call.children.size() && !f.arg_types.empty(); ++i) {
    ArgType expected = f.arg_types[std::min(i, f.arg_types.size() - 1)];
    if (auto problem = checkArgument(expected, *call.children[i])) {
      problems.emplace_back(arg_offsets[i], std::string(f.name) + "() argument " +
                                                std::to_string(i + 1) + " " + *problem);
    }
  }
  return problems;
}

std::string unknownNameMessage(const std::string& name, const std::vector<std::string>& roots) {
  std::string message = "unknown name '" + name + "'";
  std::string hint = closestMatch(name, roots);
  if (!hint.empty()) return message + " (did you mean '" + hint + "'?)";
  if (roots.empty()) return message;
  message += " (paths start with ";
  for (size_t i = 0; i < roots.size(); ++i) {
    message += (i == 0 ? "'" : (i + 1 == roots.size() ? " or '" : ", '")) + roots[i] + "'";
  }
  return message + ")";
}

}  // namespace journeyd
