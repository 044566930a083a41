// Recursive-descent parser. Precedence, loosest first:
//   or (||)  <  and (&&)  <  not (!)  <  comparison (== != < <= > >= in, not in, contains,
//   exists, not exists, is empty, is not empty)  <  + -  <  * / %  <  unary -  <  . [] ()
// Semantic checks (roots, functions, arity, literal types) run as each node is built, so one
// pass reports every problem up to the first syntax error.
#include "daemon/expr/parser.h"

#include <algorithm>

#include "daemon/expr/lexer.h"
#include "daemon/expr/type_check.h"

namespace journeyd {

namespace {

constexpr std::string_view kKeywords[] = {"and",      "or",     "not", "in",
                                          "contains", "exists", "is",  "empty"};

bool isKeyword(std::string_view word) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), word) != std::end(kKeywords);
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "end of expression";
    case TokenKind::kString:
      return "'\"" + t.text + "\"'";
    default:
      return "'" + t.text + "'";
  }
}

// Recursion is bounded so a pathological input cannot exhaust the stack (here or in evaluation).
constexpr int kMaxDepth = 200;

class Parser {
 public:
  Parser(std::string_view source, const SourcePos& origin, const CompileOptions& options,
         Diagnostics& diagnostics)
      : source_(source), origin_(origin), options_(options), diagnostics_(diagnostics) {}

  std::unique_ptr<Node> run() {
    std::vector<LexError> lex_errors;
    tokens_ = tokenize(source_, lex_errors);
    for (const auto& e : lex_errors) error(e.offset, e.message);
    if (!lex_errors.empty()) first_lex_error_ = lex_errors.front().offset;
    auto root = parseOr();
    if (root && peek().kind != TokenKind::kEnd) {
      syntaxError(peek().offset,
                  "unexpected " + describe(peek()) + " — expected an operator or the end");
    }
    if (!root || errors_ > 0) return nullptr;
    return root;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) { ++parser.depth_; }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& take() {
    const Token& t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool accept(std::string_view text) {
    if (!peek().is(text)) return false;
    take();
    return true;
  }

  void error(size_t offset, std::string message) {
    ++errors_;
    diagnostics_.error(positionOf(offset), std::move(message));
  }

  // A syntax error after a bad character or string is most likely its echo: count it, but
  // show only the scanner's message.
  void syntaxError(size_t offset, std::string message) {
    if (offset > first_lex_error_) {
      ++errors_;
      return;
    }
    error(offset, std::move(message));
  }

  SourcePos positionOf(size_t offset) const { return positionInSource(source_, origin_, offset); }

  std::unique_ptr<Node> make(NodeKind kind, size_t begin, size_t end) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->begin = begin;
    n->end = end;
    return n;
  }

  size_t lastEnd() const {
    const Token& t = tokens_[pos_ == 0 ? 0 : pos_ - 1];
    return t.offset + t.length;
  }

  std::unique_ptr<Node> logical(NodeKind kind, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto n = make(kind, a->begin, b->end);
    n->type = StaticType::kBool;
    n->children.push_back(std::move(a));
    n->children.push_back(std::move(b));
    return n;
  }

