#pragma once
/// The compiled form of a Liquid template (internal to daemon/render). Built once by the parser,
/// never modified afterwards; text nodes are views into LiquidAst::source.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/render/liquid_template.h"
#include "daemon/render/liquid_value.h"

namespace journeyd {

struct Expr;

/// One step of a variable path: `.key` / `["key"]`, `[0]`, or `[expr]`.
struct PathStep {
  enum class Kind { kKey, kIndex, kDynamic } kind = Kind::kKey;
  std::string key;
  std::int64_t index = 0;
  std::shared_ptr<const Expr> dynamic;
};

/// A primary expression: a literal, a variable path, a range `(a..b)`, or `empty` / `blank`.
struct Expr {
  enum class Kind { kLiteral, kVariable, kRange, kEmpty, kBlank } kind = Kind::kLiteral;
  std::uint32_t offset = 0;
  Json literal;
  std::string head;  ///< first name of a variable path
  bool head_is_forloop = false;
  std::vector<PathStep> path;
  std::shared_ptr<const Expr> range_from, range_to;
};

struct FilterCall;

/// Per-render memo shared by filter calls (e.g. the time zone `date` looked up last).
struct FilterCache {
  std::string zone_name;
  const void* zone = nullptr;  ///< const date::time_zone*, kept opaque here
};

/// What a filter sees: the value it transforms in place, its arguments, the render options.
struct FilterContext {
  LiquidValue& value;
  std::span<const LiquidValue> args;
  std::span<const std::pair<std::string, LiquidValue>> named;
  const RenderOptions& options;
  FilterCache& cache;
  std::string error;  ///< set with `return false` on failure

  [[nodiscard]] const Json* arg(std::size_t i) const {
    return i < args.size() ? &args[i].get() : nullptr;
  }
  [[nodiscard]] const Json* namedArg(std::string_view name) const {
    for (const auto& [k, v] : named) {
      if (k == name) return &v.get();
    }
    return nullptr;
  }
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
};

using FilterFn = bool (*)(FilterContext& ctx);

/// A filter's entry in the registry: arity is checked when a template compiles.
struct FilterDef {
  std::string_view name;
  FilterFn fn;
  int min_args;
  int max_args;
  unsigned flags = 0;  ///< kHtmlSafe / kJsonSafe: output is already escaped for that mode
};
constexpr unsigned kHtmlSafe = 1;
constexpr unsigned kJsonSafe = 2;
constexpr int kMaxFilterArgs = 4;

/// The registry of filters, sorted by name; nullptr when unknown.
const FilterDef* findFilter(std::string_view name);
/// All filter names (for did-you-mean hints).
std::vector<std::string> filterNames();

/// One `| name: args` step, its filter resolved at compile time.
struct FilterCall {
  const FilterDef* def = nullptr;
  std::uint32_t offset = 0;
  std::vector<Expr> args;
  std::vector<std::pair<std::string, Expr>> named;
};

/// `expr | filter: args | ...`
struct FilteredExpr {
  Expr base;
  std::vector<FilterCall> filters;
};

enum class CompareOp { kNone, kEq, kNe, kLt, kGt, kLe, kGe, kContains };

/// `left op right`, or a lone value tested for truthiness (op kNone).
struct Comparison {
  Expr left;
  CompareOp op = CompareOp::kNone;
  Expr right;
};

/// `a and b or c`, evaluated right to left like Shopify: a and (b or c).
struct Condition {
  std::vector<Comparison> terms;
  std::vector<bool> is_and;  ///< operator between terms[i] and terms[i+1]
};

struct LiquidNode;
using Block = std::vector<LiquidNode>;

// LiquidNode kinds, one per tag (raw and comment leave text or nothing behind).
/// Literal template text.
struct TextNode {
  std::string_view text;
};
/// `{{ expr }}` or `{% echo expr %}`.
struct OutputNode {
  FilteredExpr expr;
};
/// if/elsif/else and unless.
struct IfNode {
  struct Branch {
    Condition cond;
    bool negate = false;  ///< the first branch of `unless`
    Block body;
  };
  std::vector<Branch> branches;
  Block else_body;
};
/// case/when/else.
struct CaseNode {
  Expr subject;
  struct When {
    std::vector<Expr> values;
    Block body;
  };
  std::vector<When> whens;
  Block else_body;
};
/// for/else with limit, offset and reversed.
struct ForNode {
  std::string var;
  Expr collection;
  /// `var-collection` as written: loops with `offset: continue` over the same name go on where
  /// the last one stopped (Shopify's rule).
  std::string name;
  bool has_limit = false, has_offset = false, reversed = false, offset_continue = false;
  Expr limit, offset;
  Block body, else_body;
};
/// `{% assign name = expr | filters %}`.
struct AssignNode {
  std::string name;
  FilteredExpr expr;
};
/// capture/endcapture.
struct CaptureNode {
  std::string name;
  Block body;
};
/// increment / decrement.
struct CounterNode {
  std::string name;
  int delta = 1;  ///< +1 increment, -1 decrement
};
/// `{% cycle 'a', 'b' %}`.
struct CycleNode {
  std::string group;
  std::vector<Expr> values;
};
/// break / continue inside a for loop.
struct BreakNode {};
struct ContinueNode {};

/// A node of the tree: its offset in the source (for runtime errors) and its kind.
struct LiquidNode {
  std::uint32_t offset = 0;
  std::variant<TextNode, OutputNode, IfNode, CaseNode, ForNode, AssignNode, CaptureNode,
               CounterNode, CycleNode, BreakNode, ContinueNode>
      v;
};

/// A compiled template: the source text it views into and its node tree. Immutable once built.
struct LiquidAst {
  std::string source;
  Block root;
  std::size_t size_hint = 0;  ///< initial output reservation
};

/// Parses `ast.source` into `ast.root`; errors go to `diags` at `tmpl.positionOf(offset)`. False
/// when there were any.
bool parseLiquid(LiquidAst& ast, const LiquidTemplate& tmpl, Diagnostics& diags);

}  // namespace journeyd
