#include "daemon/render/utf8.h"

namespace journeyd {

char32_t utf8Next(std::string_view s, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  const std::size_t len = utf8SeqLen(lead);
  if (len == 1 || pos + len > s.size()) {
    ++pos;
    return lead < 0x80 ? lead : 0xFFFD;
  }
  char32_t cp = lead & (0xFF >> (len + 1));
  for (std::size_t i = 1; i < len; ++i) {
    const auto c = static_cast<unsigned char>(s[pos + i]);
    if ((c & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  pos += len;
  return cp;
}

void utf8Append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::size_t utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t len = utf8SeqLen(static_cast<unsigned char>(s[pos]));
    pos += (pos + len <= s.size()) ? len : 1;
    ++n;
  }
  return n;
}

std::size_t utf8Offset(std::string_view s, std::size_t index) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < index && pos < s.size(); ++i) {
    const std::size_t len = utf8SeqLen(static_cast<unsigned char>(s[pos]));
    pos += (pos + len <= s.size()) ? len : 1;
  }
  return pos;
}

std::string_view utf8Substr(std::string_view s, std::size_t start, std::size_t count) {
  const std::size_t begin = utf8Offset(s, start);
  const std::size_t end = begin + utf8Offset(s.substr(begin), count);
  return s.substr(begin, end - begin);
}

char32_t toUpperCp(char32_t cp) {
  if (cp >= 'a' && cp <= 'z') return cp - 32;
  if (cp < 0x80) return cp;
  if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)) return cp - 32;
  if (cp == 0xFF) return 0x178;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149) {
    // Latin Extended-A alternates upper/lower, with the pairing parity flipped in two ranges.
    const bool odd_lower = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_lower ? (cp % 2 == 0) : (cp % 2 == 1)) return cp - 1;
    return cp;
  }
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;  // Greek
  if (cp >= 0x430 && cp <= 0x44F) return cp - 32;                 // Cyrillic
  if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
  return cp;
}

char32_t toLowerCp(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp < 0x80) return cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149) {
    const bool odd_lower = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_lower ? (cp % 2 == 1) : (cp % 2 == 0)) return cp + 1;
    return cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

namespace {
template <typename F>
std::string mapCase(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(f(c)));
      ++pos;
      continue;
    }
    const std::size_t start = pos;
    const char32_t cp = utf8Next(s, pos);
    const char32_t mapped = f(cp);
    if (mapped == cp) {
      out.append(s.substr(start, pos - start));  // keep the original bytes, even if malformed
    } else {
      utf8Append(out, mapped);
    }
  }
  return out;
}
}  // namespace

std::string utf8Upper(std::string_view s) { return mapCase(s, toUpperCp); }
std::string utf8Lower(std::string_view s) { return mapCase(s, toLowerCp); }

}  // namespace journeyd
