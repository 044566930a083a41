#pragma once
/// Tokenizing for the Liquid parser (internal): first the template is cut into text, `{{ }}`
/// and `{% %}` segments (applying whitespace control, skipping comment and raw bodies), then
/// each segment's markup is cut into expression tokens.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace journeyd {

/// A piece of the template: literal text, an output or a tag.
struct Segment {
  enum class Kind { kText, kOutput, kTag } kind = Kind::kText;
  std::string_view text;     ///< text, or the markup between the delimiters
  std::uint32_t offset = 0;  ///< offset of the segment (for tags/outputs: of the `{`)
  std::uint32_t markup_offset = 0;
  std::string_view tag_name;  ///< first word of a tag's markup
  std::string_view tag_args;  ///< the rest of a tag's markup, trimmed
  std::uint32_t args_offset = 0;
};

/// A problem found while cutting, at a byte offset of the template.
struct LiquidLexError {
  std::uint32_t offset;
  std::string message;
};

/// Cuts `src` into segments; problems (unterminated tags, unclosed raw) go to `errors`.
std::vector<Segment> splitTemplate(std::string_view src, std::vector<LiquidLexError>& errors);

/// One token of tag or output markup.
struct LiquidToken {
  enum class Kind {
    kIdent,
    kString,
    kInt,
    kFloat,
    kDot,
    kDotDot,
    kLBracket,
    kRBracket,
    kLParen,
    kRParen,
    kPipe,
    kColon,
    kComma,
    kCompare,
    kAssign,
    kEnd
  } kind = Kind::kEnd;
  std::string_view text;  ///< for kString: the contents without quotes
  std::uint32_t offset = 0;
};

/// Cuts markup into tokens; `base` is the markup's offset in the template. A final kEnd token is
/// always appended. Returns false (with `error`) on a character it cannot read.
bool lexMarkup(std::string_view markup, std::uint32_t base, std::vector<LiquidToken>& out,
               LiquidLexError& error);

}  // namespace journeyd
