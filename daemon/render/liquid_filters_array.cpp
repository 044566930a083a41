// Array filters (and slice/size/first/last, which also take strings).
#include <algorithm>

#include "daemon/render/liquid_filters.h"
#include "daemon/render/utf8.h"

namespace journeyd {
namespace {

/// The input as an array: arrays as is, nil as [], anything else as a one-element array.
Json asArray(const Json& v) {
  if (v.is_array()) return v;
  if (v.is_null()) return Json::array();
  return Json::array({v});
}

const Json& property(const Json& item, const Json* prop) {
  static const Json kNull;
  if (prop == nullptr) return item;
  if (!item.is_object()) return kNull;
  auto it = item.find(toText(*prop));
  return it == item.end() ? kNull : *it;
}

int typeRank(const Json& j) {
  if (j.is_number()) return 0;
  if (j.is_string()) return 1;
  if (j.is_boolean()) return 2;
  return 3;
}

/// Ordering for sort: comparable values by value, nil last, otherwise grouped by type.
bool sortLess(const Json& a, const Json& b, bool natural) {
  if (a.is_null() || b.is_null()) return !a.is_null() && b.is_null();
  if (natural && a.is_string() && b.is_string()) {
    return utf8Lower(a.get_ref<const std::string&>()) < utf8Lower(b.get_ref<const std::string&>());
  }
  if (auto c = liquidCompare(a, b)) return *c < 0;
  return typeRank(a) < typeRank(b);
}

bool sortImpl(FilterContext& ctx, bool natural) {
  Json arr = asArray(ctx.value.get());
  const Json* prop = ctx.arg(0);
  std::stable_sort(arr.begin(), arr.end(), [&](const Json& a, const Json& b) {
    return sortLess(property(a, prop), property(b, prop), natural);
  });
  return setResult(ctx, std::move(arr)), true;
}
bool fSort(FilterContext& ctx) { return sortImpl(ctx, false); }
bool fSortNatural(FilterContext& ctx) { return sortImpl(ctx, true); }

bool fJoin(FilterContext& ctx) {
  const Json& v = ctx.value.get();
  if (!v.is_array()) return setResult(ctx, toText(v)), true;
  const std::string sep = ctx.arg(0) != nullptr ? toText(*ctx.arg(0)) : " ";
  std::string out;
  bool first = true;
  for (const auto& e : v) {
    if (!first) out += sep;
    first = false;
    appendText(out, e);
  }
  return setResult(ctx, std::move(out)), true;
}

bool firstLast(FilterContext& ctx, bool last) {
  const Json& v = ctx.value.get();
  if (v.is_array()) {
    if (v.empty()) return setResult(ctx, nullptr), true;
    ctx.value = ctx.value.child(last ? v.back() : v.front());
    return true;
  }
  if (v.is_string() && !v.get_ref<const std::string&>().empty()) {
    const auto& s = v.get_ref<const std::string&>();
    const std::size_t n = utf8Length(s);
    return setResult(ctx, std::string(utf8Substr(s, last ? n - 1 : 0, 1))), true;
  }
  return setResult(ctx, nullptr), true;
}
bool fFirst(FilterContext& ctx) { return firstLast(ctx, false); }
bool fLast(FilterContext& ctx) { return firstLast(ctx, true); }

bool fSize(FilterContext& ctx) {
  const Json& v = ctx.value.get();
  std::size_t n = 0;
  if (v.is_string())
    n = utf8Length(v.get_ref<const std::string&>());
  else if (v.is_array() || v.is_object())
    n = v.size();
  return setResult(ctx, n), true;
}

bool fReverse(FilterContext& ctx) {
  Json arr = asArray(ctx.value.get());
  std::reverse(arr.begin(), arr.end());
  return setResult(ctx, std::move(arr)), true;
}

bool fUniq(FilterContext& ctx) {
  const Json arr = asArray(ctx.value.get());
  const Json* prop = ctx.arg(0);
  Json out = Json::array();
  std::vector<const Json*> seen;
  for (const auto& e : arr) {
    const Json& key = property(e, prop);
    if (std::any_of(seen.begin(), seen.end(), [&](const Json* s) { return *s == key; })) continue;
    seen.push_back(&key);
    out.push_back(e);
  }
  return setResult(ctx, std::move(out)), true;
}

bool fMap(FilterContext& ctx) {
  const Json arr = asArray(ctx.value.get());
  Json out = Json::array();
  for (const auto& e : arr) out.push_back(property(e, ctx.arg(0)));
  return setResult(ctx, std::move(out)), true;
}

bool fWhere(FilterContext& ctx) {
  const Json arr = asArray(ctx.value.get());
  const Json* want = ctx.arg(1);
  Json out = Json::array();
  for (const auto& e : arr) {
    const Json& v = property(e, ctx.arg(0));
    if (want == nullptr ? isTruthy(v) : liquidEquals(v, *want)) out.push_back(e);
  }
  return setResult(ctx, std::move(out)), true;
}

bool fCompact(FilterContext& ctx) {
  const Json arr = asArray(ctx.value.get());
  Json out = Json::array();
  for (const auto& e : arr) {
    if (!property(e, ctx.arg(0)).is_null()) out.push_back(e);
  }
  return setResult(ctx, std::move(out)), true;
}

bool fConcat(FilterContext& ctx) {
  const Json* other = ctx.arg(0);
  if (!other->is_array()) return ctx.fail("expects an array argument");
  Json arr = asArray(ctx.value.get());
  for (const auto& e : *other) arr.push_back(e);
  return setResult(ctx, std::move(arr)), true;
}

bool fSlice(FilterContext& ctx) {
  const Json& v = ctx.value.get();
  const auto offset_arg = toInteger(*ctx.arg(0));
  if (!offset_arg) return ctx.fail("offset must be a number");
  std::int64_t offset = *offset_arg;
  const std::int64_t length = ctx.arg(1) != nullptr ? toInteger(*ctx.arg(1)).value_or(1) : 1;
  auto window = [&](std::int64_t n, std::int64_t& from, std::int64_t& count) {
    from = offset < 0 ? offset + n : offset;
    if (from < 0 || from > n || length < 0) return false;
    count = std::min(length, n - from);
    return true;
  };
  std::int64_t from = 0, count = 0;
  if (v.is_array()) {
    Json out = Json::array();
    if (window(static_cast<std::int64_t>(v.size()), from, count)) {
      for (std::int64_t i = from; i < from + count; ++i)
        out.push_back(v[static_cast<std::size_t>(i)]);
    }
    return setResult(ctx, std::move(out)), true;
  }
  const std::string s = toText(v);
  if (!window(static_cast<std::int64_t>(utf8Length(s)), from, count))
    return setResult(ctx, ""), true;
  return setResult(ctx, std::string(utf8Substr(s, static_cast<std::size_t>(from),
                                               static_cast<std::size_t>(count)))),
         true;
}

bool fSum(FilterContext& ctx) {
  const Json arr = asArray(ctx.value.get());
  std::int64_t isum = 0;
  double fsum = 0;
  bool is_float = false;
  for (const auto& e : arr) {
    const Json n = toNumber(property(e, ctx.arg(0)));
    if (n.is_number_float()) is_float = true;
    fsum += n.get<double>();
    if (!n.is_number_float()) isum += n.get<std::int64_t>();
  }
  return is_float ? setResult(ctx, fsum) : setResult(ctx, isum), true;
}

}  // namespace

void addArrayFilters(std::vector<FilterDef>& out) {
  out.insert(out.end(), {
                            {"join", fJoin, 0, 1},
                            {"first", fFirst, 0, 0},
                            {"last", fLast, 0, 0},
                            {"size", fSize, 0, 0},
                            {"reverse", fReverse, 0, 0},
                            {"sort", fSort, 0, 1},
                            {"sort_natural", fSortNatural, 0, 1},
                            {"uniq", fUniq, 0, 1},
                            {"map", fMap, 1, 1},
                            {"where", fWhere, 1, 2},
                            {"compact", fCompact, 0, 1},
                            {"concat", fConcat, 1, 1},
                            {"slice", fSlice, 1, 2},
                            {"sum", fSum, 0, 1},
                        });
}

}  // namespace journeyd
