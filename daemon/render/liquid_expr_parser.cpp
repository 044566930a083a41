// Expression parsing for Liquid tags and outputs.
#include "daemon/render/liquid_expr_parser.h"

#include <charconv>

namespace journeyd {

Expr ExprParser::primary() {
  const LiquidToken& tok = peek();
  Expr e;
  e.offset = tok.offset;
  switch (tok.kind) {
    case TK::kString:
      e.literal = std::string(next().text);
      return e;
    case TK::kInt: {
      std::int64_t v = 0;
      auto r = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), v);
      if (r.ec != std::errc()) fail("integer out of range");
      next();
      e.literal = v;
      return e;
    }
    case TK::kFloat: {
      double d = 0;
      std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), d);
      next();
      e.literal = d;
      return e;
    }
    case TK::kLParen: {
      next();
      e.kind = Expr::Kind::kRange;
      e.range_from = std::make_shared<Expr>(primary());
      expect(TK::kDotDot, "'..'");
      e.range_to = std::make_shared<Expr>(primary());
      expect(TK::kRParen, "')'");
      return e;
    }
    case TK::kIdent: {
      const std::string_view w = tok.text;
      if (w == "true" || w == "false") {
        next();
        e.literal = (w == "true");
        return e;
      }
      if (w == "nil" || w == "null") {
        next();
        return e;
      }
      if (w == "empty" || w == "blank") {
        next();
        e.kind = w == "empty" ? Expr::Kind::kEmpty : Expr::Kind::kBlank;
        return e;
      }
      next();
      e.kind = Expr::Kind::kVariable;
      e.head = std::string(w);
      e.head_is_forloop = w == "forloop";
      path(e);
      return e;
    }
    case TK::kLBracket: {
      // `["key with spaces"]` at the top level.
      next();
      e.kind = Expr::Kind::kVariable;
      const LiquidToken& key = expect(TK::kString, "a quoted name");
      e.head = std::string(key.text);
      expect(TK::kRBracket, "']'");
      path(e);
      return e;
    }
    default:
      fail(tok.kind == TK::kEnd ? "expected a value but the tag ended"
                                : "expected a value but found '" + std::string(tok.text) + "'");
  }
}

void ExprParser::path(Expr& e) {
  for (;;) {
    if (accept(TK::kDot)) {
      const LiquidToken& key = expect(TK::kIdent, "a name after '.'");
      e.path.push_back({PathStep::Kind::kKey, std::string(key.text), 0, nullptr});
    } else if (accept(TK::kLBracket)) {
      Expr inner = primary();
      expect(TK::kRBracket, "']'");
      PathStep step;
      if (inner.kind == Expr::Kind::kLiteral && inner.literal.is_string()) {
        step.key = inner.literal.get<std::string>();
      } else if (inner.kind == Expr::Kind::kLiteral && inner.literal.is_number_integer()) {
        step.kind = PathStep::Kind::kIndex;
        step.index = inner.literal.get<std::int64_t>();
      } else {
        step.kind = PathStep::Kind::kDynamic;
        step.dynamic = std::make_shared<Expr>(std::move(inner));
      }
      e.path.push_back(std::move(step));
    } else {
      return;
    }
  }
}

FilteredExpr ExprParser::filtered() {
  FilteredExpr f;
  f.base = primary();
  while (accept(TK::kPipe)) {
    const LiquidToken& name = expect(TK::kIdent, "a filter name after '|'");
    FilterCall call;
    call.offset = name.offset;
    call.def = findFilter(name.text);
    if (call.def == nullptr) {
      std::string msg = "unknown filter '" + std::string(name.text) + "'";
      const std::string hint = closestMatch(std::string(name.text), filterNames());
      if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
      throw SyntaxError{name.offset, msg};
    }
    if (accept(TK::kColon)) {
      do {
        if (peek().kind == TK::kIdent && peek(1).kind == TK::kColon) {
          std::string key(next().text);
          next();
          call.named.emplace_back(std::move(key), primary());
        } else {
          call.args.push_back(primary());
        }
      } while (accept(TK::kComma));
    }
    const int n = static_cast<int>(call.args.size());
    if (n < call.def->min_args || n > call.def->max_args) {
      std::string want =
          call.def->min_args == call.def->max_args
              ? std::to_string(call.def->min_args)
              : std::to_string(call.def->min_args) + " to " + std::to_string(call.def->max_args);
      throw SyntaxError{name.offset, "filter '" + std::string(name.text) + "' takes " + want +
                                         " argument(s), got " + std::to_string(n)};
    }
    f.filters.push_back(std::move(call));
  }
  return f;
}

Comparison ExprParser::comparison() {
  Comparison c;
  c.left = primary();
  const LiquidToken& tok = peek();
  if (tok.kind == TK::kCompare) {
    static const std::pair<std::string_view, CompareOp> kOps[] = {
        {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<>", CompareOp::kNe},
        {"<", CompareOp::kLt},  {">", CompareOp::kGt},  {"<=", CompareOp::kLe},
        {">=", CompareOp::kGe}};
    for (const auto& [s, op] : kOps) {
      if (tok.text == s) c.op = op;
    }
    next();
    c.right = primary();
  } else if (tok.kind == TK::kIdent && tok.text == "contains") {
    next();
    c.op = CompareOp::kContains;
    c.right = primary();
  } else if (tok.kind == TK::kAssign) {
    fail("use '==' to compare, '=' assigns");
  }
  return c;
}

Condition ExprParser::condition() {
  Condition cond;
  cond.terms.push_back(comparison());
  for (;;) {
    if (acceptWord("and")) {
      cond.is_and.push_back(true);
    } else if (acceptWord("or")) {
      cond.is_and.push_back(false);
    } else {
      break;
    }
    cond.terms.push_back(comparison());
  }
  expectEnd();
  return cond;
}

}  // namespace journeyd
