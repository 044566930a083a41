// Explanations for `journeyd explain`: the expression as written, with the value of each path
// and function call beside it and the outcome of each comparison.
#include "daemon/expr/node.h"

namespace journeyd {

namespace {

std::string_view text(const Node& node, std::string_view source) {
  return source.substr(node.begin, node.end - node.begin);
}

int precedence(const Node& node) {
  switch (node.kind) {
    case NodeKind::kOr:
      return 1;
    case NodeKind::kAnd:
      return 2;
    case NodeKind::kUnary:
      if (node.op == Op::kNot) return 3;
      if (node.op == Op::kNeg) return 7;
      return 4;
    case NodeKind::kBinary:
      if (isComparison(node.op)) return 4;
      if (node.op == Op::kAdd || node.op == Op::kSub) return 5;
      return 6;
    default:
      return 8;
  }
}

std::string describe(const Node& node, std::string_view source, const EvalContext& ctx);

std::string operand(const Node& child, int parent_precedence, std::string_view source,
                    const EvalContext& ctx) {
  std::string inner = describe(child, source, ctx);
  return precedence(child) < parent_precedence ? "(" + inner + ")" : inner;
}

std::string describe(const Node& node, std::string_view source, const EvalContext& ctx) {
  switch (node.kind) {
    case NodeKind::kLiteral:
    case NodeKind::kList:
      return std::string(text(node, source));
    case NodeKind::kPath:
    case NodeKind::kIndex:
    case NodeKind::kCall:
      return std::string(text(node, source)) + " (" + evaluateNode(node, ctx).format() + ")";
    case NodeKind::kUnary: {
      std::string inner = operand(*node.children[0], precedence(node) + 1, source, ctx);
      if (node.op == Op::kNot) return "not " + inner;
      if (node.op == Op::kNeg) return "-" + inner;
      return inner + " " + std::string(opText(node.op));
    }
    case NodeKind::kBinary: {
      int p = precedence(node);
      // Left-associative: a right operand of equal precedence needs its parentheses back.
      return operand(*node.children[0], p, source, ctx) + " " + std::string(opText(node.op)) + " " +
             operand(*node.children[1], p + 1, source, ctx);
    }
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      bool is_and = node.kind == NodeKind::kAnd;
      std::string out;
      bool decided = false;
      for (size_t i = 0; i < node.children.size(); ++i) {
        const Node& child = *node.children[i];
        if (i > 0) out += is_and ? " and " : " or ";
        if (decided) {
          out += "(" + std::string(text(child, source)) + ": not needed)";
          continue;
        }
        bool holds = evaluateNode(child, ctx).truthy();
        out += "(" + describe(child, source, ctx) + " → " + (holds ? "true" : "false") + ")";
        decided = holds != is_and;
      }
      return out;
    }
  }
  return std::string(text(node, source));
}

}  // namespace

std::string explainNode(const Node& node, std::string_view source, const EvalContext& ctx) {
  return describe(node, source, ctx) + " → " + evaluateNode(node, ctx).format();
}

}  // namespace journeyd
