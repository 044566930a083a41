// Recursive-descent parser from segments/tokens to the LiquidAst tree.
#include <algorithm>
#include <charconv>
#include <initializer_list>

#include "daemon/render/liquid_ast.h"
#include "daemon/render/liquid_expr_parser.h"
#include "daemon/render/liquid_lexer.h"

namespace journeyd {
namespace {

using TK = LiquidToken::Kind;

/// Builds the node tree from the segments, reporting every syntax error it can find.
class Parser {
 public:
  Parser(LiquidAst& ast, const LiquidTemplate& tmpl, Diagnostics& diags)
      : ast_(ast), tmpl_(tmpl), diags_(diags) {}

  bool run() {
    std::vector<LiquidLexError> lex_errors;
    segs_ = splitTemplate(ast_.source, lex_errors);
    for (const auto& e : lex_errors) error(e.offset, e.message);
    const std::size_t stop = parseBlock(ast_.root, {});
    (void)stop;
    return !failed_;
  }

 private:
  void error(std::uint32_t offset, const std::string& msg) {
    failed_ = true;
    diags_.error(tmpl_.positionOf(offset), msg);
  }

  ExprParser exprFor(std::string_view markup, std::uint32_t offset) {
    std::vector<LiquidToken> toks;
    LiquidLexError err{};
    if (!lexMarkup(markup, offset, toks, err)) throw SyntaxError{err.offset, err.message};
    return ExprParser(std::move(toks));
  }

  /// Parses nodes into `out` until a tag named in `stops`; returns that segment's index, or
  /// segs_.size() at the end of input.
  std::size_t parseBlock(Block& out, std::initializer_list<std::string_view> stops) {
    while (i_ < segs_.size()) {
      const Segment& s = segs_[i_];
      if (s.kind == Segment::Kind::kText) {
        out.push_back({s.offset, TextNode{s.text}});
        ++i_;
        continue;
      }
      if (s.kind == Segment::Kind::kOutput) {
        ++i_;
        try {
          auto p = exprFor(s.text, s.markup_offset);
          if (p.peek().kind == TK::kEnd) {
            out.push_back({s.offset, TextNode{}});  // `{{ }}` renders nothing
            continue;
          }
          OutputNode node{p.filtered()};
          p.expectEnd();
          out.push_back({s.offset, std::move(node)});
        } catch (const SyntaxError& e) {
          error(e.offset, e.message);
        }
        continue;
      }
      if (std::find(stops.begin(), stops.end(), s.tag_name) != stops.end()) return i_;
      ++i_;
      parseTag(s, out);
    }
    return i_;
  }

  void parseTag(const Segment& s, Block& out) {
    const std::string_view name = s.tag_name;
    try {
      if (name == "if" || name == "unless") return parseIf(s, out, name == "unless");
      if (name == "case") return parseCase(s, out);
      if (name == "for") return parseFor(s, out);
      if (name == "capture") return parseCapture(s, out);
      if (name == "#") return;
      if (name == "assign") {
        auto p = exprFor(s.tag_args, s.args_offset);
        AssignNode node;
        node.name = std::string(p.expect(TK::kIdent, "a variable name").text);
        p.expect(TK::kAssign, "'='");
        node.expr = p.filtered();
        p.expectEnd();
        out.push_back({s.offset, std::move(node)});
        return;
      }
      if (name == "echo") {
        auto p = exprFor(s.tag_args, s.args_offset);
        OutputNode node{p.filtered()};
        p.expectEnd();
        out.push_back({s.offset, std::move(node)});
        return;
      }
      if (name == "increment" || name == "decrement") {
        auto p = exprFor(s.tag_args, s.args_offset);
        CounterNode node{std::string(p.expect(TK::kIdent, "a counter name").text),
                         name == "increment" ? 1 : -1};
        p.expectEnd();
        out.push_back({s.offset, std::move(node)});
        return;
      }
      if (name == "cycle") return parseCycle(s, out);
      if (name == "break" || name == "continue") {
        if (loop_depth_ == 0)
          throw SyntaxError{s.offset, "'" + std::string(name) + "' outside a for loop"};
        if (name == "break")
          out.push_back({s.offset, BreakNode{}});
        else
          out.push_back({s.offset, ContinueNode{}});
        return;
      }
      static const std::vector<std::string> kTags = {
          "if",        "unless",    "case",  "for",   "capture",  "assign", "echo",
          "increment", "decrement", "cycle", "break", "continue", "raw",    "comment"};
      std::string msg;
      if (name.starts_with("end") || name == "else" || name == "elsif" || name == "when") {
        msg = "unexpected '" + std::string(name) + "' (no open tag it could belong to)";
      } else {
        msg = "unknown tag '" + std::string(name) + "'";
        const std::string hint = closestMatch(std::string(name), kTags);
        if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
      }
      throw SyntaxError{s.offset, msg};
    } catch (const SyntaxError& e) {
      error(e.offset, e.message);
    }
  }

