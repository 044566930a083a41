#pragma once
/// Plain-text alternative of an HTML email body, for when a template gives no `text` part.
#include <string>
#include <string_view>

namespace journeyd {

/// Converts HTML to readable text: tags dropped (script/style/head content too), block
/// elements and <br> become line breaks, list items "- ", links keep their URL as
/// "label (URL)", images their alt text, entities decoded, whitespace collapsed.
[[nodiscard]] std::string htmlToText(std::string_view html);

}  // namespace journeyd
