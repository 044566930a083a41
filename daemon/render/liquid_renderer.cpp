// Tree-walking evaluation of a compiled LiquidAst, plus LiquidTemplate's public functions.
#include <algorithm>
#include <array>
#include <map>

#include "daemon/render/liquid_ast.h"
#include "daemon/render/utf8.h"

namespace journeyd {
namespace {

/// What `forloop` reports for one active loop.
struct LoopState {
  std::int64_t index0 = 0;
  std::int64_t length = 0;
};

/// A loop variable (innermost last).
struct Scope {
  std::string_view name;
  LiquidValue value;
};

/// A variable set by assign or capture; shared so loops over it stay valid if it is reassigned.
struct Assigned {
  std::string name;
  std::shared_ptr<const Json> value;
  bool html_safe = false;  ///< captured text: its outputs were escaped already
};

/// One render's state; lives on the caller's stack.
class Renderer {
 public:
  Renderer(const LiquidTemplate& tmpl, const Json& vars, const RenderOptions& options,
           std::string& out)
      : tmpl_(tmpl),
        vars_(vars),
        options_(options),
        out_(&out),
        escape_html_(options.escape_html),
        escape_json_(options.escape_json) {}

  bool renderBlock(const Block& block) {
    for (const LiquidNode& node : block) {
      if (!renderNode(node)) return false;
      if (interrupt_ != Interrupt::kNone) return true;
    }
    return true;
  }

  Error error_;

 private:
  enum class Interrupt { kNone, kBreak, kContinue };

  bool fail(std::uint32_t offset, const std::string& message) {
    Diagnostic d{tmpl_.positionOf(offset), Severity::kError, message};
    error_ = Error::invalid(d.format());
    return false;
  }

  bool renderNode(const LiquidNode& node) {
    switch (node.v.index()) {
      case 0:
        out_->append(std::get<TextNode>(node.v).text);
        return true;
      case 1:
        return renderOutput(std::get<OutputNode>(node.v).expr);
      case 2:
        return renderIf(std::get<IfNode>(node.v));
      case 3:
        return renderCase(std::get<CaseNode>(node.v));
      case 4:
        return renderFor(std::get<ForNode>(node.v), node.offset);
      case 5: {
        const auto& a = std::get<AssignNode>(node.v);
        LiquidValue v;
        if (!applyFilters(a.expr, v)) return false;
        setVariable(a.name, std::make_shared<const Json>(std::move(v).take()), false);
        return true;
      }
      case 6: {
        const auto& c = std::get<CaptureNode>(node.v);
        std::string buf;
        std::string* saved = out_;
        out_ = &buf;
        const bool ok = renderBlock(c.body);
        out_ = saved;
        if (!ok) return false;
        setVariable(c.name, std::make_shared<const Json>(std::move(buf)),
                    escape_html_ || escape_json_);
        return true;
      }
      case 7: {
        const auto& c = std::get<CounterNode>(node.v);
        auto it = std::find_if(counters_.begin(), counters_.end(),
                               [&](const auto& p) { return p.first == c.name; });
        if (it == counters_.end()) it = counters_.insert(counters_.end(), {c.name, 0});
        if (c.delta < 0) --it->second;
        appendText(*out_, Json(it->second));
        if (c.delta > 0) ++it->second;
        return true;
      }
      case 8: {
        const auto& c = std::get<CycleNode>(node.v);
        auto it = std::find_if(cycles_.begin(), cycles_.end(),
                               [&](const auto& p) { return p.first == c.group; });
        if (it == cycles_.end()) it = cycles_.insert(cycles_.end(), {c.group, 0});
        LiquidValue v = eval(c.values[it->second % c.values.size()]);
        ++it->second;
        writeEscaped(v.get(), false, false);
        return true;
      }
      case 9:
        interrupt_ = Interrupt::kBreak;
        return true;
      default:
        interrupt_ = Interrupt::kContinue;
        return true;
    }
  }

  void setVariable(const std::string& name, std::shared_ptr<const Json> value, bool safe) {
    for (auto& a : assigns_) {
      if (a.name == name) {
        a.value = std::move(value);
        a.html_safe = safe;
        return;
      }
    }
    assigns_.push_back({name, std::move(value), safe});
  }

