#pragma once
/// SMS length analysis: which encoding a body needs and how many message segments it takes.
#include <cstddef>
#include <string>
#include <string_view>

namespace journeyd {

/// How an SMS body will be sent.
struct SmsInfo {
  std::string encoding;        ///< "GSM-7" or "UCS-2"
  std::size_t characters = 0;  ///< Unicode code points
  /// Encoded units: GSM-7 septets (extension characters such as € count 2) or UTF-16 code units
  /// (characters outside the BMP, e.g. emoji, count 2).
  std::size_t units = 0;
  std::size_t segments = 0;  ///< parts on the network; 0 for an empty body
  /// Units that fit in one part: 160/70 single, 153/67 per part when concatenated.
  std::size_t units_per_segment = 0;
};

/// Analyzes a UTF-8 body. GSM-7 when every character is in the GSM 03.38 default alphabet or
/// its extension table, otherwise UCS-2. Segment counting never splits an escape pair or a
/// surrogate pair across parts, as handsets do.
[[nodiscard]] SmsInfo analyzeSms(std::string_view utf8);

}  // namespace journeyd
