// String filters, the filter registry, and the escaping filters.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon/render/liquid_filters.h"
#include "daemon/render/utf8.h"

namespace journeyd {
namespace {

bool isWs(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Ruby's awk-style split: runs of whitespace separate, leading and trailing whitespace ignored;
/// at most `limit` words.
std::vector<std::string_view> whitespaceWords(std::string_view s, std::size_t limit = SIZE_MAX) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < s.size() && words.size() < limit) {
    while (i < s.size() && isWs(s[i])) ++i;
    if (i >= s.size()) break;
    std::size_t j = i;
    while (j < s.size() && !isWs(s[j])) ++j;
    words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

std::string text(const FilterContext& ctx) { return toText(ctx.value.get()); }
std::string argText(const FilterContext& ctx, std::size_t i, std::string fallback = {}) {
  const Json* a = ctx.arg(i);
  return a != nullptr ? toText(*a) : fallback;
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  std::size_t pos = 0, hit;
  while ((hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos);
  s = std::move(out);
}

bool fDefault(FilterContext& ctx) {
  const Json& v = ctx.value.get();
  const Json* allow_false = ctx.namedArg("allow_false");
  if (allow_false != nullptr && isTruthy(*allow_false) && v.is_boolean()) return true;
  if (!isTruthy(v) || isEmptyValue(v)) ctx.value = ctx.args[0];
  return true;
}
bool fUpcase(FilterContext& ctx) { return setResult(ctx, utf8Upper(text(ctx))), true; }
bool fDowncase(FilterContext& ctx) { return setResult(ctx, utf8Lower(text(ctx))), true; }
bool fCapitalize(FilterContext& ctx) {
  const std::string s = text(ctx);
  if (s.empty()) return setResult(ctx, s), true;
  std::size_t pos = 0;
  const char32_t first = utf8Next(s, pos);
  std::string out;
  utf8Append(out, toUpperCp(first));
  out += utf8Lower(std::string_view(s).substr(pos));
  return setResult(ctx, std::move(out)), true;
}
bool fAppend(FilterContext& ctx) { return setResult(ctx, text(ctx) + argText(ctx, 0)), true; }
bool fPrepend(FilterContext& ctx) { return setResult(ctx, argText(ctx, 0) + text(ctx)), true; }
bool fReplace(FilterContext& ctx) {
  std::string s = text(ctx);
  replaceAll(s, argText(ctx, 0), argText(ctx, 1));
  return setResult(ctx, std::move(s)), true;
}
bool fRemove(FilterContext& ctx) {
  std::string s = text(ctx);
  replaceAll(s, argText(ctx, 0), "");
  return setResult(ctx, std::move(s)), true;
}
void replaceOne(FilterContext& ctx, bool last, bool remove) {
  std::string s = text(ctx);
  const std::string from = argText(ctx, 0);
  const std::string to = remove ? std::string() : argText(ctx, 1);
  const std::size_t hit = last ? s.rfind(from) : s.find(from);
  if (hit != std::string::npos) s.replace(hit, from.size(), to);
  setResult(ctx, std::move(s));
}
bool fReplaceFirst(FilterContext& ctx) { return replaceOne(ctx, false, false), true; }
bool fReplaceLast(FilterContext& ctx) { return replaceOne(ctx, true, false), true; }
bool fRemoveFirst(FilterContext& ctx) { return replaceOne(ctx, false, true), true; }
bool fRemoveLast(FilterContext& ctx) { return replaceOne(ctx, true, true), true; }

bool fTruncate(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  const std::string s = text(ctx);
  const std::int64_t length = ctx.arg(0) != nullptr ? toInteger(*ctx.arg(0)).value_or(50) : 50;
  const std::string ellipsis = argText(ctx, 1, "...");
  if (static_cast<std::int64_t>(utf8Length(s)) <= length) return setResult(ctx, s), true;
  const std::int64_t keep =
      std::max<std::int64_t>(0, length - static_cast<std::int64_t>(utf8Length(ellipsis)));
  return setResult(ctx, std::string(utf8Substr(s, 0, static_cast<std::size_t>(keep))) + ellipsis),
         true;
}

bool fTruncatewords(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  const std::string s = text(ctx);
  std::int64_t words = ctx.arg(0) != nullptr ? toInteger(*ctx.arg(0)).value_or(15) : 15;
  if (words <= 0) words = 1;
  const std::string ellipsis = argText(ctx, 1, "...");
  const auto list = whitespaceWords(s, static_cast<std::size_t>(words) + 1);
  if (static_cast<std::int64_t>(list.size()) <= words) return setResult(ctx, s), true;
  std::string out;
  for (std::int64_t k = 0; k < words; ++k) {
    if (k > 0) out += ' ';
    out += list[static_cast<std::size_t>(k)];
  }
  return setResult(ctx, out + ellipsis), true;
}

bool strip(FilterContext& ctx, bool left, bool right) {
  std::string_view s;
  const std::string t = text(ctx);
  s = t;
  while (left && !s.empty() && isWs(s.front())) s.remove_prefix(1);
  while (right && !s.empty() && isWs(s.back())) s.remove_suffix(1);
  return setResult(ctx, std::string(s)), true;
}
bool fStrip(FilterContext& ctx) { return strip(ctx, true, true); }
bool fLstrip(FilterContext& ctx) { return strip(ctx, true, false); }
bool fRstrip(FilterContext& ctx) { return strip(ctx, false, true); }

bool fStripNewlines(FilterContext& ctx) {
  std::string s = text(ctx);
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }),
          s.end());
  return setResult(ctx, std::move(s)), true;
}

bool fNewlineToBr(FilterContext& ctx) {
  const std::string s = text(ctx);
  std::string out;
  std::size_t start = 0;
  auto emit = [&](std::string_view part) {
    // The result is marked HTML-safe, so escape the text itself when escaping is on.
    if (ctx.options.escape_html)
      appendHtmlEscaped(out, part);
    else
      out += part;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    const std::size_t end = (i > start && s[i - 1] == '\r') ? i - 1 : i;
    emit(std::string_view(s).substr(start, end - start));
    out += "<br />\n";
    start = i + 1;
  }
  emit(std::string_view(s).substr(start));
  return setResult(ctx, std::move(out)), true;
}

std::size_t findNoCase(std::string_view hay, std::string_view needle, std::size_t from) {
  auto it = std::search(hay.begin() + static_cast<std::ptrdiff_t>(std::min(from, hay.size())),
                        hay.end(), needle.begin(), needle.end(), [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it == hay.end() ? std::string_view::npos : static_cast<std::size_t>(it - hay.begin());
}

bool fStripHtml(FilterContext& ctx) {
  const std::string s = text(ctx);
  std::string out;
  std::size_t i = 0;
  static const std::pair<std::string_view, std::string_view> kBlocks[] = {
      {"<script", "</script>"}, {"<style", "</style>"}, {"<!--", "-->"}};
  while (i < s.size()) {
    if (s[i] != '<') {
      out += s[i++];
      continue;
    }
    bool skipped = false;
    for (const auto& [open, close] : kBlocks) {
      if (findNoCase(s, open, i) == i) {
        const std::size_t end = findNoCase(s, close, i + open.size());
        if (end != std::string::npos) {
          i = end + close.size();
          skipped = true;
        }
        break;
      }
    }
    if (skipped) continue;
    const std::size_t end = s.find('>', i);
    if (end == std::string::npos) {
      out.append(s, i, std::string::npos);
      break;
    }
    i = end + 1;
  }
  return setResult(ctx, std::move(out)), true;
}

bool fSplit(FilterContext& ctx) {
  const std::string s = text(ctx);
  const std::string sep = argText(ctx, 0);
  Json arr = Json::array();
  if (sep.empty()) {
    for (std::size_t pos = 0; pos < s.size();) {
      const std::size_t start = pos;
      utf8Next(s, pos);
      arr.push_back(s.substr(start, pos - start));
    }
  } else if (sep == " ") {
    for (const auto word : whitespaceWords(s)) arr.push_back(std::string(word));
  } else {
    std::size_t pos = 0, hit;
    while ((hit = s.find(sep, pos)) != std::string::npos) {
      arr.push_back(s.substr(pos, hit - pos));
      pos = hit + sep.size();
    }
    arr.push_back(s.substr(pos));
    while (!arr.empty() && arr.back().get_ref<const std::string&>().empty())
      arr.erase(arr.size() - 1);
  }
  return setResult(ctx, std::move(arr)), true;
}

bool fEscape(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  std::string out;
  appendHtmlEscaped(out, text(ctx));
  return setResult(ctx, std::move(out)), true;
}

bool fEscapeOnce(FilterContext& ctx) {
  const std::string s = text(ctx);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      std::size_t j = i + 1;
      if (j < s.size() && s[j] == '#') {
        ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i + 2 && j < s.size() && s[j] == ';') {
          out += '&';
          continue;
        }
      } else {
        while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i + 1 && j < s.size() && s[j] == ';') {
          out += '&';
          continue;
        }
      }
    }
    appendHtmlEscaped(out, std::string_view(s).substr(i, 1));
  }
  return setResult(ctx, std::move(out)), true;
}