  std::unique_ptr<Node> parseOr() {
    DepthGuard guard(*this);
    if (depth_ > kMaxDepth) {
      syntaxError(peek().offset, "expression nested too deeply");
      return nullptr;
    }
    auto left = parseAnd();
    while (left && (peek().is("or") || peek().is("||"))) {
      take();
      auto right = parseAnd();
      if (!right) return nullptr;
      left = logical(NodeKind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<Node> parseAnd() {
    auto left = parseNot();
    while (left && (peek().is("and") || peek().is("&&"))) {
      take();
      auto right = parseNot();
      if (!right) return nullptr;
      left = logical(NodeKind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<Node> parseNot() {
    DepthGuard guard(*this);
    if (depth_ > kMaxDepth) {
      syntaxError(peek().offset, "expression nested too deeply");
      return nullptr;
    }
    if (peek().is("not") || peek().is("!")) {
      size_t begin = take().offset;
      auto operand = parseNot();
      if (!operand) return nullptr;
      auto n = make(NodeKind::kUnary, begin, operand->end);
      n->op = Op::kNot;
      n->type = StaticType::kBool;
      n->children.push_back(std::move(operand));
      return n;
    }
    return parseComparison();
  }

  // The comparison operator at the cursor (consumed), or kNone.
  Op takeComparison() {
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"==", Op::kEq},        {"!=", Op::kNe}, {"<", Op::kLt},  {"<=", Op::kLe},
        {">", Op::kGt},         {">=", Op::kGe}, {"in", Op::kIn}, {"contains", Op::kContains},
        {"exists", Op::kExists}};
    for (auto [text, op] : kOps) {
      if (peek().is(text)) {
        take();
        return op;
      }
    }
    if (peek().is("not") && (peek(1).is("in") || peek(1).is("exists"))) {
      take();
      return take().is("in") ? Op::kNotIn : Op::kNotExists;
    }
    if (peek().is("is") && peek(1).is("empty")) {
      pos_ += 2;
      return Op::kEmpty;
    }
    if (peek().is("is") && peek(1).is("not") && peek(2).is("empty")) {
      pos_ += 3;
      return Op::kNotEmpty;
    }
    return Op::kNone;
  }

  std::unique_ptr<Node> parseComparison() {
    auto left = parseAdditive();
    if (!left) return nullptr;
    size_t op_offset = peek().offset;
    Op op = takeComparison();
    if (op == Op::kNone) {
      if (peek().is("is")) {
        syntaxError(peek().offset, "expected 'is empty' or 'is not empty' (use '==' to compare)");
        return nullptr;
      }
      return left;
    }
    std::unique_ptr<Node> n;
    if (op == Op::kExists || op == Op::kNotExists || op == Op::kEmpty || op == Op::kNotEmpty) {
      n = make(NodeKind::kUnary, left->begin, lastEnd());
      n->children.push_back(std::move(left));
    } else {
      auto right = parseAdditive();
      if (!right) return nullptr;
      n = make(NodeKind::kBinary, left->begin, right->end);
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
    }
    n->op = op;
    n->type = StaticType::kBool;
    if (auto problem = checkOperands(*n)) error(op_offset, *problem);
    size_t next_offset = peek().offset;
    if (takeComparison() != Op::kNone) {
      syntaxError(next_offset, "comparisons cannot be chained — join them with 'and'");
      return nullptr;
    }
    return n;
  }

  std::unique_ptr<Node> binary(Op op, size_t op_offset, std::unique_ptr<Node> a,
                               std::unique_ptr<Node> b) {
    auto n = make(NodeKind::kBinary, a->begin, b->end);
    n->op = op;
    n->children.push_back(std::move(a));
    n->children.push_back(std::move(b));
    if (auto problem = checkOperands(*n)) error(op_offset, *problem);
    n->type = arithmeticType(*n);
    return n;
  }

  std::unique_ptr<Node> parseAdditive() {
    auto left = parseMultiplicative();
    while (left && (peek().is("+") || peek().is("-"))) {
      size_t op_offset = peek().offset;
      Op op = take().is("+") ? Op::kAdd : Op::kSub;
      auto right = parseMultiplicative();
      if (!right) return nullptr;
      left = binary(op, op_offset, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<Node> parseMultiplicative() {
    auto left = parseUnary();
    while (left && (peek().is("*") || peek().is("/") || peek().is("%"))) {
      size_t op_offset = peek().offset;
      const Token& t = take();
      Op op = t.is("*") ? Op::kMul : (t.is("/") ? Op::kDiv : Op::kMod);
      auto right = parseUnary();
      if (!right) return nullptr;
      left = binary(op, op_offset, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<Node> parseUnary() {
    DepthGuard guard(*this);
    if (depth_ > kMaxDepth) {
      syntaxError(peek().offset, "expression nested too deeply");
      return nullptr;
    }
    if (peek().is("-")) {
      size_t begin = take().offset;
      auto operand = parseUnary();
      if (!operand) return nullptr;
      auto n = make(NodeKind::kUnary, begin, operand->end);
      n->op = Op::kNeg;
      n->type = operand->type;
      n->children.push_back(std::move(operand));
      if (auto problem = checkOperands(*n)) error(begin, *problem);
      return n;
    }
    return parsePostfix(parsePrimary());
  }

  std::unique_ptr<Node> parsePostfix(std::unique_ptr<Node> base) {
    while (base) {
      if (peek().is(".")) {
        take();
        if (peek().kind != TokenKind::kIdent) {
          syntaxError(peek().offset,
                      "unexpected " + describe(peek()) + " — expected a name after '.'");
          return nullptr;
        }
        const Token& key = take();
        base = member(std::move(base), PathSegment{key.text, 0, false}, nullptr);
      } else if (peek().is("[")) {
        size_t open = take().offset;
        auto index = parseOr();
        if (!index) return nullptr;
        if (!accept("]")) {
          syntaxError(peek().offset, "unexpected " + describe(peek()) +
                                         " — expected ']' to close '[' at column " +
                                         std::to_string(positionOf(open).column));
          return nullptr;
        }
        if (index->kind == NodeKind::kLiteral && index->type == StaticType::kString) {
          base = member(std::move(base),
                        PathSegment{std::string(index->value.asString()), 0, false}, nullptr);
        } else if (index->kind == NodeKind::kLiteral && index->type == StaticType::kNumber) {
          base = member(std::move(base),
                        PathSegment{{}, static_cast<long long>(index->value.asNumber()), true},
                        nullptr);
        } else {
          base = member(std::move(base), {}, std::move(index));
        }
      } else {
        return base;
      }
    }
    return base;
  }

  // base.key / base[literal] extends a path; anything else becomes an index node.
  std::unique_ptr<Node> member(std::unique_ptr<Node> base, PathSegment segment,
                               std::unique_ptr<Node> dynamic) {
    size_t end = lastEnd();
    if (!dynamic && base->kind == NodeKind::kPath) {
      base->path.push_back(std::move(segment));
      base->end = end;
      return base;
    }
    if (!dynamic) {
      dynamic = make(NodeKind::kLiteral, base->end, end);
      if (segment.is_index) {
        dynamic->value = Value::number(static_cast<double>(segment.index));
        dynamic->type = StaticType::kNumber;
      } else {
        dynamic->text = std::move(segment.key);
        dynamic->value = Value::stringView(dynamic->text);
        dynamic->type = StaticType::kString;
      }
    }
    auto n = make(NodeKind::kIndex, base->begin, end);
    n->children.push_back(std::move(base));
    n->children.push_back(std::move(dynamic));
    return n;
  }

  std::unique_ptr<Node> parsePrimary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::kNumber: {
        take();
        auto n = make(NodeKind::kLiteral, t.offset, t.offset + t.length);
        n->value = Value::number(t.number);
        n->type = StaticType::kNumber;
        return n;
      }
      case TokenKind::kDuration: {
        take();
        auto n = make(NodeKind::kLiteral, t.offset, t.offset + t.length);
        n->value = Value::duration(t.duration);
        n->type = StaticType::kDuration;
        return n;
      }
      case TokenKind::kString: {
        take();
        auto n = make(NodeKind::kLiteral, t.offset, t.offset + t.length);
        n->text = t.text;
        n->value = Value::stringView(n->text);
        n->type = StaticType::kString;
        return n;
      }
      case TokenKind::kIdent:
        return parseName();
      case TokenKind::kPunct:
        if (t.is("(")) return parseParenthesised();
        if (t.is("[")) return parseList();
        break;
      case TokenKind::kEnd:
        break;
    }
    syntaxError(t.offset, "unexpected " + describe(t) + " — expected an expression");
    return nullptr;
  }

  std::unique_ptr<Node> parseParenthesised() {
    size_t open = take().offset;
    auto inner = parseOr();
    if (!inner) return nullptr;
    if (!accept(")")) {
      syntaxError(peek().offset, "unexpected " + describe(peek()) +
                                     " — expected ')' to close '(' at column " +
                                     std::to_string(positionOf(open).column));
      return nullptr;
    }
    return inner;
  }

  std::unique_ptr<Node> parseList() {
    size_t open = take().offset;
    auto n = make(NodeKind::kList, open, open);
    n->type = StaticType::kList;
    while (!peek().is("]")) {
      auto item = parseOr();
      if (!item) return nullptr;
      n->children.push_back(std::move(item));
      if (accept(",")) continue;
      if (!peek().is("]")) {
        syntaxError(peek().offset,
                    "unexpected " + describe(peek()) + " — expected ',' or ']' in the list");
        return nullptr;
      }
    }
    take();
    n->end = lastEnd();
    bool constant = std::all_of(n->children.begin(), n->children.end(),
                                [](const auto& c) { return c->kind == NodeKind::kLiteral; });
    if (constant) {
      // Literal items view storage in their own nodes, which live as long as this one.
      for (const auto& c : n->children) n->items.push_back(c->value);
      n->value = Value::listView(&n->items);
    }
    return n;
  }

  std::unique_ptr<Node> parseName() {
    const Token& t = take();
    if (t.text == "true" || t.text == "false" || t.text == "null") {
      auto n = make(NodeKind::kLiteral, t.offset, t.offset + t.length);
      n->value = t.text == "null" ? Value() : Value::boolean(t.text == "true");
      n->type = t.text == "null" ? StaticType::kNull : StaticType::kBool;
      return n;
    }
    if (isKeyword(t.text)) {
      syntaxError(t.offset, "unexpected '" + t.text + "' — expected an expression");
      return nullptr;
    }
    if (peek().is("(")) return parseCall(t);
    auto n = make(NodeKind::kPath, t.offset, t.offset + t.length);
    n->root = t.text;
    if (const FunctionSpec* f = findFunction(t.text)) {
      error(t.offset, "'" + t.text + "' is a function: call it as " + std::string(f->usage));
    } else if (std::find(options_.roots.begin(), options_.roots.end(), t.text) ==
               options_.roots.end()) {
      error(t.offset, unknownNameMessage(t.text, options_.roots));
    }
    return n;
  }

  std::unique_ptr<Node> parseCall(const Token& name) {
    auto n = make(NodeKind::kCall, name.offset, name.offset);
    n->function = findFunction(name.text);
    if (!n->function) {
      std::string hint = closestMatch(name.text, functionNames());
      error(name.offset, "unknown function '" + name.text + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    } else {
      n->type = n->function->result;
      n->named.resize(n->function->named.size());
    }
    size_t open = take().offset;
    std::vector<size_t> arg_offsets;
    while (!peek().is(")")) {
      if (peek().kind == TokenKind::kIdent && peek(1).is(":")) {
        if (!namedArgument(*n)) return nullptr;
      } else {
        size_t arg_offset = peek().offset;
        auto arg = parseOr();
        if (!arg) return nullptr;
        if (std::any_of(n->named.begin(), n->named.end(),
                        [](const auto& a) { return a != nullptr; })) {
          error(arg_offset, "a positional argument cannot follow a named one");
        }
        arg_offsets.push_back(arg_offset);
        n->children.push_back(std::move(arg));
      }
      if (accept(",")) continue;
      if (!peek().is(")")) {
        syntaxError(peek().offset, "unexpected " + describe(peek()) +
                                       " — expected ',' or ')' to close '(' at column " +
                                       std::to_string(positionOf(open).column));
        return nullptr;
      }
    }
    take();
    n->end = lastEnd();
    if (n->function) {
      for (const auto& [offset, message] : checkCall(*n, arg_offsets, name.offset))
        error(offset, message);
    }
    return n;
  }

  bool namedArgument(Node& call) {
    const Token& name = take();
    take();  // ':'
    auto value = parseOr();
    if (!value) return false;
    if (!call.function) return true;
    const auto& allowed = call.function->named;
    auto it = std::find(allowed.begin(), allowed.end(), name.text);
    if (it == allowed.end()) {
      std::vector<std::string> candidates(allowed.begin(), allowed.end());
      std::string hint = closestMatch(name.text, candidates);
      error(name.offset, std::string(call.function->name) + "() has no argument '" + name.text +
                             "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      return true;
    }
    size_t slot = static_cast<size_t>(it - allowed.begin());
    if (call.named[slot]) {
      error(name.offset, "argument '" + name.text + "' is given twice");
      return true;
    }
    if (auto problem = checkArgument(call.function->named_types[slot], *value)) {
      error(value->begin, "'" + name.text + ":' " + *problem);
    }
    call.named[slot] = std::move(value);
    return true;
  }

  std::string_view source_;
  SourcePos origin_;
  const CompileOptions& options_;
  Diagnostics& diagnostics_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int errors_ = 0;
  int depth_ = 0;
  size_t first_lex_error_ = std::string_view::npos;
};

}  // namespace

std::unique_ptr<Node> parseExpression(std::string_view source, const SourcePos& origin,
                                      const CompileOptions& options, Diagnostics& diagnostics) {
  return Parser(source, origin, options, diagnostics).run();
}

}  // namespace journeyd
