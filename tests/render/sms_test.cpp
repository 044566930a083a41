#include "daemon/render/sms.h"

#include <doctest/doctest.h>

using namespace journeyd;

namespace {
std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

TEST_CASE("GSM-7 bodies: 160 characters in one segment, 153 per part beyond") {
  struct Row {
    std::string body;
    const char* encoding;
    std::size_t units, segments;
  };
  const Row rows[] = {
      {"", "GSM-7", 0, 0},
      {repeat("a", 160), "GSM-7", 160, 1},
      {repeat("a", 161), "GSM-7", 161, 2},
      {repeat("a", 306), "GSM-7", 306, 2},
      {repeat("a", 307), "GSM-7", 307, 3},
      {"Price: 5€", "GSM-7", 10, 1},  // € is in the extension table: 2 units
      {repeat("a", 158) + "€", "GSM-7", 160, 1},
      {repeat("a", 159) + "€", "GSM-7", 161, 2},
      {"{}[]~^|\\", "GSM-7", 16, 1},
      {"Ça coûte 5£, déjà payé? ¿Sí!", "UCS-2", 28, 1},  // û and í are not GSM
      {"Çà 5£ é ñ ü ß Ø Å Δ Ω §", "GSM-7", 23, 1},
      {"`", "UCS-2", 1, 1},
  };
  for (const auto& row : rows) {
    CAPTURE(row.body);
    const SmsInfo info = analyzeSms(row.body);
    CHECK(info.encoding == row.encoding);
    CHECK(info.units == row.units);
    CHECK(info.segments == row.segments);
  }
}

TEST_CASE("an extension character is not split across parts") {
  // 152 plain + € = 154 units: the € pair does not fit in the first 153, so it moves.
  const SmsInfo info = analyzeSms(repeat("a", 152) + "€" + repeat("a", 10));
  CHECK(info.units == 164);
  CHECK(info.segments == 2);
  const SmsInfo tight =
      analyzeSms(repeat("a", 152) + "€" + repeat("a", 152));  // 306 units, but 3 parts
  CHECK(tight.segments == 3);
}

TEST_CASE("UCS-2 bodies: 70 characters in one segment, 67 per part; emoji count 2") {
  const std::string zh70 = repeat("欢", 70);
  CHECK(analyzeSms(zh70).encoding == "UCS-2");
  CHECK(analyzeSms(zh70).characters == 70);
  CHECK(analyzeSms(zh70).segments == 1);
  CHECK(analyzeSms(zh70 + "迎").segments == 2);
  CHECK(analyzeSms(repeat("欢", 134)).segments == 2);
  CHECK(analyzeSms(repeat("欢", 135)).segments == 3);
  const SmsInfo emoji = analyzeSms("Hi 🎉");
  CHECK(emoji.encoding == "UCS-2");
  CHECK(emoji.characters == 4);
  CHECK(emoji.units == 5);
  CHECK(analyzeSms(repeat("a", 68) + "🎉").segments == 1);  // 70 units
  CHECK(analyzeSms(repeat("a", 69) + "🎉").segments == 2);  // 71 units
  CHECK(analyzeSms(repeat("a", 70) + "🎉").units_per_segment == 67);
  CHECK(analyzeSms(repeat("a", 68) + "🎉").units_per_segment == 70);
}
