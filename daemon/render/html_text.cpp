#include "daemon/render/html_text.h"

#include <algorithm>
#include <cctype>

#include "daemon/render/utf8.h"

namespace journeyd {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Value of attribute `name` inside a tag's markup (`a href="x"`), empty when absent.
std::string attribute(std::string_view tag, std::string_view name) {
  const std::string low = lower(tag);
  std::size_t pos = 0;
  while ((pos = low.find(name, pos)) != std::string::npos) {
    const bool starts_word = pos > 0 && std::isspace(static_cast<unsigned char>(low[pos - 1]));
    std::size_t i = pos + name.size();
    while (i < low.size() && low[i] == ' ') ++i;
    if (!starts_word || i >= low.size() || low[i] != '=') {
      pos += name.size();
      continue;
    }
    ++i;
    while (i < low.size() && low[i] == ' ') ++i;
    if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
      const std::size_t end = tag.find(tag[i], i + 1);
      return std::string(
          tag.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
    }
    std::size_t end = i;
    while (end < tag.size() && !std::isspace(static_cast<unsigned char>(tag[end])) &&
           tag[end] != '>')
      ++end;
    return std::string(tag.substr(i, end - i));
  }
  return {};
}

void decodeEntities(std::string_view s, std::string& out) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"},   {"lt", "<"},    {"gt", ">"},   {"quot", "\""},  {"apos", "'"},
      {"nbsp", " "},  {"copy", "©"},  {"reg", "®"},  {"hellip", "…"}, {"mdash", "—"},
      {"ndash", "–"}, {"yen", "¥"},   {"euro", "€"}, {"pound", "£"},  {"rsquo", "’"},
      {"lsquo", "‘"}, {"rdquo", "”"}, {"ldquo", "“"}};
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      const std::size_t semi = s.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        const std::string_view name = s.substr(i + 1, semi - i - 1);
        bool done = false;
        if (!name.empty() && name[0] == '#') {
          const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
          const std::string digits(name.substr(hex ? 2 : 1));
          char* end = nullptr;
          const unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
          if (!digits.empty() && end != nullptr && *end == '\0' && cp > 0 && cp < 0x110000) {
            utf8Append(out, cp == 0xA0 ? U' ' : static_cast<char32_t>(cp));
            done = true;
          }
        } else {
          for (const auto& [n, v] : kNamed) {
            if (n == name) {
              out += v;
              done = true;
            }
          }
        }
        if (done) {
          i = semi;
          continue;
        }
      }
    }
    out += s[i];
  }
}

/// Builds the text with collapsed whitespace and explicit breaks.
class TextBuilder {
 public:
  void text(std::string_view s) {
    for (const char c : s) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        space_ = true;
        continue;
      }
      flush();
      out_ += c;
    }
  }
  /// Requests `n` line breaks (1 = new line, 2 = blank line) before the next text.
  void lineBreak(int n) {
    breaks_ = std::max(breaks_, n);
    space_ = false;
  }
  /// Forces one more new line (for <br>, which may repeat).
  void hardBreak() {
    if (!out_.empty()) out_ += '\n';
    space_ = false;
  }
  std::string finish() {
    // Trim spaces at line ends and around the whole text.
    std::string out;
    std::size_t start = 0;
    while (start <= out_.size()) {
      std::size_t end = out_.find('\n', start);
      if (end == std::string::npos) end = out_.size();
      std::string_view line(out_.data() + start, end - start);
      while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      out += line;
      if (end < out_.size()) out += '\n';
      start = end + 1;
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::size_t lead = 0;
    while (lead < out.size() && out[lead] == '\n') ++lead;
    return out.substr(lead);
  }
  [[nodiscard]] const std::string& raw() const { return out_; }

 private:
  void flush() {
    if (breaks_ > 0 && !out_.empty()) {
      int have = 0;
      for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n'; ++it) ++have;
      for (int i = have; i < breaks_; ++i) out_ += '\n';
      space_ = false;
    }
    breaks_ = 0;
    if (space_ && !out_.empty() && out_.back() != '\n') out_ += ' ';
    space_ = false;
  }
  std::string out_;
  int breaks_ = 0;
  bool space_ = false;
};

}  // namespace

std::string htmlToText(std::string_view html) {
  TextBuilder b;
  std::string href;
  std::size_t link_start = 0;
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      const std::size_t next = std::min(html.find('<', i), html.size());
      std::string decoded;
      decodeEntities(html.substr(i, next - i), decoded);
      b.text(decoded);
      i = next;
      continue;
    }
    if (html.compare(i, 4, "<!--") == 0) {
      const std::size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    const std::size_t end = html.find('>', i);
    if (end == std::string_view::npos) break;
    const std::string_view tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    const bool closing = !tag.empty() && tag[0] == '/';
    std::size_t n = closing ? 1 : 0;
    while (n < tag.size() && std::isalnum(static_cast<unsigned char>(tag[n]))) ++n;
    const std::string name = lower(tag.substr(closing ? 1 : 0, n - (closing ? 1 : 0)));
    if (!closing && (name == "script" || name == "style" || name == "head" || name == "title")) {
      const std::string close = "</" + name;
      std::string low_rest = lower(html.substr(i));
      const std::size_t at = low_rest.find(close);
      if (at == std::string::npos) break;
      const std::size_t gt = html.find('>', i + at);
      i = gt == std::string_view::npos ? html.size() : gt + 1;
      continue;
    }
    if (name == "br") {
      b.hardBreak();
    } else if (name == "p" || name == "h1" || name == "h2" || name == "h3" || name == "h4" ||
               name == "h5" || name == "h6" || name == "table" || name == "ul" || name == "ol" ||
               name == "blockquote") {
      b.lineBreak(2);
    } else if (name == "div" || name == "tr" || name == "section" || name == "header" ||
               name == "footer" || name == "center" || name == "article" || name == "tbody") {
      b.lineBreak(1);
    } else if (name == "li" && !closing) {
      b.lineBreak(1);
      b.text("- ");
    } else if (name == "td" || name == "th") {
      b.text(" ");
    } else if (name == "hr") {
      b.lineBreak(1);
      b.text("----");
      b.lineBreak(1);
    } else if (name == "img" && !closing) {
      std::string alt;
      decodeEntities(attribute(tag, "alt"), alt);
      b.text(alt);
    } else if (name == "a" && !closing) {
      std::string decoded;
      decodeEntities(attribute(tag, "href"), decoded);
      href = decoded;
      link_start = b.raw().size();
    } else if (name == "a" && closing) {
      const std::string label = b.raw().substr(std::min(link_start, b.raw().size()));
      if (!href.empty() && href[0] != '#' && label.find(href) == std::string::npos &&
          href.rfind("javascript:", 0) != 0) {
        const std::string shown = href.rfind("mailto:", 0) == 0 ? href.substr(7) : href;
        if (label.find(shown) == std::string::npos) {
          b.text(label.empty() ? shown : " (" + shown + ")");
        }
      }
      href.clear();
    }
  }
  return b.finish();
}

}  // namespace journeyd
