#pragma once
/// Parsing of Liquid expressions (internal): literals, variable paths, ranges, filter chains and
/// conditions, from the tokens of one tag or output.
#include <algorithm>
#include <string>
#include <vector>

#include "daemon/render/liquid_ast.h"
#include "daemon/render/liquid_lexer.h"

namespace journeyd {

/// Thrown inside the parser only and caught per tag (one bad tag must not hide the others);
/// never leaves parseLiquid().
struct SyntaxError {
  std::uint32_t offset;
  std::string message;
};

/// Expression parser over one segment's tokens.
class ExprParser {
 public:
  using TK = LiquidToken::Kind;
  explicit ExprParser(std::vector<LiquidToken> toks) : t_(std::move(toks)) {}

  [[nodiscard]] const LiquidToken& peek(std::size_t ahead = 0) const {
    return t_[std::min(i_ + ahead, t_.size() - 1)];
  }
  const LiquidToken& next() {
    const LiquidToken& tok = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return tok;
  }
  bool accept(TK k) {
    if (peek().kind != k) return false;
    next();
    return true;
  }
  bool acceptWord(std::string_view w) {
    if (peek().kind != TK::kIdent || peek().text != w) return false;
    next();
    return true;
  }
  const LiquidToken& expect(TK k, const char* what) {
    if (peek().kind != k) fail(std::string("expected ") + what + describe(peek()));
    return next();
  }
  [[noreturn]] void fail(std::string msg) const {
    throw SyntaxError{peek().offset, std::move(msg)};
  }
  static std::string describe(const LiquidToken& tok) {
    if (tok.kind == TK::kEnd) return " but the tag ended";
    return " but found '" + std::string(tok.text) + "'";
  }
  void expectEnd() {
    if (peek().kind != TK::kEnd) fail("unexpected '" + std::string(peek().text) + "'");
  }

  Expr primary();
  void path(Expr& e);
  FilteredExpr filtered();
  Comparison comparison();
  /// A whole condition; the tokens must end after it.
  Condition condition();

 private:
  std::vector<LiquidToken> t_;
  std::size_t i_ = 0;
};

}  // namespace journeyd
