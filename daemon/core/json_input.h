#pragma once
/// Guards for JSON from outside, checked before parsing: nesting deeper than a limit (a document
/// nested 100,000 levels deep, a few hundred KB of brackets, would exhaust the stack of any
/// recursive reader or destructor) and bytes that are not UTF-8 (which JSON requires, and which
/// would fail later, when the stored value is written out).
#include <cstddef>
#include <optional>
#include <string_view>

namespace journeyd {

/// Nesting that real Segment messages and admin requests never come near.
constexpr int kMaxJsonDepth = 64;

/// The byte offset of the first `[` or `{` nested deeper than `max_depth`; nullopt when none is.
/// Strings and escapes are skipped, so brackets inside strings do not count.
[[nodiscard]] std::optional<std::size_t> jsonTooDeep(std::string_view text,
                                                     int max_depth = kMaxJsonDepth);

/// The byte offset of the first byte that does not belong to well-formed UTF-8 (no overlong
/// forms, no surrogates, nothing above U+10FFFF); nullopt when all of it is.
[[nodiscard]] std::optional<std::size_t> invalidUtf8(std::string_view text);

}  // namespace journeyd