  void writeEscaped(const Json& j, bool html_safe, bool json_safe) {
    const bool esc_html = escape_html_ && !html_safe;
    const bool esc_json = escape_json_ && !json_safe;
    if (!esc_html && !esc_json) {
      appendText(*out_, j);
      return;
    }
    if (j.is_number() || j.is_boolean() || j.is_null()) {
      appendText(*out_, j);
      return;
    }
    if (j.is_string()) {
      const auto& s = j.get_ref<const std::string&>();
      esc_html ? appendHtmlEscaped(*out_, s) : appendJsonEscaped(*out_, s);
      return;
    }
    const std::string text = toText(j);
    esc_html ? appendHtmlEscaped(*out_, text) : appendJsonEscaped(*out_, text);
  }

  bool renderOutput(const FilteredExpr& expr) {
    LiquidValue v;
    if (!applyFilters(expr, v)) return false;
    bool html_safe = false, json_safe = false;
    if (!expr.filters.empty()) {
      const unsigned flags = expr.filters.back().def->flags;
      html_safe = (flags & kHtmlSafe) != 0;
      json_safe = (flags & kJsonSafe) != 0;
    } else if (expr.base.kind == Expr::Kind::kVariable && expr.base.path.empty()) {
      for (const auto& a : assigns_) {
        if (a.name == expr.base.head && a.html_safe && !isShadowedByLoop(a.name))
          html_safe = json_safe = true;
      }
    }
    writeEscaped(v.get(), html_safe, json_safe);
    return true;
  }

  bool isShadowedByLoop(std::string_view name) const {
    return std::any_of(scopes_.begin(), scopes_.end(),
                       [&](const Scope& s) { return s.name == name; });
  }

  bool applyFilters(const FilteredExpr& expr, LiquidValue& v) {
    v = eval(expr.base);
    for (const FilterCall& call : expr.filters) {
      std::array<LiquidValue, kMaxFilterArgs> args;
      const std::size_t n = call.args.size();
      for (std::size_t i = 0; i < n; ++i) args[i] = eval(call.args[i]);
      std::vector<std::pair<std::string, LiquidValue>> named;
      for (const auto& [k, e] : call.named) named.emplace_back(k, eval(e));
      FilterContext ctx{v, std::span<const LiquidValue>(args.data(), n), named, options_, cache_,
                        {}};
      if (!call.def->fn(ctx))
        return fail(call.offset, std::string(call.def->name) + ": " + ctx.error);
    }
    return true;
  }

  LiquidValue eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return LiquidValue::borrow(e.literal);
      case Expr::Kind::kVariable:
        return lookup(e);
      case Expr::Kind::kRange: {
        const auto from = toInteger(eval(*e.range_from).get()).value_or(0);
        const auto to = toInteger(eval(*e.range_to).get()).value_or(0);
        Json arr = Json::array();
        // Only for ranges used as values (`(1..5) | join`); loops iterate ranges lazily.
        for (auto i = from; i <= to && i - from < 100000; ++i) arr.push_back(i);
        return LiquidValue(std::move(arr));
      }
      default:
        return LiquidValue();
    }
  }

