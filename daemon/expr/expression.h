#pragma once
/// The expression language shared by journey conditions, segment rules and custom scores:
/// compiled once (with file:line:col diagnostics) into an immutable Expression, then evaluated
/// fast against an EvalContext.
///
/// Grammar, loosest binding first:
///   expr       := and ( ("or" | "||") and )*
///   and        := not ( ("and" | "&&") not )*
///   not        := ("not" | "!") not | comparison
///   comparison := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "contains") sum
///                     | "exists" | "not exists" | "is empty" | "is not empty" ]   (no chaining)
///   sum        := product ( ("+" | "-") product )*
///   product    := unary ( ("*" | "/" | "%") unary )*
///   unary      := "-" unary | postfix
///   postfix    := primary ( "." name | "[" expr "]" )*
///   primary    := number | duration (30d 12h 90s 15m 2w 500ms 1h30m) | "text" | 'text'
///               | true | false | null | "[" [expr ("," expr)*] "]" | "(" expr ")"
///               | root | function "(" [expr | name ":" expr] ("," ...)* ")"
/// Missing data is null, never an error: null == null only, null is never ordered, and
/// arithmetic on null gives null. `!=` is `not ==`. A duration compared with a number compares
/// milliseconds; two ISO-8601 strings (or one and epoch ms) compare as instants. A calendar date
/// (`"2026-03-20"`, no time) is that day in EvalContext::timeZone() (the customer's zone, else the
/// business's), in comparisons, date arithmetic and the date functions alike.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/diagnostic.h"
#include "daemon/core/time.h"
#include "daemon/expr/eval_context.h"
#include "daemon/expr/value.h"

namespace journeyd {

struct Node;

/// What a caller allows an expression to use.
struct CompileOptions {
  /// The names a path may start with, e.g. {"customer", "event", "data", "journey"}. Any other
  /// leading name is a compile error with a did-you-mean hint. No default: callers say which
  /// data their expressions see.
  std::vector<std::string> roots;
};

/// What an expression reads, so callers can tell which data changes matter.
struct References {
  std::vector<std::string> roots;  ///< e.g. "customer"
  std::vector<std::string> paths;  ///< e.g. "customer.rfm.segment", `customer.traits["first name"]`
  std::vector<std::string> functions;  ///< e.g. "days_since"
  std::vector<std::string> events;     ///< event names given to count()/sum() as literals
  bool reads_time = false;             ///< uses now() or a function of it
};

/// A compiled expression. Immutable and thread-safe: share it by shared_ptr<const Expression>
/// and evaluate it from any thread, each with its own EvalContext.
class Expression {
 public:
  ~Expression();
  Expression(const Expression&) = delete;
  Expression& operator=(const Expression&) = delete;

  /// The result. Strings and lists in it may view the context's data: use it while that lives.
  [[nodiscard]] Value evaluate(const EvalContext& ctx) const;
  /// The result as a condition: null, false, 0, "" and empty lists are false.
  [[nodiscard]] bool truthy(const EvalContext& ctx) const;
  /// The result as a score: numbers as is, durations in ms, true/false as 1/0, anything else 0.
  [[nodiscard]] double number(const EvalContext& ctx) const;
  /// The earliest instant after ctx.now() at which truthy() could change with no new data
  /// (a time condition coming true, an event leaving its window); nullopt when it cannot.
  /// Never later than the real change; may be earlier, in which case the caller re-evaluates
  /// then and asks again.
  [[nodiscard]] std::optional<TimeMs> nextChange(const EvalContext& ctx) const;
  /// The expression with the values that decided it, e.g.
  /// `customer.orders_count (0) == 0 → true`.
  [[nodiscard]] std::string explain(const EvalContext& ctx) const;

  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] const References& references() const { return references_; }

 private:
  friend std::shared_ptr<const Expression> compileExpression(std::string_view, const SourcePos&,
                                                             const CompileOptions&, Diagnostics&);
  Expression(std::string source, std::unique_ptr<Node> root);

  std::string source_;
  std::unique_ptr<Node> root_;
  References references_;
};

/// Compiles `source`, whose first character sits at `origin` in its file (line/column 1-based).
/// On any problem, adds every error found to `diagnostics` (each pointing at the exact
/// character) and returns nullptr. Lines after the first of a multi-line text are assumed to
/// start at origin.column too, as in a YAML block scalar.
[[nodiscard]] std::shared_ptr<const Expression> compileExpression(std::string_view source,
                                                                  const SourcePos& origin,
                                                                  const CompileOptions& options,
                                                                  Diagnostics& diagnostics);

}  // namespace journeyd