  /// Consumes the closing tag at segs_[stop] or reports the unclosed opener.
  bool closeAt(std::size_t stop, const Segment& opener) {
    if (stop >= segs_.size()) {
      error(opener.offset, "'" + std::string(opener.tag_name) + "' tag was never closed");
      return false;
    }
    return true;
  }

  void checkNoArgs(const Segment& s) {
    if (!s.tag_args.empty())
      error(s.args_offset, "'" + std::string(s.tag_name) + "' takes no arguments");
  }

  void parseIf(const Segment& s, Block& out, bool unless) {
    const std::string end_name = unless ? "endunless" : "endif";
    IfNode node;
    IfNode::Branch first;
    first.negate = unless;
    try {
      first.cond = exprFor(s.tag_args, s.args_offset).condition();
    } catch (const SyntaxError& e) {
      error(e.offset,
            e.message);  // still parse the body, so its own errors and the end tag are seen
    }
    node.branches.push_back(std::move(first));
    Block* body = &node.branches.back().body;
    bool in_else = false;
    for (;;) {
      const std::size_t stop = parseBlock(*body, {"elsif", "else", end_name});
      if (!closeAt(stop, s)) return;
      const Segment& t = segs_[i_++];
      if (t.tag_name == end_name) {
        checkNoArgs(t);
        break;
      }
      if (in_else) {
        error(t.offset, "'" + std::string(t.tag_name) + "' after 'else'");
        body = &scratch_;
        continue;
      }
      if (t.tag_name == "else") {
        checkNoArgs(t);
        in_else = true;
        body = &node.else_body;
      } else {
        IfNode::Branch b;
        try {
          b.cond = exprFor(t.tag_args, t.args_offset).condition();
        } catch (const SyntaxError& e) {
          error(e.offset, e.message);
        }
        node.branches.push_back(std::move(b));
        body = &node.branches.back().body;
      }
    }
    out.push_back({s.offset, std::move(node)});
  }

