#pragma once
/// UTF-8 helpers for the template engine: code-point counting, slicing and case mapping that
/// never split a multi-byte sequence. Invalid bytes count as one code point each.
#include <cstddef>
#include <string>
#include <string_view>

namespace journeyd {

/// Byte length of the sequence starting with lead byte `c` (1 for invalid leads).
[[nodiscard]] inline std::size_t utf8SeqLen(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

/// Decodes the code point at `pos` and advances `pos` past it; U+FFFD for malformed input.
char32_t utf8Next(std::string_view s, std::size_t& pos);

/// Appends the UTF-8 encoding of `cp`.
void utf8Append(std::string& out, char32_t cp);

/// Number of code points.
[[nodiscard]] std::size_t utf8Length(std::string_view s);

/// Byte offset of code point number `index` (s.size() when past the end).
[[nodiscard]] std::size_t utf8Offset(std::string_view s, std::size_t index);

/// Code points [start, start+count) (clamped to the string).
[[nodiscard]] std::string_view utf8Substr(std::string_view s, std::size_t start, std::size_t count);

/// Upper / lower case: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other scripts
/// (CJK has no case) pass through unchanged.
[[nodiscard]] std::string utf8Upper(std::string_view s);
[[nodiscard]] std::string utf8Lower(std::string_view s);
[[nodiscard]] char32_t toUpperCp(char32_t cp);
[[nodiscard]] char32_t toLowerCp(char32_t cp);

}  // namespace journeyd
