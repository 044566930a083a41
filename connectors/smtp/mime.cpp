#include "connectors/smtp/mime.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>

namespace journeyd {

namespace {

constexpr size_t kFoldAt = 78;               // recommended line length (RFC 5322 2.1.1)
constexpr size_t kEncodedWordMaxBytes = 39;  // UTF-8 bytes per encoded word: 52 base64 chars

bool isAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string withoutLineBreaks(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

bool isHeaderName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c > 32 && c < 127 && c != ':'; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string base64(std::string_view data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    uint32_t n = uint8_t(data[i]) << 16;
    if (i + 1 < data.size()) n |= uint8_t(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// Length of the UTF-8 sequence a lead byte starts (1 for stray continuation bytes).
size_t utf8Length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

/// Folds an ASCII header line at spaces so lines stay near kFoldAt characters.
std::string foldAscii(const std::string& line) {
  std::string out;
  size_t line_start = 0;
  size_t last_space = std::string::npos;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ' && i > 0) last_space = i;
    if (i - line_start >= kFoldAt && last_space != std::string::npos && last_space > line_start) {
      out.append(line, line_start, last_space - line_start);
      out += "\r\n";
      line_start = last_space;
      last_space = std::string::npos;
    }
  }
  out.append(line, line_start, std::string::npos);
  return out;
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex64(uint64_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, n >>= 4) out[static_cast<size_t>(i)] = kDigits[n & 15];
  return out;
}

/// A part body in the transfer encoding that suits it (mostly ASCII: quoted-printable).
std::string encodePart(const std::string& content_type, const std::string& text) {
  size_t high = static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  bool use_base64 = high * 3 > text.size();
  std::string out = "Content-Type: " + content_type + "; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: ";
  out += use_base64 ? "base64\r\n\r\n" : "quoted-printable\r\n\r\n";
  out += use_base64 ? base64Lines(text) : quotedPrintable(text) + "\r\n";
  return out;
}

/// `customer_id` -> `Customer-Id`.
std::string metadataHeaderName(const std::string& key) {
  std::string out = "X-Journeyd-";
  bool upper = true;
  for (char c : key) {
    if (c == '_' || c == '-' || c == ' ') {
      out += '-';
      upper = true;
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
  }
  return out;
}

std::string messageIdLocalPart(const std::string& id) {
  std::string out;
  for (char c : id) {
    bool atext = std::isalnum(static_cast<unsigned char>(c)) ||
                 std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
    out += atext ? c : '-';
  }
  return out.empty() ? "message" : out;
}

}  // namespace

std::optional<Mailbox> parseMailbox(const std::string& text) {
  Mailbox out;
  size_t open = text.rfind('<');
  if (open != std::string::npos) {
    size_t close = text.find('>', open);
    if (close == std::string::npos || close + 1 != text.find_last_not_of(" \t") + 1)
      return std::nullopt;
    out.address = text.substr(open + 1, close - open - 1);
    std::string name = text.substr(0, open);
    size_t first = name.find_first_not_of(" \t");
    size_t last = name.find_last_not_of(" \t");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
      name = name.substr(1, name.size() - 2);
    out.display_name = name;
  } else {
    out.address = text;
  }
  size_t at = out.address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= out.address.size() ||
      out.address.find('@', at + 1) != std::string::npos) {
    return std::nullopt;
  }
  for (char c : out.address) {
    if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == ',' || c == 127) return std::nullopt;
  }
  if (out.display_name.find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return out;
}

std::string encodeHeader(const std::string& name, const std::string& value) {
  std::string clean = withoutLineBreaks(value);
  if (isAscii(clean) && clean.find("=?") == std::string::npos)
    return foldAscii(name + ": " + clean);
  std::string out = name + ":";
  size_t i = 0;
  while (i < clean.size()) {
    size_t end = i;
    while (end < clean.size()) {
      size_t len = utf8Length(static_cast<unsigned char>(clean[end]));
      if (end + len - i > kEncodedWordMaxBytes) break;
      end += len;
    }
    if (end == i)
      end = std::min(clean.size(), i + utf8Length(static_cast<unsigned char>(clean[i])));
    out += i == 0 ? " " : "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(clean).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string formatMailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  const std::string& name = mailbox.display_name;
  std::string shown;
  if (!isAscii(name)) {
    shown = encodeHeader("X", name).substr(3);  // the encoded words, without "X: "
  } else if (name.find_first_of("()<>[]:;@\\,.\"") == std::string::npos) {
    shown = name;
  } else {
    shown = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') shown += '\\';
      shown += c;
    }
    shown += "\"";
  }
  return shown + " <" + mailbox.address + ">";
}

std::string quotedPrintable(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t line_len = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      out += "\r\n";
      line_len = 0;
      i += text[i] == '\r' ? 2 : 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n' ||
                             (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
    const bool encode = c == '=' || c >= 127 || (c < 32 && c != '\t') ||
                        ((c == ' ' || c == '\t') && at_line_end) || (c == '.' && line_len == 0);
    const size_t width = encode ? 3 : 1;
    if (line_len + width > 75) {
      out += "=\r\n";
      line_len = 0;
    }
    if (encode) {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    line_len += width;
    ++i;
  }
  return out;
}

std::string base64Lines(std::string_view data) {
  std::string encoded = base64(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 38 + 2);
  for (size_t i = 0; i < encoded.size(); i += 76) {
    out.append(encoded, i, 76);
    out += "\r\n";
  }
  return out;
}

std::string rfc5322Date(TimeMs t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string buildMimeMessage(const OutboundMessage& message, const MimeEnvelope& envelope) {
  std::string out;
  out.reserve(message.html.size() * 2 + message.text.size() * 2 + 1024);
  out += "From: " + formatMailbox(envelope.from) + "\r\n";
  out += "To: " + withoutLineBreaks(message.to) + "\r\n";
  if (!envelope.reply_to.empty())
    out += "Reply-To: " + withoutLineBreaks(envelope.reply_to) + "\r\n";
  out += encodeHeader("Subject", message.subject) + "\r\n";
  out += "Date: " + rfc5322Date(envelope.date) + "\r\n";
  out += "Message-ID: <" + messageIdLocalPart(message.id) + "@" + envelope.from.domain() + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  static const char* kReserved[] = {"from",         "to",           "reply-to",
                                    "subject",      "date",         "message-id",
                                    "mime-version", "content-type", "content-transfer-encoding"};
  for (const auto& [name, value] : message.headers) {
    const std::string key = lower(name);
    if (!isHeaderName(name) ||
        std::find(std::begin(kReserved), std::end(kReserved), key) != std::end(kReserved)) {
      continue;
    }
    out += encodeHeader(name, value) + "\r\n";
  }
  for (const auto& [key, value] : message.metadata) {
    out += encodeHeader(metadataHeaderName(key), value) + "\r\n";
  }
  const bool has_text = !message.text.empty() || message.html.empty();
  const bool has_html = !message.html.empty();
  if (has_text && has_html) {
    const std::string boundary = "=_jd_" + hex64(fnv1a(message.id));
    out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    out += "--" + boundary + "\r\n" + encodePart("text/plain", message.text);
    out += "--" + boundary + "\r\n" + encodePart("text/html", message.html);
    out += "--" + boundary + "--\r\n";
  } else {
    out +=
        encodePart(has_html ? "text/html" : "text/plain", has_html ? message.html : message.text);
  }
  return out;
}

}  // namespace journeyd
