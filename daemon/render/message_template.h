#pragma once
/// Message templates: what journeys reference by name. One YAML file per template holds the
/// channel, a default locale and per-locale Liquid parts (email subject/html/text, SMS or
/// webhook body). Loaded once into immutable objects shared by std::shared_ptr<const …>;
/// rendering is thread-safe.
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/channel_kind.h"
#include "daemon/core/diagnostic.h"
#include "daemon/core/result.h"
#include "daemon/render/liquid_template.h"
#include "daemon/render/sms.h"

namespace journeyd {

/// A template is for one channel kind (the daemon's one type, see core/channel_kind.h).
using Channel = ChannelKind;
[[nodiscard]] inline const char* channelName(Channel channel) { return channelKindName(channel); }
[[nodiscard]] inline std::optional<Channel> parseChannel(std::string_view name) {
  return parseChannelKind(name);
}

/// The rendered parts of one message; only the channel's parts are filled.
struct RenderedMessage {
  std::string locale;          ///< the locale variant actually used
  std::string subject;         ///< email: one line (line breaks replaced by spaces), trimmed
  std::string html;            ///< email, HTML-escaped outputs
  std::string text;            ///< email: the text part, or derived from html when none is given
  std::string body;            ///< sms: plain text; webhook: a valid JSON document
  std::optional<SmsInfo> sms;  ///< sms: encoding and segment count of body
};

/// One template: a channel and its locale variants. Immutable.
class MessageTemplate {
 public:
  /// The Liquid parts of one locale; null pointers for parts the file does not give.
  struct Parts {
    std::shared_ptr<const LiquidTemplate> subject, html, text, body;
  };

  /// Parses a template from YAML text; `file` is used in diagnostics. nullptr on errors, all of
  /// which go to `diags`.
  [[nodiscard]] static std::shared_ptr<const MessageTemplate> parse(std::string_view yaml,
                                                                    const std::string& file,
                                                                    std::string name,
                                                                    Diagnostics& diags);
  /// Reads and parses one file.
  [[nodiscard]] static std::shared_ptr<const MessageTemplate> loadFile(
      const std::filesystem::path& file, std::string name, Diagnostics& diags);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] Channel channel() const { return channel_; }
  [[nodiscard]] const std::string& defaultLocale() const { return default_locale_; }
  [[nodiscard]] std::vector<std::string> locales() const;
  /// Locale variant for a customer's locale: exact (case and `_`/`-` insensitive), then its
  /// language (`zh-CN` → `zh`), then the default locale.
  [[nodiscard]] const std::string& resolveLocale(std::string_view wanted) const;
  [[nodiscard]] const Parts& parts(const std::string& locale) const { return locales_.at(locale); }

  /// Renders the variant for `locale` with the top-level keys of `context` as variables. The
  /// escaping flags of `options` are set per part (HTML escaping for email html, JSON escaping
  /// for webhook bodies); its unsubscribe_url falls back to context["unsubscribe_url"]. A
  /// webhook body that is not valid JSON is an error.
  [[nodiscard]] Result<RenderedMessage> render(const nlohmann::json& context,
                                               std::string_view locale,
                                               const RenderOptions& options) const;

 private:
  friend class TemplateParser;
  std::string name_;
  std::string file_;
  Channel channel_ = Channel::kEmail;
  std::string default_locale_;
  std::map<std::string, Parts, std::less<>> locales_;
};

/// All templates of a folder, by name (path relative to the folder, without extension, with
/// `/` separators: `templates/newcomer/welcome.yaml` → `newcomer/welcome`). Immutable; reload
/// by loading a new set and swapping the pointer.
class TemplateSet {
 public:
  /// Loads every *.yaml / *.yml under `path` (recursively), or the single file `path` is.
  /// Returns nullptr when any template has errors; every problem goes to `diags`.
  [[nodiscard]] static std::shared_ptr<const TemplateSet> load(const std::filesystem::path& path,
                                                               Diagnostics& diags);

  [[nodiscard]] const MessageTemplate* find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] std::size_t size() const { return templates_.size(); }

 private:
  std::map<std::string, std::shared_ptr<const MessageTemplate>, std::less<>> templates_;
};

}  // namespace journeyd