  void parseCase(const Segment& s, Block& out) {
    CaseNode node;
    try {
      auto p = exprFor(s.tag_args, s.args_offset);
      node.subject = p.primary();
      p.expectEnd();
    } catch (const SyntaxError& e) {
      error(e.offset, e.message);
    }
    Block ignored;  // whitespace between `case` and the first `when`
    Block* body = &ignored;
    bool in_else = false;
    for (;;) {
      const std::size_t stop = parseBlock(*body, {"when", "else", "endcase"});
      if (!closeAt(stop, s)) return;
      const Segment& t = segs_[i_++];
      if (t.tag_name == "endcase") break;
      if (in_else) {
        error(t.offset, "'" + std::string(t.tag_name) + "' after 'else'");
        body = &scratch_;
        continue;
      }
      if (t.tag_name == "else") {
        in_else = true;
        body = &node.else_body;
        continue;
      }
      CaseNode::When w;
      try {
        auto wp = exprFor(t.tag_args, t.args_offset);
        do {
          w.values.push_back(wp.primary());
        } while (wp.accept(TK::kComma) || wp.acceptWord("or"));
        wp.expectEnd();
      } catch (const SyntaxError& e) {
        error(e.offset, e.message);
      }
      node.whens.push_back(std::move(w));
      body = &node.whens.back().body;
    }
    for (const auto& n : ignored) {
      if (const auto* text = std::get_if<TextNode>(&n.v)) {
        if (text->text.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
      }
      error(n.offset, "only 'when' and 'else' may follow 'case'");
      break;
    }
    out.push_back({s.offset, std::move(node)});
  }

  void parseFor(const Segment& s, Block& out) {
    ForNode node;
    try {
      auto p = exprFor(s.tag_args, s.args_offset);
      node.var = std::string(p.expect(TK::kIdent, "a loop variable name").text);
      if (!p.acceptWord("in")) p.fail("expected 'in'" + ExprParser::describe(p.peek()));
      node.collection = p.primary();
      {
        // The loop's name, for offset: continue: the variable and the collection as written.
        const std::string_view args = s.tag_args;
        const auto in = args.find(" in ");
        std::string_view rest =
            in == std::string_view::npos ? std::string_view() : args.substr(in + 4);
        rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
        node.name = node.var + "-" + std::string(rest.substr(0, rest.find_first_of(" \t")));
      }
      for (;;) {
        if (p.acceptWord("reversed")) {
          node.reversed = true;
        } else if (p.acceptWord("limit")) {
          p.expect(TK::kColon, "':' after limit");
          node.has_limit = true;
          node.limit = p.primary();
        } else if (p.acceptWord("offset")) {
          p.expect(TK::kColon, "':' after offset");
          node.has_offset = true;
          if (p.acceptWord("continue")) {
            node.offset_continue = true;
          } else {
            node.offset_continue = false;  // the last offset written wins
            node.offset = p.primary();
          }
        } else {
          break;
        }
        p.accept(TK::kComma);
      }
      p.expectEnd();
    } catch (const SyntaxError& e) {
      error(e.offset, e.message);
    }
    ++loop_depth_;
    std::size_t stop = parseBlock(node.body, {"else", "endfor"});
    --loop_depth_;
    if (!closeAt(stop, s)) return;
    if (segs_[i_++].tag_name == "else") {
      stop = parseBlock(node.else_body, {"endfor"});
      if (!closeAt(stop, s)) return;
      ++i_;
    }
    out.push_back({s.offset, std::move(node)});
  }

  void parseCapture(const Segment& s, Block& out) {
    CaptureNode node;
    try {
      auto p = exprFor(s.tag_args, s.args_offset);
      const LiquidToken& tok = p.peek();
      if (tok.kind != TK::kIdent && tok.kind != TK::kString) p.fail("expected a variable name");
      node.name = std::string(p.next().text);
      p.expectEnd();
    } catch (const SyntaxError& e) {
      error(e.offset, e.message);
    }
    const std::size_t stop = parseBlock(node.body, {"endcapture"});
    if (!closeAt(stop, s)) return;
    ++i_;
    out.push_back({s.offset, std::move(node)});
  }

  void parseCycle(const Segment& s, Block& out) {
    CycleNode node;
    auto p = exprFor(s.tag_args, s.args_offset);
    std::vector<Expr> values;
    values.push_back(p.primary());
    if (p.accept(TK::kColon)) {
      node.group = toText(values[0].literal);
      values.clear();
      values.push_back(p.primary());
    }
    while (p.accept(TK::kComma)) values.push_back(p.primary());
    p.expectEnd();
    if (node.group.empty()) {
      for (const auto& v : values)
        node.group += v.kind == Expr::Kind::kVariable ? v.head : toText(v.literal) + ",";
    }
    node.values = std::move(values);
    out.push_back({s.offset, std::move(node)});
  }

  LiquidAst& ast_;
  const LiquidTemplate& tmpl_;
  Diagnostics& diags_;
  std::vector<Segment> segs_;
  std::size_t i_ = 0;
  int loop_depth_ = 0;
  bool failed_ = false;
  Block scratch_;  // swallows nodes after a misplaced tag so parsing can go on
};

}  // namespace

bool parseLiquid(LiquidAst& ast, const LiquidTemplate& tmpl, Diagnostics& diags) {
  Parser parser(ast, tmpl, diags);
  return parser.run();
}

}  // namespace journeyd
