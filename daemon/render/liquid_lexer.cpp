#include "daemon/render/liquid_lexer.h"

#include <cctype>

namespace journeyd {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trimView(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

/// Finds `close` ("}}" or "%}") from `pos`, skipping quoted strings; npos when absent.
std::size_t findClose(std::string_view src, std::size_t pos, std::string_view close) {
  char quote = 0;
  for (std::size_t i = pos; i < src.size(); ++i) {
    const char c = src[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      // An unbalanced quote must not swallow the rest of the file: only treat it as a string
      // when it closes before the delimiter.
      const std::size_t end = src.find(c, i + 1);
      const std::size_t stop = src.find(close, i + 1);
      if (end != std::string_view::npos && (stop == std::string_view::npos || end < stop)) {
        quote = c;
      }
      continue;
    }
    if (src.compare(i, close.size(), close) == 0) return i;
  }
  return std::string_view::npos;
}

/// A `{% name %}` found by findTag.
struct TagMatch {
  std::size_t begin, end;  // [begin, end) of the whole `{% ... %}`
  bool trim_left, trim_right;
  std::string_view name;
};

/// Next `{% name ... %}` at or after `pos` whose name is `a` or `b`.
bool findTag(std::string_view src, std::size_t pos, std::string_view a, std::string_view b,
             TagMatch& m) {
  while ((pos = src.find("{%", pos)) != std::string_view::npos) {
    std::size_t i = pos + 2;
    const bool trim_left = i < src.size() && src[i] == '-';
    if (trim_left) ++i;
    while (i < src.size() && isSpace(src[i])) ++i;
    std::size_t j = i;
    while (j < src.size() && (std::isalnum(static_cast<unsigned char>(src[j])) || src[j] == '_'))
      ++j;
    const std::string_view name = src.substr(i, j - i);
    if (name == a || name == b) {
      const std::size_t close = src.find("%}", j);
      if (close == std::string_view::npos) return false;
      m = {pos, close + 2, trim_left, close > 0 && src[close - 1] == '-', name};
      return true;
    }
    pos += 2;
  }
  return false;
}

}  // namespace

std::vector<Segment> splitTemplate(std::string_view src, std::vector<LiquidLexError>& errors) {
  std::vector<Segment> segs;
  bool trim_next = false;
  std::size_t pos = 0;
  auto addText = [&](std::size_t begin, std::size_t end, bool trim_right) {
    std::string_view text = src.substr(begin, end - begin);
    if (trim_next) {
      while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
    }
    if (trim_right) {
      while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
    }
    trim_next = false;
    if (!text.empty()) {
      Segment s;
      s.kind = Segment::Kind::kText;
      s.text = text;
      s.offset = static_cast<std::uint32_t>(text.data() - src.data());
      segs.push_back(s);
    }
  };
  while (pos < src.size()) {
    std::size_t open = pos;
    while ((open = src.find('{', open)) != std::string_view::npos &&
           !(open + 1 < src.size() && (src[open + 1] == '{' || src[open + 1] == '%'))) {
      ++open;
    }
    if (open == std::string_view::npos) {
      addText(pos, src.size(), false);
      break;
    }
    const bool is_output = src[open + 1] == '{';
    const bool trim_left = open + 2 < src.size() && src[open + 2] == '-';
    addText(pos, open, trim_left);
    const std::string_view close_delim = is_output ? "}}" : "%}";
    const std::size_t inner = open + 2 + (trim_left ? 1 : 0);
    const std::size_t close = findClose(src, inner, close_delim);
    if (close == std::string_view::npos) {
      errors.push_back({static_cast<std::uint32_t>(open), is_output
                                                              ? "'{{' was never closed with '}}'"
                                                              : "'{%' was never closed with '%}'"});
      return segs;
    }
    const bool trim_right = close > inner && src[close - 1] == '-';
    const std::size_t inner_end = trim_right ? close - 1 : close;
    Segment s;
    s.kind = is_output ? Segment::Kind::kOutput : Segment::Kind::kTag;
    s.offset = static_cast<std::uint32_t>(open);
    s.text = trimView(src.substr(inner, inner_end - inner));
    s.markup_offset =
        static_cast<std::uint32_t>(s.text.empty() ? inner : s.text.data() - src.data());
    pos = close + 2;
    trim_next = trim_right;
    if (!is_output) {
      std::size_t n = 0;
      if (!s.text.empty() && s.text[0] == '#') {
        n = 1;  // inline comment `{% # ... %}`
      } else {
        while (n < s.text.size() &&
               (std::isalnum(static_cast<unsigned char>(s.text[n])) || s.text[n] == '_'))
          ++n;
      }
      s.tag_name = s.text.substr(0, n);
      s.tag_args = trimView(s.text.substr(n));
      s.args_offset = static_cast<std::uint32_t>(
          s.tag_args.empty() ? s.markup_offset + n : s.tag_args.data() - src.data());
      if (s.tag_name == "raw" || s.tag_name == "comment") {
        // Bodies of raw and comment are not Liquid: find the end tag verbatim (comments nest).
        const bool raw = s.tag_name == "raw";
        const std::string_view end_name = raw ? "endraw" : "endcomment";
        int depth = 1;
        std::size_t scan = pos;
        TagMatch m{};
        bool found = false;
        while (findTag(src, scan, end_name, raw ? end_name : "comment", m)) {
          if (m.name == end_name) {
            if (--depth == 0) {
              found = true;
              break;
            }
          } else {
            ++depth;
          }
          scan = m.end;
        }
        if (!found) {
          errors.push_back(
              {s.offset, std::string("'") + std::string(s.tag_name) + "' tag was never closed"});
          return segs;
        }
        if (raw) addText(pos, m.begin, m.trim_left);
        pos = m.end;
        trim_next = m.trim_right;
        continue;
      }
    }
    segs.push_back(s);
  }
  return segs;
}

bool lexMarkup(std::string_view m, std::uint32_t base, std::vector<LiquidToken>& out,
               LiquidLexError& error) {
  out.clear();
  std::size_t i = 0;
  auto push = [&](LiquidToken::Kind k, std::size_t start, std::size_t len) {
    out.push_back({k, m.substr(start, len), static_cast<std::uint32_t>(base + start)});
  };
  while (i < m.size()) {
    const char c = m[i];
    if (isSpace(c)) {
      ++i;
      continue;
    }
    const bool digit_next = i + 1 < m.size() && std::isdigit(static_cast<unsigned char>(m[i + 1]));
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && digit_next)) {
      std::size_t j = i + 1;
      bool is_float = false;
      while (j < m.size() && std::isdigit(static_cast<unsigned char>(m[j]))) ++j;
      if (j + 1 < m.size() && m[j] == '.' && std::isdigit(static_cast<unsigned char>(m[j + 1]))) {
        is_float = true;
        ++j;
        while (j < m.size() && std::isdigit(static_cast<unsigned char>(m[j]))) ++j;
      }
      push(is_float ? LiquidToken::Kind::kFloat : LiquidToken::Kind::kInt, i, j - i);
      i = j;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i + 1;
      while (j < m.size() &&
             (std::isalnum(static_cast<unsigned char>(m[j])) || m[j] == '_' || m[j] == '-'))
        ++j;
      if (j < m.size() && m[j] == '?') ++j;
      push(LiquidToken::Kind::kIdent, i, j - i);
      i = j;
      continue;
    }
    if (c == '"' || c == '\'') {
      const std::size_t end = m.find(c, i + 1);
      if (end == std::string_view::npos) {
        error = {static_cast<std::uint32_t>(base + i), "unterminated string"};
        return false;
      }
      push(LiquidToken::Kind::kString, i + 1, end - i - 1);
      out.back().offset = static_cast<std::uint32_t>(base + i);
      i = end + 1;
      continue;
    }
    const std::string_view two = m.substr(i, 2);
    if (two == "==" || two == "!=" || two == "<>" || two == "<=" || two == ">=") {
      push(LiquidToken::Kind::kCompare, i, 2);
      i += 2;
      continue;
    }
    if (two == "..") {
      push(LiquidToken::Kind::kDotDot, i, 2);
      i += 2;
      continue;
    }
    LiquidToken::Kind k;
    switch (c) {
      case '<':
      case '>':
        k = LiquidToken::Kind::kCompare;
        break;
      case '.':
        k = LiquidToken::Kind::kDot;
        break;
      case '[':
        k = LiquidToken::Kind::kLBracket;
        break;
      case ']':
        k = LiquidToken::Kind::kRBracket;
        break;
      case '(':
        k = LiquidToken::Kind::kLParen;
        break;
      case ')':
        k = LiquidToken::Kind::kRParen;
        break;
      case '|':
        k = LiquidToken::Kind::kPipe;
        break;
      case ':':
        k = LiquidToken::Kind::kColon;
        break;
      case ',':
        k = LiquidToken::Kind::kComma;
        break;
      case '=':
        k = LiquidToken::Kind::kAssign;
        break;
      default:
        error = {static_cast<std::uint32_t>(base + i),
                 std::string("unexpected character '") + c + "'"};
        return false;
    }
    push(k, i, 1);
    ++i;
  }
  out.push_back(
      {LiquidToken::Kind::kEnd, m.substr(m.size()), static_cast<std::uint32_t>(base + m.size())});
  return true;
}

}  // namespace journeyd
