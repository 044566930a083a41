#include "daemon/render/sms.h"

#include <algorithm>
#include <vector>

#include "daemon/render/utf8.h"

namespace journeyd {
namespace {

// GSM 03.38 default alphabet, non-ASCII members and the ASCII characters it lacks.
constexpr char32_t kGsmNonAscii[] = {
    0xA3,  0xA5,  0xE8,  0xE9,  0xF9,  0xEC,  0xF2,  0xC7,  0xD8,  0xF8, 0xC5, 0xE5, 0x394,
    0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9,
    0xA4,  0xA1,  0xC4,  0xD6,  0xD1,  0xDC,  0xA7,  0xBF,  0xE4,  0xF6, 0xF1, 0xFC, 0xE0};
constexpr char32_t kGsmExtension[] = {'^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC, '\f'};

/// Septets a character takes in GSM-7 (1, or 2 for the extension table); 0 when not encodable.
int gsmUnits(char32_t cp) {
  if (std::find(std::begin(kGsmExtension), std::end(kGsmExtension), cp) != std::end(kGsmExtension))
    return 2;
  if (cp < 0x80) {
    if (cp == '\n' || cp == '\r') return 1;
    if (cp < 0x20 || cp == 0x7F) return 0;
    if (cp == '`') return 0;  // ASCII's grave accent is not in the GSM alphabet
    return 1;
  }
  return std::find(std::begin(kGsmNonAscii), std::end(kGsmNonAscii), cp) != std::end(kGsmNonAscii)
             ? 1
             : 0;
}

/// Parts needed for characters of the given unit sizes, none split across a boundary.
std::size_t countSegments(const std::vector<int>& sizes, std::size_t total, std::size_t single,
                          std::size_t multi) {
  if (total == 0) return 0;
  if (total <= single) return 1;
  std::size_t segments = 1, used = 0;
  for (const int s : sizes) {
    if (used + static_cast<std::size_t>(s) > multi) {
      ++segments;
      used = 0;
    }
    used += static_cast<std::size_t>(s);
  }
  return segments;
}

}  // namespace

SmsInfo analyzeSms(std::string_view utf8) {
  std::vector<char32_t> cps;
  cps.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) cps.push_back(utf8Next(utf8, pos));
  SmsInfo info;
  info.characters = cps.size();
  std::vector<int> sizes;
  sizes.reserve(cps.size());
  bool gsm = true;
  for (const char32_t cp : cps) {
    const int u = gsmUnits(cp);
    if (u == 0) {
      gsm = false;
      break;
    }
    sizes.push_back(u);
  }
  if (!gsm) {
    sizes.clear();
    for (const char32_t cp : cps) sizes.push_back(cp >= 0x10000 ? 2 : 1);
  }
  for (const int s : sizes) info.units += static_cast<std::size_t>(s);
  info.encoding = gsm ? "GSM-7" : "UCS-2";
  const std::size_t single = gsm ? 160 : 70;
  const std::size_t multi = gsm ? 153 : 67;
  info.segments = countSegments(sizes, info.units, single, multi);
  info.units_per_segment = info.segments > 1 ? multi : single;
  return info;
}

}  // namespace journeyd
