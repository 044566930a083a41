// Parsing of message template YAML files into MessageTemplate (yaml-cpp adapter: its exceptions
// are caught here and become diagnostics).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "daemon/render/message_template.h"

namespace journeyd {

namespace {
const std::vector<std::string> kTopKeys = {"channel", "default_locale", "locales", "description"};
const std::vector<std::string> kEmailParts = {"subject", "html", "text"};
const std::vector<std::string> kBodyParts = {"body"};

const std::vector<std::string>& partsOf(Channel c) {
  return c == Channel::kEmail ? kEmailParts : kBodyParts;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

/// Turns one YAML document into a MessageTemplate, collecting every problem.
class TemplateParser {
 public:
  TemplateParser(std::string_view text, std::string file, Diagnostics& diags)
      : text_(text), file_(std::move(file)), diags_(diags) {
    std::size_t start = 0;
    while (start <= text_.size()) {
      std::size_t end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      lines_.push_back(text_.substr(start, end - start));
      start = end + 1;
    }
  }

  std::shared_ptr<const MessageTemplate> run(std::string name) {
    try {
      return parse(std::move(name));
    } catch (const YAML::Exception& e) {
      diags_.error({file_, e.mark.line + 1, e.mark.column + 1}, e.msg);
    } catch (const std::exception& e) {
      diags_.error({file_, 0, 0}, e.what());
    }
    return nullptr;
  }

 private:
  SourcePos pos(const YAML::Node& n) const {
    return {file_, n.Mark().line + 1, n.Mark().column + 1};
  }
  void error(const YAML::Node& n, std::string msg) {
    failed_ = true;
    diags_.error(pos(n), std::move(msg));
  }

  static int indentation(std::string_view line) {
    int n = 0;
    while (static_cast<std::size_t>(n) < line.size() && line[static_cast<std::size_t>(n)] == ' ')
      ++n;
    return n;
  }

  /// Where a scalar's text starts in the file, so Liquid errors inside it get real positions.
  TemplateOrigin originOf(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    TemplateOrigin o{{file_, m.line + 1, m.column + 1}, 0};
    if (m.line < 0 || static_cast<std::size_t>(m.line) >= lines_.size()) return o;
    const std::string_view line = lines_[static_cast<std::size_t>(m.line)];
    const char c = static_cast<std::size_t>(m.column) < line.size()
                       ? line[static_cast<std::size_t>(m.column)]
                       : ' ';
    if (c == '"' || c == '\'') {
      o.start.column += 1;
      return o;
    }
    if (c != '|' && c != '>') return o;
    // Block scalar: content starts on the next line at its indentation, explicit or detected.
    int indent = -1;
    for (std::size_t i = static_cast<std::size_t>(m.column) + 1;
         i < line.size() && line[i] != ' ' && line[i] != '#'; ++i) {
      if (line[i] >= '1' && line[i] <= '9') indent = indentation(line) + (line[i] - '0');
    }
    for (std::size_t l = static_cast<std::size_t>(m.line) + 1; indent < 0 && l < lines_.size();
         ++l) {
      if (lines_[l].find_first_not_of(" \r") != std::string_view::npos)
        indent = indentation(lines_[l]);
    }
    if (indent < 0) indent = 0;
    o.start = {file_, m.line + 2, indent + 1};
    o.indent = indent;
    return o;
  }

  void unknownKey(const YAML::Node& key, const std::string& k,
                  const std::vector<std::string>& known, const std::string& where) {
    std::string msg = "unknown key '" + k + "' in " + where;
    const std::string hint = closestMatch(k, known);
    if (!hint.empty())
      msg += " (did you mean '" + hint + "'?)";
    else
      msg += " (expected " + joinNames(known) + ")";
    error(key, msg);
  }

  std::shared_ptr<const MessageTemplate> parse(std::string name) {
    const YAML::Node root = YAML::Load(std::string(text_));
    if (!root.IsMap()) {
      diags_.error({file_, 1, 1},
                   root.IsNull() ? "empty template file" : "a template must be a mapping of keys");
      return nullptr;
    }
    auto tmpl = std::make_shared<MessageTemplate>();
    tmpl->name_ = std::move(name);
    tmpl->file_ = file_;
    // std::optional because assigning to a YAML::Node writes through it instead of rebinding.
    std::optional<YAML::Node> channel_opt, default_opt, locales_opt;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (k == "channel")
        channel_opt.emplace(it->second);
      else if (k == "default_locale")
        default_opt.emplace(it->second);
      else if (k == "locales")
        locales_opt.emplace(it->second);
      else if (k != "description")
        unknownKey(it->first, k, kTopKeys, "template");
    }
    bool channel_ok = false;
    if (!channel_opt) {
      diags_.error({file_, 1, 1}, "missing 'channel' (email, sms or webhook)");
      failed_ = true;
    } else if (auto c = parseChannel(channel_opt->IsScalar() ? channel_opt->Scalar() : "")) {
      tmpl->channel_ = *c;
      channel_ok = true;
    } else {
      const YAML::Node& channel = *channel_opt;
      error(channel, "unknown channel '" +
                         (channel.IsScalar() ? channel.Scalar() : std::string("?")) +
                         "' (expected email, sms or webhook)");
    }
    if (!locales_opt) {
      diags_.error({file_, 1, 1}, "missing 'locales'");
      return nullptr;
    }
    const YAML::Node& locales = *locales_opt;
    if (!locales.IsMap() || locales.size() == 0) {
      error(locales, "'locales' must map locale names (en, zh-CN, ...) to the message parts");
      return nullptr;
    }
    std::vector<std::string> names;
    for (auto it = locales.begin(); it != locales.end(); ++it) {
      const std::string loc = it->first.Scalar();
      names.push_back(loc);
      tmpl->locales_[loc] = parseLocale(it->first, it->second, loc, tmpl->channel_, channel_ok);
    }
    if (default_opt) {
      const YAML::Node& default_locale = *default_opt;
      const std::string d = default_locale.IsScalar() ? default_locale.Scalar() : "";
      if (tmpl->locales_.count(d) == 0) {
        std::string msg = "default_locale '" + d + "' is not one of the locales";
        const std::string hint = closestMatch(d, names);
        msg += hint.empty() ? " (" + joinNames(names) + ")" : " (did you mean '" + hint + "'?)";
        error(default_locale, msg);
      }
      tmpl->default_locale_ = d;
    } else if (names.size() == 1) {
      tmpl->default_locale_ = names.front();
    } else {
      diags_.error({file_, 1, 1},
                   "missing 'default_locale' (the fallback among " + joinNames(names) + ")");
      failed_ = true;
    }
    if (failed_) return nullptr;
    return tmpl;
  }

  MessageTemplate::Parts parseLocale(const YAML::Node& key, const YAML::Node& node,
                                     const std::string& loc, Channel channel, bool channel_ok) {
    MessageTemplate::Parts parts;
    if (!node.IsMap()) {
      error(node.IsNull() ? key : node, "locale '" + loc + "' must map part names to templates");
      return parts;
    }
    const std::vector<std::string>& allowed = channel_ok ? partsOf(channel) : kEmailParts;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string k = it->first.Scalar();
      const bool known = std::find(allowed.begin(), allowed.end(), k) != allowed.end() ||
                         (!channel_ok && k == "body");
      if (!known) {
        if (channel_ok && (k == "body" || k == "subject" || k == "html" || k == "text")) {
          error(it->first, "'" + k + "' is not a part of " + channelName(channel) +
                               " templates (expected " + joinNames(allowed) + ")");
        } else {
          unknownKey(it->first, k, allowed, "locale '" + loc + "'");
        }
        continue;
      }
      if (!it->second.IsScalar()) {
        error(it->second, "'" + k + "' must be text (a Liquid template)");
        continue;
      }
      auto compiled = LiquidTemplate::compile(it->second.Scalar(), originOf(it->second), diags_);
      if (!compiled) {
        failed_ = true;
        continue;
      }
      if (k == "subject")
        parts.subject = compiled;
      else if (k == "html")
        parts.html = compiled;
      else if (k == "text")
        parts.text = compiled;
      else
        parts.body = compiled;
    }
    if (!channel_ok) return parts;
    auto missing = [&](const char* what) {
      error(key, "locale '" + loc + "' has no '" + what + "'");
    };
    if (channel == Channel::kEmail) {
      if (!parts.subject && !hasKey(node, "subject")) missing("subject");
      if (!parts.html && !parts.text && !hasKey(node, "html") && !hasKey(node, "text"))
        missing("html");
    } else if (!parts.body && !hasKey(node, "body")) {
      missing("body");
    }
    return parts;
  }

  static bool hasKey(const YAML::Node& map, const char* k) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.Scalar() == k) return true;
    }
    return false;
  }

  std::string_view text_;
  std::string file_;
  Diagnostics& diags_;
  std::vector<std::string_view> lines_;
  bool failed_ = false;
};

std::shared_ptr<const MessageTemplate> MessageTemplate::parse(std::string_view yaml,
                                                              const std::string& file,
                                                              std::string name,
                                                              Diagnostics& diags) {
  return TemplateParser(yaml, file, diags).run(std::move(name));
}

std::shared_ptr<const MessageTemplate> MessageTemplate::loadFile(const std::filesystem::path& file,
                                                                 std::string name,
                                                                 Diagnostics& diags) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diags.error({file.string(), 0, 0}, "cannot read template file");
    return nullptr;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), file.string(), std::move(name), diags);
}

}  // namespace journeyd