bool fUrlEncode(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  static const char* kHex = "0123456789ABCDEF";
  const std::string s = text(ctx);
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return setResult(ctx, std::move(out)), true;
}

bool fUrlDecode(FilterContext& ctx) {
  if (ctx.value.isNil()) return true;
  const std::string s = text(ctx);
  std::string out;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return setResult(ctx, std::move(out)), true;
}

bool fRaw(FilterContext&) { return true; }

bool fJson(FilterContext& ctx) {
  return setResult(ctx, ctx.value.get().dump(-1, ' ', false, Json::error_handler_t::replace)), true;
}

bool fUnsubscribeLink(FilterContext& ctx) {
  std::string out;
  const std::string label = text(ctx);
  if (ctx.options.unsubscribe_url.empty()) {
    appendHtmlEscaped(out, label);
  } else {
    out += "<a href=\"";
    appendHtmlEscaped(out, ctx.options.unsubscribe_url);
    out += "\">";
    appendHtmlEscaped(out, label);
    out += "</a>";
  }
  return setResult(ctx, std::move(out)), true;
}

}  // namespace

void addStringFilters(std::vector<FilterDef>& out) {
  out.insert(out.end(), {
                            {"default", fDefault, 1, 1},
                            {"upcase", fUpcase, 0, 0},
                            {"downcase", fDowncase, 0, 0},
                            {"capitalize", fCapitalize, 0, 0},
                            {"append", fAppend, 1, 1},
                            {"prepend", fPrepend, 1, 1},
                            {"replace", fReplace, 1, 2},
                            {"replace_first", fReplaceFirst, 1, 2},
                            {"replace_last", fReplaceLast, 1, 2},
                            {"remove", fRemove, 1, 1},
                            {"remove_first", fRemoveFirst, 1, 1},
                            {"remove_last", fRemoveLast, 1, 1},
                            {"truncate", fTruncate, 0, 2},
                            {"truncatewords", fTruncatewords, 0, 2},
                            {"strip", fStrip, 0, 0},
                            {"lstrip", fLstrip, 0, 0},
                            {"rstrip", fRstrip, 0, 0},
                            {"strip_html", fStripHtml, 0, 0},
                            {"strip_newlines", fStripNewlines, 0, 0},
                            {"newline_to_br", fNewlineToBr, 0, 0, kHtmlSafe},
                            {"split", fSplit, 1, 1},
                            {"escape", fEscape, 0, 0, kHtmlSafe},
                            {"h", fEscape, 0, 0, kHtmlSafe},
                            {"escape_once", fEscapeOnce, 0, 0, kHtmlSafe},
                            {"url_encode", fUrlEncode, 0, 0},
                            {"url_decode", fUrlDecode, 0, 0},
                            {"raw", fRaw, 0, 0, kHtmlSafe | kJsonSafe},
                            {"json", fJson, 0, 0, kJsonSafe},
                            {"unsubscribe_link", fUnsubscribeLink, 0, 0, kHtmlSafe},
                        });
}

namespace {
const std::vector<FilterDef>& registry() {
  static const std::vector<FilterDef> kRegistry = [] {
    std::vector<FilterDef> all;
    addStringFilters(all);
    addArrayFilters(all);
    addMathFilters(all);
    addDateFilters(all);
    std::sort(all.begin(), all.end(),
              [](const FilterDef& a, const FilterDef& b) { return a.name < b.name; });
    return all;
  }();
  return kRegistry;
}
}  // namespace

const FilterDef* findFilter(std::string_view name) {
  const auto& r = registry();
  auto it = std::lower_bound(r.begin(), r.end(), name,
                             [](const FilterDef& d, std::string_view n) { return d.name < n; });
  return it != r.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string> filterNames() {
  std::vector<std::string> names;
  for (const auto& d : registry()) names.emplace_back(d.name);
  return names;
}

}  // namespace journeyd