  LiquidValue lookupHead(const Expr& e, std::size_t& first_step) {
    first_step = 0;
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->name == e.head) return it->value.child(it->value.get());
    }
    if (e.head_is_forloop && !loops_.empty()) return forloopValue(e, first_step);
    for (auto it = assigns_.rbegin(); it != assigns_.rend(); ++it) {
      if (it->name == e.head) return LiquidValue::borrow(*it->value, it->value);
    }
    if (const Json* found = findMember(vars_, e.head)) return LiquidValue::borrow(*found);
    return LiquidValue();
  }

  LiquidValue forloopValue(const Expr& e, std::size_t& first_step) {
    std::size_t depth = loops_.size() - 1;
    std::size_t i = 0;
    while (i < e.path.size() && e.path[i].kind == PathStep::Kind::kKey &&
           e.path[i].key == "parentloop") {
      if (depth == 0) {
        first_step = e.path.size();
        return LiquidValue();
      }
      --depth;
      ++i;
    }
    const LoopState& l = loops_[depth];
    auto field = [&](std::string_view k) -> Json {
      if (k == "index") return l.index0 + 1;
      if (k == "index0") return l.index0;
      if (k == "rindex") return l.length - l.index0;
      if (k == "rindex0") return l.length - l.index0 - 1;
      if (k == "first") return l.index0 == 0;
      if (k == "last") return l.index0 == l.length - 1;
      if (k == "length") return l.length;
      return nullptr;
    };
    if (i < e.path.size() && e.path[i].kind == PathStep::Kind::kKey) {
      first_step = i + 1;
      return LiquidValue(field(e.path[i].key));
    }
    first_step = i;
    Json obj = Json::object();
    for (const char* k : {"index", "index0", "rindex", "rindex0", "first", "last", "length"})
      obj[k] = field(k);
    return LiquidValue(std::move(obj));
  }

  LiquidValue lookup(const Expr& e) {
    std::size_t step_index = 0;
    LiquidValue cur = lookupHead(e, step_index);
    for (; step_index < e.path.size(); ++step_index) {
      const PathStep& step = e.path[step_index];
      const Json& j = cur.get();
      if (j.is_null()) return LiquidValue();
      if (step.kind == PathStep::Kind::kDynamic) {
        LiquidValue key = eval(*step.dynamic);
        const Json& k = key.get();
        if (k.is_string())
          cur = memberOf(cur, k.get_ref<const std::string&>());
        else if (k.is_number_integer())
          cur = elementOf(cur, k.get<std::int64_t>());
        else
          return LiquidValue();
      } else if (step.kind == PathStep::Kind::kIndex) {
        cur = elementOf(cur, step.index);
      } else {
        cur = memberOf(cur, step.key);
      }
    }
    return cur;
  }

  bool compare(const Comparison& c) {
    if (c.op == CompareOp::kNone) {
      if (c.left.kind == Expr::Kind::kEmpty || c.left.kind == Expr::Kind::kBlank) return false;
      return isTruthy(eval(c.left).get());
    }
    const Expr* special = nullptr;
    const Expr* other = nullptr;
    if (c.right.kind == Expr::Kind::kEmpty || c.right.kind == Expr::Kind::kBlank) {
      special = &c.right, other = &c.left;
    } else if (c.left.kind == Expr::Kind::kEmpty || c.left.kind == Expr::Kind::kBlank) {
      special = &c.left, other = &c.right;
    }
    if (special != nullptr && (c.op == CompareOp::kEq || c.op == CompareOp::kNe)) {
      const LiquidValue v = eval(*other);
      const bool is =
          special->kind == Expr::Kind::kEmpty ? isEmptyValue(v.get()) : isBlankValue(v.get());
      return c.op == CompareOp::kEq ? is : !is;
    }
    const LiquidValue lv = eval(c.left);
    const LiquidValue rv = eval(c.right);
    const Json& l = lv.get();
    const Json& r = rv.get();
    switch (c.op) {
      case CompareOp::kEq:
        return liquidEquals(l, r);
      case CompareOp::kNe:
        return !liquidEquals(l, r);
      case CompareOp::kContains:
        if (l.is_string()) {
          if (r.is_null()) return false;
          return l.get_ref<const std::string&>().find(toText(r)) != std::string::npos;
        }
        if (l.is_array()) {
          return std::any_of(l.begin(), l.end(), [&](const Json& x) { return liquidEquals(x, r); });
        }
        if (l.is_object() && r.is_string()) return l.contains(r.get_ref<const std::string&>());
        return false;
      default: {
        const auto cmp = liquidCompare(l, r);
        if (!cmp) return false;
        if (c.op == CompareOp::kLt) return *cmp < 0;
        if (c.op == CompareOp::kGt) return *cmp > 0;
        if (c.op == CompareOp::kLe) return *cmp <= 0;
        return *cmp >= 0;
      }
    }
  }

  bool test(const Condition& cond) {
    if (cond.terms.empty()) return false;
    bool result = compare(cond.terms.back());
    for (std::size_t i = cond.terms.size() - 1; i-- > 0;) {
      const bool left = compare(cond.terms[i]);
      result = cond.is_and[i] ? (left && result) : (left || result);
    }
    return result;
  }

  bool renderIf(const IfNode& node) {
    for (const auto& b : node.branches) {
      if (test(b.cond) != b.negate) return renderBlock(b.body);
    }
    return renderBlock(node.else_body);
  }

  bool renderCase(const CaseNode& node) {
    const LiquidValue subject = eval(node.subject);
    bool matched = false;
    for (const auto& w : node.whens) {
      // Like Shopify, every matching `when` renders, not only the first.
      const bool hit = std::any_of(w.values.begin(), w.values.end(), [&](const Expr& e) {
        return liquidEquals(subject.get(), eval(e).get());
      });
      if (!hit) continue;
      matched = true;
      if (!renderBlock(w.body)) return false;
      if (interrupt_ != Interrupt::kNone) return true;
    }
    return matched ? true : renderBlock(node.else_body);
  }

  bool renderFor(const ForNode& node, std::uint32_t offset) {
    // A range literal is iterated without building it, so (1..n) costs nothing up front.
    const bool is_range = node.collection.kind == Expr::Kind::kRange;
    std::int64_t range_from = 0;
    std::int64_t range_n = 0;
    if (is_range) {
      range_from = toInteger(eval(*node.collection.range_from).get()).value_or(0);
      const auto range_to = toInteger(eval(*node.collection.range_to).get()).value_or(0);
      range_n = std::max<std::int64_t>(0, range_to - range_from + 1);
    }
    const LiquidValue coll = is_range ? LiquidValue() : eval(node.collection);
    const Json& j = coll.get();
    Json pairs;  // a hash iterates as [key, value] pairs
    const Json* items = nullptr;
    if (is_range) {
      // items stays null; indices map to range_from + idx
    } else if (j.is_array()) {
      items = &j;
    } else if (j.is_object()) {
      pairs = Json::array();
      for (auto it = j.begin(); it != j.end(); ++it)
        pairs.push_back(Json::array({it.key(), it.value()}));
      items = &pairs;
    } else if (j.is_string() && !j.get_ref<const std::string&>().empty()) {
      pairs = Json::array({j});
      items = &pairs;
    }
    const auto n =
        is_range ? range_n : (items != nullptr ? static_cast<std::int64_t>(items->size()) : 0);
    // Shopify's slice: from = offset (or where the last loop of this name stopped, with
    // offset: continue), to = from + limit, both before clamping to the collection, so a
    // negative offset shortens the slice rather than moving it.
    std::int64_t from = 0;
    if (node.offset_continue) {
      auto it = loop_offsets_.find(node.name);
      from = it == loop_offsets_.end() ? 0 : it->second;
    } else if (node.has_offset) {
      from = toInteger(eval(node.offset).get()).value_or(0);
    }
    std::int64_t to = n;
    if (node.has_limit) to = std::min(n, from + toInteger(eval(node.limit).get()).value_or(0));
    from = std::clamp<std::int64_t>(from, 0, n);
    to = std::max(to, from);
    loop_offsets_[node.name] = to;
    const std::int64_t count = to - from;
    if (count <= 0) return renderBlock(node.else_body);
    iterations_ += count;
    if (iterations_ > options_.max_iterations) {
      return fail(offset,
                  "more than " + std::to_string(options_.max_iterations) + " loop iterations");
    }
    scopes_.push_back({node.var, LiquidValue()});
    loops_.push_back({0, count});
    const std::size_t scope_index = scopes_.size() - 1;
    bool ok = true;
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t idx = node.reversed ? to - 1 - k : from + k;
      if (is_range) {
        scopes_[scope_index].value = LiquidValue(Json(range_from + idx));
      } else {
        const Json& item = (*items)[static_cast<std::size_t>(idx)];
        scopes_[scope_index].value = items == &j ? coll.child(item) : LiquidValue(item);
      }
      loops_.back().index0 = k;
      if (!renderBlock(node.body)) {
        ok = false;
        break;
      }
      if (interrupt_ == Interrupt::kBreak) {
        interrupt_ = Interrupt::kNone;
        break;
      }
      interrupt_ = Interrupt::kNone;
    }
    scopes_.pop_back();
    loops_.pop_back();
    return ok;
  }

  const LiquidTemplate& tmpl_;
  const Json& vars_;
  const RenderOptions& options_;
  std::string* out_;
  bool escape_html_, escape_json_;
  Interrupt interrupt_ = Interrupt::kNone;
  std::map<std::string, std::int64_t>
      loop_offsets_;  ///< where each named loop stopped (offset: continue)
  std::vector<Scope> scopes_;
  std::vector<LoopState> loops_;
  std::vector<Assigned> assigns_;
  std::vector<std::pair<std::string, std::int64_t>> counters_;
  std::vector<std::pair<std::string, std::size_t>> cycles_;
  long iterations_ = 0;
  FilterCache cache_;
};

}  // namespace

Result<void> LiquidTemplate::renderTo(std::string& out, const nlohmann::json& vars,
                                      const RenderOptions& options) const {
  out.reserve(out.size() + ast_->size_hint);
  Renderer r(*this, vars, options, out);
  if (!r.renderBlock(ast_->root)) return fail(std::move(r.error_));
  return ok();
}

Result<std::string> LiquidTemplate::render(const nlohmann::json& vars,
                                           const RenderOptions& options) const {
  std::string out;
  if (auto r = renderTo(out, vars, options); !r) return fail(std::move(r.error()));
  return out;
}

}  // namespace journeyd
