// Math filters (Ruby number semantics: integers stay integers) and the money/number formatters.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "daemon/render/liquid_filters.h"

namespace journeyd {
namespace {

enum class Op { kPlus, kMinus, kTimes, kDiv, kMod };

bool arith(FilterContext& ctx, Op op) {
  const Json a = toNumber(ctx.value.get());
  const Json b = toNumber(*ctx.arg(0));
  if (a.is_number_integer() && b.is_number_integer()) {
    const auto x = a.get<std::int64_t>(), y = b.get<std::int64_t>();
    std::int64_t r = 0;
    switch (op) {
      case Op::kPlus:
        r = x + y;
        break;
      case Op::kMinus:
        r = x - y;
        break;
      case Op::kTimes:
        r = x * y;
        break;
      case Op::kDiv:
      case Op::kMod: {
        if (y == 0) return ctx.fail("divided by 0");
        // Ruby floors integer division and gives the remainder the divisor's sign.
        std::int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) {
          --q;
          m += y;
        }
        r = op == Op::kDiv ? q : m;
        break;
      }
    }
    return setResult(ctx, r), true;
  }
  const double x = a.get<double>(), y = b.get<double>();
  double r = 0;
  switch (op) {
    case Op::kPlus:
      r = x + y;
      break;
    case Op::kMinus:
      r = x - y;
      break;
    case Op::kTimes:
      r = x * y;
      break;
    case Op::kDiv:
      if (y == 0) return ctx.fail("divided by 0");
      r = x / y;
      break;
    case Op::kMod:
      if (y == 0) return ctx.fail("divided by 0");
      r = std::fmod(x, y);
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      break;
  }
  return setResult(ctx, r), true;
}
bool fPlus(FilterContext& ctx) { return arith(ctx, Op::kPlus); }
bool fMinus(FilterContext& ctx) { return arith(ctx, Op::kMinus); }
bool fTimes(FilterContext& ctx) { return arith(ctx, Op::kTimes); }
bool fDividedBy(FilterContext& ctx) { return arith(ctx, Op::kDiv); }
bool fModulo(FilterContext& ctx) { return arith(ctx, Op::kMod); }

bool fRound(FilterContext& ctx) {
  const Json n = toNumber(ctx.value.get());
  const std::int64_t digits = ctx.arg(0) != nullptr ? toInteger(*ctx.arg(0)).value_or(0) : 0;
  if (n.is_number_integer()) return setResult(ctx, n), true;
  const double x = n.get<double>();
  if (digits <= 0) return setResult(ctx, static_cast<std::int64_t>(std::round(x))), true;
  const double scale = std::pow(10.0, static_cast<double>(digits));
  return setResult(ctx, std::round(x * scale) / scale), true;
}
bool floorCeil(FilterContext& ctx, bool ceil) {
  const Json n = toNumber(ctx.value.get());
  if (n.is_number_integer()) return setResult(ctx, n), true;
  const double x = n.get<double>();
  return setResult(ctx, static_cast<std::int64_t>(ceil ? std::ceil(x) : std::floor(x))), true;
}
bool fFloor(FilterContext& ctx) { return floorCeil(ctx, false); }
bool fCeil(FilterContext& ctx) { return floorCeil(ctx, true); }
bool fAbs(FilterContext& ctx) {
  const Json n = toNumber(ctx.value.get());
  if (n.is_number_integer()) return setResult(ctx, std::llabs(n.get<std::int64_t>())), true;
  return setResult(ctx, std::fabs(n.get<double>())), true;
}
bool clampFilter(FilterContext& ctx, bool at_least) {
  const Json a = toNumber(ctx.value.get());
  const Json b = toNumber(*ctx.arg(0));
  const bool take_b =
      at_least ? liquidCompare(a, b).value_or(0) < 0 : liquidCompare(a, b).value_or(0) > 0;
  return setResult(ctx, take_b ? b : a), true;
}
bool fAtLeast(FilterContext& ctx) { return clampFilter(ctx, true); }
bool fAtMost(FilterContext& ctx) { return clampFilter(ctx, false); }

/// "1234567" → "1,234,567" (digits only, no sign).
std::string groupThousands(std::string_view digits) {
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// Fixed-point formatting with grouping: value rounded half away from zero to `decimals`.
std::string formatGrouped(double value, int decimals) {
  static constexpr double kScale[] = {1,   1e1, 1e2, 1e3,  1e4,  1e5, 1e6,
                                      1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
  const bool negative = value < 0;
  const double scale = kScale[std::clamp(decimals, 0, 12)];
  const auto scaled = static_cast<long long>(std::llround(std::fabs(value) * scale));
  const auto unit = static_cast<long long>(scale);
  std::string out = negative && scaled != 0 ? "-" : "";
  out += groupThousands(std::to_string(scaled / unit));
  if (decimals > 0) {
    std::string frac = std::to_string(scaled % unit);
    out += '.';
    out += std::string(static_cast<std::size_t>(decimals) - frac.size(), '0') + frac;
  }
  return out;
}

/// How `money` shows one currency.
struct Currency {
  std::string_view code, symbol;
  int decimals;
};
constexpr Currency kCurrencies[] = {
    {"USD", "$", 2},  {"EUR", "€", 2},   {"GBP", "£", 2},   {"JPY", "¥", 0},    {"CNY", "¥", 2},
    {"RMB", "¥", 2},  {"HKD", "HK$", 2}, {"TWD", "NT$", 2}, {"KRW", "₩", 0},    {"INR", "₹", 2},
    {"AUD", "A$", 2}, {"CAD", "CA$", 2}, {"SGD", "S$", 2},  {"CHF", "CHF ", 2},
};

bool fMoney(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  std::string code = ctx.arg(0) != nullptr ? toText(*ctx.arg(0)) : ctx.options.currency;
  for (auto& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const double amount = toNumber(ctx.value.get()).get<double>();
  for (const auto& c : kCurrencies) {
    if (c.code != code) continue;
    std::string num = formatGrouped(amount, c.decimals);
    std::string out;
    if (!num.empty() && num[0] == '-') {
      out = "-";
      num.erase(0, 1);
    }
    out += c.symbol;
    out += num;
    return setResult(ctx, std::move(out)), true;
  }
  return setResult(ctx, formatGrouped(amount, 2) + " " + code), true;
}

bool fNumber(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  const Json n = toNumber(ctx.value.get());
  if (ctx.arg(0) != nullptr) {
    const auto decimals = std::clamp<std::int64_t>(toInteger(*ctx.arg(0)).value_or(0), 0, 12);
    return setResult(ctx, formatGrouped(n.get<double>(), static_cast<int>(decimals))), true;
  }
  std::string plain = toText(n);
  std::string sign;
  if (!plain.empty() && plain[0] == '-') {
    sign = "-";
    plain.erase(0, 1);
  }
  if (plain.find('e') != std::string::npos) return setResult(ctx, sign + plain), true;
  const std::size_t dot = plain.find('.');
  std::string out = sign + groupThousands(std::string_view(plain).substr(0, dot));
  if (dot != std::string::npos && plain.substr(dot) != ".0") out += plain.substr(dot);
  return setResult(ctx, std::move(out)), true;
}

}  // namespace

void addMathFilters(std::vector<FilterDef>& out) {
  out.insert(out.end(), {
                            {"plus", fPlus, 1, 1},
                            {"minus", fMinus, 1, 1},
                            {"times", fTimes, 1, 1},
                            {"divided_by", fDividedBy, 1, 1},
                            {"modulo", fModulo, 1, 1},
                            {"round", fRound, 0, 1},
                            {"floor", fFloor, 0, 0},
                            {"ceil", fCeil, 0, 0},
                            {"abs", fAbs, 0, 0},
                            {"at_least", fAtLeast, 1, 1},
                            {"at_most", fAtMost, 1, 1},
                            {"money", fMoney, 0, 1},
                            {"number", fNumber, 0, 1},
                        });
}

}  // namespace journeyd
