#include "daemon/render/liquid_value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "daemon/render/utf8.h"

namespace journeyd {

bool isEmptyValue(const Json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().empty();
  if (j.is_array() || j.is_object()) return j.empty();
  return false;
}

bool isBlankValue(const Json& j) {
  if (j.is_null()) return true;
  if (j.is_boolean()) return !j.get<bool>();
  if (j.is_string()) {
    for (char c : j.get_ref<const std::string&>()) {
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
    }
    return true;
  }
  return isEmptyValue(j);
}

void appendFloat(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[64];
  const double mag = std::fabs(d);
  if (mag != 0 && (mag >= 1e16 || mag < 1e-4)) {
    // Ruby switches to scientific notation: 1.0e+20, 1.0e-05.
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string s(buf, res.ptr);
    const auto e = s.find('e');
    std::string mant = s.substr(0, e);
    std::string exp = s.substr(e + 1);
    if (mant.find('.') == std::string::npos) mant += ".0";
    const char sign = exp[0] == '-' ? '-' : '+';
    if (exp[0] == '-' || exp[0] == '+') exp.erase(0, 1);
    while (exp.size() > 2 && exp[0] == '0') exp.erase(0, 1);
    if (exp.size() < 2) exp.insert(0, "0");
    out += mant;
    out += 'e';
    out += sign;
    out += exp;
    return;
  }
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  out += s;
  if (s.find('.') == std::string_view::npos) out += ".0";
}

void appendText(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      return;
    case Json::value_t::string:
      out += j.get_ref<const std::string&>();
      return;
    case Json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer: {
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, j.get<std::int64_t>());
      out.append(buf, res.ptr);
      return;
    }
    case Json::value_t::number_unsigned: {
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, j.get<std::uint64_t>());
      out.append(buf, res.ptr);
      return;
    }
    case Json::value_t::number_float:
      appendFloat(out, j.get<double>());
      return;
    case Json::value_t::array:
      for (const auto& e : j) appendText(out, e);
      return;
    default:
      out += j.dump();
      return;
  }
}

std::string toText(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  std::string s;
  appendText(s, j);
  return s;
}

namespace {
std::optional<Json> parseNumber(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  std::string_view t = s;
  if (t.front() == '+') t.remove_prefix(1);
  std::int64_t i = 0;
  auto ri = std::from_chars(t.data(), t.data() + t.size(), i);
  if (ri.ec == std::errc() && ri.ptr == t.data() + t.size()) return Json(i);
  double d = 0;
  auto rd = std::from_chars(t.data(), t.data() + t.size(), d);
  if (rd.ec == std::errc() && rd.ptr == t.data() + t.size()) return Json(d);
  return std::nullopt;
}
}  // namespace

Json toNumber(const Json& j) {
  if (j.is_number_unsigned()) return Json(static_cast<std::int64_t>(j.get<std::uint64_t>()));
  if (j.is_number()) return j;
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (auto n = parseNumber(s)) return *n;
    // Ruby's to_i/to_f read a numeric prefix ("12abc" → 12); Liquid's math does the same.
    std::size_t end = 0;
    while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.' ||
                              (end == 0 && (s[end] == '-' || s[end] == '+')))) {
      ++end;
    }
    if (auto n = parseNumber(std::string_view(s).substr(0, end))) return *n;
  }
  return Json(0);
}

std::optional<std::int64_t> toInteger(const Json& j) {
  if (j.is_number_integer() || j.is_number_unsigned()) return j.get<std::int64_t>();
  if (j.is_number_float()) return static_cast<std::int64_t>(j.get<double>());
  if (j.is_string()) {
    if (auto n = parseNumber(j.get_ref<const std::string&>())) {
      return n->is_number_float() ? static_cast<std::int64_t>(n->get<double>())
                                  : n->get<std::int64_t>();
    }
  }
  return std::nullopt;
}

bool liquidEquals(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
    return a.get<std::int64_t>() == b.get<std::int64_t>();
  }
  return a == b;
}

std::optional<int> liquidCompare(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) {
      const double x = a.get<double>(), y = b.get<double>();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    const auto x = a.get<std::int64_t>(), y = b.get<std::int64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

void appendHtmlEscaped(std::string& out, std::string_view s) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* rep = nullptr;
    switch (s[i]) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '"':
        rep = "&quot;";
        break;
      case '\'':
        rep = "&#39;";
        break;
      default:
        continue;
    }
    out.append(s.substr(start, i - start));
    out += rep;
    start = i + 1;
  }
  out.append(s.substr(start));
}

void appendJsonEscaped(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(start, i - start));
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    start = i + 1;
  }
  out.append(s.substr(start));
}

// Member `key` of `obj`, nullptr when absent or not an object. Customer objects are small: a
/// linear scan that compares lengths first beats the tree search's string comparisons there.
const Json* findMember(const Json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  const auto& map = obj.get_ref<const Json::object_t&>();
  if (map.size() > 8) {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }
  for (const auto& [k, v] : map) {
    if (k.size() == key.size() &&
        std::char_traits<char>::compare(k.data(), key.data(), k.size()) == 0) {
      return &v;
    }
  }
  return nullptr;
}

LiquidValue elementOf(const LiquidValue& cur, std::int64_t index) {
  const Json& j = cur.get();
  if (!j.is_array()) return LiquidValue();
  const auto n = static_cast<std::int64_t>(j.size());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return LiquidValue();
  return cur.child(j[static_cast<std::size_t>(index)]);
}

LiquidValue memberOf(const LiquidValue& cur, const std::string& key) {
  const Json& j = cur.get();
  if (j.is_object()) {
    if (const Json* found = findMember(j, key)) return cur.child(*found);
    if (key == "size") return LiquidValue(Json(j.size()));
    return LiquidValue();
  }
  if (j.is_array()) {
    if (key == "size") return LiquidValue(Json(j.size()));
    if (key == "first") return j.empty() ? LiquidValue() : cur.child(j.front());
    if (key == "last") return j.empty() ? LiquidValue() : cur.child(j.back());
    return LiquidValue();
  }
  if (j.is_string() && key == "size")
    return LiquidValue(Json(utf8Length(j.get_ref<const std::string&>())));
  return LiquidValue();
}

}  // namespace journeyd
