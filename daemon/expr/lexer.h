#pragma once
/// Splits expression text into tokens, each with its byte offset in the text.
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/diagnostic.h"
#include "daemon/core/time.h"

namespace journeyd {

enum class TokenKind {
  kNumber,    ///< 12, 3.5, 1e3
  kDuration,  ///< 30d, 12h, 1h30m
  kString,    ///< "..." or '...', text holds the unescaped content
  kIdent,     ///< names and keywords (and, or, not, in, contains, exists, is, empty, true, ...)
  kPunct,     ///< ( ) [ ] , . : == != < <= > >= && || ! + - * / %
  kEnd,
};

/// One token; `offset` is the byte offset of its first character in the expression text.
struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  double number = 0;
  DurationMs duration = 0;
  size_t offset = 0;
  size_t length = 0;

  [[nodiscard]] bool is(std::string_view punct_or_word) const {
    return (kind == TokenKind::kPunct || kind == TokenKind::kIdent) && text == punct_or_word;
  }
};

/// A problem found while scanning, at a byte offset.
struct LexError {
  size_t offset = 0;
  std::string message;
};

/// Tokens of `source`, always ending with kEnd. Bad characters, unterminated strings and bad
/// durations are reported in `errors` and skipped, so scanning goes on to the end.
std::vector<Token> tokenize(std::string_view source, std::vector<LexError>& errors);

/// Where byte `offset` of `source` is in its file, given where the source begins. Columns count
/// characters (not UTF-8 bytes); later lines are assumed to start at origin.column too, as in a
/// YAML block scalar.
SourcePos positionInSource(std::string_view source, const SourcePos& origin, size_t offset);

}  // namespace journeyd
