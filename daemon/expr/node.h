#pragma once
/// The compiled form of an expression: an immutable tree with paths pre-split, roots and
/// functions pre-resolved and literals pre-built. Internal to daemon/expr/.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/expr/eval_context.h"
#include "daemon/expr/value.h"

namespace journeyd {

struct Node;

/// What the compiler knows about a node's result before evaluation, for type checks.
enum class StaticType { kUnknown, kNull, kBool, kNumber, kString, kList, kDuration };

/// The kinds of argument a function accepts, checked against literals at compile time.
enum class ArgType { kAny, kNumber, kString, kList, kTime, kDuration, kNumeric };

/// How a function's result moves with time when no new data arrives (for nextChange).
enum class TimeBehaviour {
  kNone,         ///< depends only on its arguments
  kClock,        ///< a monotone function of now() (now, days_since, days_until, ...)
  kEventWindow,  ///< an aggregate over a sliding event window; changes when events expire
};

using FunctionImpl = Value (*)(const Node& call, const EvalContext& ctx);

/// One entry of the function registry: its signature, checks and implementation.
struct FunctionSpec {
  std::string_view name;
  std::string_view usage;  ///< shown in arity errors, e.g. `count("Event Name", within: 30d)`
  int min_args = 0;
  int max_args = 0;                     ///< -1 for any number
  std::vector<ArgType> arg_types;       ///< per positional argument; the last one repeats
  std::vector<std::string_view> named;  ///< allowed named arguments (slots of Node::named)
  std::vector<ArgType> named_types;
  StaticType result = StaticType::kUnknown;
  TimeBehaviour time = TimeBehaviour::kNone;
  FunctionImpl impl = nullptr;
};

/// The registry; nullptr for an unknown name.
const FunctionSpec* findFunction(std::string_view name);
/// Every registered name, for did-you-mean hints.
std::vector<std::string> functionNames();

enum class NodeKind {
  kLiteral,  ///< value
  kList,     ///< children are the items; value/items pre-built when all are literals
  kPath,     ///< root + path, e.g. customer.traits["first name"]
  kIndex,    ///< children[0][children[1]] for anything that is not a plain path
  kCall,     ///< function(children..., named...)
  kUnary,    ///< op applied to children[0]
  kBinary,   ///< children[0] op children[1]
  kAnd,
  kOr,
};

enum class Op {
  kNone,
  kNeg,
  kNot,
  kExists,
  kNotExists,
  kEmpty,
  kNotEmpty,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kNotIn,
  kContains,
};

/// The spelling of an operator, for explanations and messages.
std::string_view opText(Op op);
/// True for == != < <= > >= in, not in, contains.
bool isComparison(Op op);

struct PathSegment {
  std::string key;
  long long index = 0;
  bool is_index = false;
};

/// One node of the tree. Immutable after compilation; literal Values view storage inside their
/// own node, so nodes live behind unique_ptr and never move.
struct Node {
  NodeKind kind = NodeKind::kLiteral;
  Op op = Op::kNone;
  size_t begin = 0;  ///< byte range of the node in the source text
  size_t end = 0;
  StaticType type = StaticType::kUnknown;
  Value value;
  std::string text;          ///< storage for a string literal
  std::vector<Value> items;  ///< storage for a constant list
  std::string root;
  std::vector<PathSegment> path;
  const FunctionSpec* function = nullptr;
  std::vector<std::unique_ptr<Node>> children;
  std::vector<std::unique_ptr<Node>> named;  ///< by slot of function->named; null when absent
};

[[nodiscard]] Value evaluateNode(const Node& node, const EvalContext& ctx);

/// `v` as an instant (Value::asTime), a calendar date being a day of ctx.timeZone().
[[nodiscard]] std::optional<TimeMs> timeOf(const Value& v, const EvalContext& ctx);

/// Value of a named argument of a call (null when not given).
[[nodiscard]] Value namedArg(const Node& call, size_t slot, const EvalContext& ctx);

/// The earliest instant after ctx.now() at which the truth of `node` could change without new
/// data; nullopt when it cannot.
[[nodiscard]] std::optional<TimeMs> nextChangeOf(const Node& node, const EvalContext& ctx);

/// `node` rendered from `source` with the values that decided it.
[[nodiscard]] std::string explainNode(const Node& node, std::string_view source,
                                      const EvalContext& ctx);

/// An EvalContext identical to another except for now(): to ask what a clock-driven expression
/// would give at another instant. Event aggregates are not shifted.
class ShiftedNowContext final : public EvalContext {
 public:
  ShiftedNowContext(const EvalContext& base, TimeMs now) : base_(base), now_(now) {}
  [[nodiscard]] const nlohmann::json* root(std::string_view name) const override {
    return base_.root(name);
  }
  [[nodiscard]] TimeMs now() const override { return now_; }
  [[nodiscard]] const date::time_zone* timeZone() const override { return base_.timeZone(); }
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
};

}  // namespace journeyd
