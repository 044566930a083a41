#include "daemon/expr/lexer.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace journeyd {

namespace {
bool isIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (static_cast<unsigned char>(c) >= 0x80);  // UTF-8 names (e.g. Chinese trait keys)
}
bool isIdentChar(char c) { return isIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

size_t scanString(std::string_view s, size_t pos, Token& tok, std::vector<LexError>& errors) {
  char quote = s[pos];
  size_t i = pos + 1;
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char e = s[i + 1];
      switch (e) {
        case 'n':
          tok.text += '\n';
          break;
        case 't':
          tok.text += '\t';
          break;
        case '\\':
          tok.text += '\\';
          break;
        case '"':
          tok.text += '"';
          break;
        case '\'':
          tok.text += '\'';
          break;
        default:
          errors.push_back({i, std::string("unknown escape '\\") + e + "' in string"});
          tok.text += e;
      }
      i += 2;
      continue;
    }
    tok.text += s[i++];
  }
  if (i >= s.size()) {
    errors.push_back({pos, std::string("unterminated string (missing closing ") + quote + ")"});
    return s.size();
  }
  return i + 1;
}

size_t scanNumber(std::string_view s, size_t pos, Token& tok, std::vector<LexError>& errors) {
  size_t i = pos;
  auto digit = [&](size_t k) {
    return k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]));
  };
  while (digit(i)) ++i;
  if (i < s.size() && s[i] == '.' && digit(i + 1)) {
    ++i;
    while (digit(i)) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E') &&
      (digit(i + 1) ||
       ((i + 1 < s.size() && (s[i + 1] == '-' || s[i + 1] == '+')) && digit(i + 2)))) {
    i += 2;
    while (digit(i)) ++i;
  }
  tok.number = std::strtod(std::string(s.substr(pos, i - pos)).c_str(), nullptr);
  tok.kind = TokenKind::kNumber;
  if (i < s.size() && isIdentChar(s[i])) {
    // A number directly followed by letters is a duration: 30d, 1h30m, 500ms.
    size_t end = i;
    while (end < s.size() && isIdentChar(s[end])) ++end;
    std::string_view word = s.substr(pos, end - pos);
    auto d = parseDuration(word);
    if (!d) {
      errors.push_back(
          {pos, "bad duration '" + std::string(word) + "' (use s, m, h, d or w, e.g. 30d)"});
    }
    tok.kind = TokenKind::kDuration;
    tok.duration = d.value_or(0);
    tok.text = std::string(word);
    return end;
  }
  tok.text = std::string(s.substr(pos, i - pos));
  return i;
}
}  // namespace

std::vector<Token> tokenize(std::string_view s, std::vector<LexError>& errors) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    Token tok;
    tok.offset = pos;
    if (pos >= s.size()) {
      tok.kind = TokenKind::kEnd;
      tokens.push_back(tok);
      return tokens;
    }
    char c = s[pos];
    size_t next;
    if (c == '"' || c == '\'') {
      tok.kind = TokenKind::kString;
      next = scanString(s, pos, tok, errors);
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      next = scanNumber(s, pos, tok, errors);
    } else if (isIdentStart(c)) {
      next = pos;
      while (next < s.size() && isIdentChar(s[next])) ++next;
      tok.kind = TokenKind::kIdent;
      tok.text = std::string(s.substr(pos, next - pos));
    } else {
      static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
      tok.kind = TokenKind::kPunct;
      next = pos + 1;
      for (auto two : kTwo) {
        if (s.substr(pos, 2) == two) next = pos + 2;
      }
      std::string_view text = s.substr(pos, next - pos);
      if (next == pos + 1 &&
          std::string_view("()[],.:<>!+-*/%").find(c) == std::string_view::npos) {
        if (c != '=') {
          errors.push_back({pos, std::string("unexpected character '") + c + "'"});
          pos = next;
          continue;
        }
        // Read a lone '=' as '==' so the rest of the expression is still checked.
        errors.push_back({pos, "unexpected '=' (use '==' to compare)"});
        text = "==";
      }
      tok.text = std::string(text);
    }
    tok.length = next - pos;
    tokens.push_back(std::move(tok));
    pos = next;
  }
}

SourcePos positionInSource(std::string_view source, const SourcePos& origin, size_t offset) {
  SourcePos p = origin;
  int line_offset = 0;
  int column = 0;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line_offset;
      column = 0;
    } else if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) {
      ++column;  // a byte that does not continue a UTF-8 sequence starts a character
    }
  }
  p.line = origin.line + line_offset;
  p.column = std::max(origin.column, 1) + column;
  return p;
}

}  // namespace journeyd
