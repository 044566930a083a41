#include "daemon/expr/expression.h"

#include <algorithm>
#include <cctype>

#include "daemon/expr/node.h"
#include "daemon/expr/parser.h"

namespace journeyd {

namespace {

void addUnique(std::vector<std::string>& list, std::string item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

bool plainName(const std::string& key) {
  return !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                  static_cast<unsigned char>(c) >= 0x80;
         });
}

std::string pathText(const Node& node) {
  std::string out = node.root;
  for (const auto& seg : node.path) {
    if (seg.is_index) {
      out += "[" + std::to_string(seg.index) + "]";
    } else if (plainName(seg.key)) {
      out += "." + seg.key;
    } else {
      out += "[" + nlohmann::json(seg.key).dump() + "]";
    }
  }
  return out;
}

void collect(const Node& node, References& refs) {
  if (node.kind == NodeKind::kPath) {
    addUnique(refs.roots, node.root);
    addUnique(refs.paths, pathText(node));
  }
  if (node.kind == NodeKind::kCall) {
    addUnique(refs.functions, std::string(node.function->name));
    if (node.function->time == TimeBehaviour::kClock) refs.reads_time = true;
    if (node.function->time == TimeBehaviour::kEventWindow) {
      refs.reads_time = true;
      if (!node.children.empty() && node.children[0]->kind == NodeKind::kLiteral &&
          node.children[0]->type == StaticType::kString) {
        addUnique(refs.events, std::string(node.children[0]->value.asString()));
      }
    }
  }
  for (const auto& c : node.children) collect(*c, refs);
  for (const auto& c : node.named) {
    if (c) collect(*c, refs);
  }
}

}  // namespace

Expression::Expression(std::string source, std::unique_ptr<Node> root)
    : source_(std::move(source)), root_(std::move(root)) {
  collect(*root_, references_);
}

Expression::~Expression() = default;

Value Expression::evaluate(const EvalContext& ctx) const { return evaluateNode(*root_, ctx); }

bool Expression::truthy(const EvalContext& ctx) const { return evaluateNode(*root_, ctx).truthy(); }

double Expression::number(const EvalContext& ctx) const {
  Value v = evaluateNode(*root_, ctx);
  if (v.isNumeric()) return v.asNumber();
  if (v.kind() == Value::Kind::kBool) return v.asBool() ? 1 : 0;
  return 0;
}

std::optional<TimeMs> Expression::nextChange(const EvalContext& ctx) const {
  return nextChangeOf(*root_, ctx);
}

std::string Expression::explain(const EvalContext& ctx) const {
  return explainNode(*root_, source_, ctx);
}

std::shared_ptr<const Expression> compileExpression(std::string_view source,
                                                    const SourcePos& origin,
                                                    const CompileOptions& options,
                                                    Diagnostics& diagnostics) {
  auto root = parseExpression(source, origin, options, diagnostics);
  if (!root) return nullptr;
  // The tree's byte ranges index source_, so the Expression keeps its own copy of the text.
  return std::shared_ptr<const Expression>(new Expression(std::string(source), std::move(root)));
}

}  // namespace journeyd
