#include "daemon/render/message_template.h"

#include <algorithm>

#include "daemon/render/html_text.h"

namespace journeyd {

std::vector<std::string> MessageTemplate::locales() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : locales_) out.push_back(k);
  return out;
}

namespace {
std::string normalizeLocale(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}
}  // namespace

const std::string& MessageTemplate::resolveLocale(std::string_view wanted) const {
  const std::string want = normalizeLocale(wanted);
  if (!want.empty()) {
    for (const auto& [k, v] : locales_) {
      if (normalizeLocale(k) == want) return k;
    }
    const std::string language = want.substr(0, want.find('-'));
    for (const auto& [k, v] : locales_) {
      if (normalizeLocale(k) == language) return k;
    }
  }
  return default_locale_;
}

Result<RenderedMessage> MessageTemplate::render(const nlohmann::json& context,
                                                std::string_view locale,
                                                const RenderOptions& options) const {
  RenderedMessage msg;
  msg.locale = resolveLocale(locale);
  const auto it = locales_.find(msg.locale);
  if (it == locales_.end())
    return fail(Error::notFound("template '" + name_ + "' has no locale " + msg.locale));
  const Parts& p = it->second;
  RenderOptions opts = options;
  if (opts.unsubscribe_url.empty() && context.is_object()) {
    const auto u = context.find("unsubscribe_url");
    if (u != context.end() && u->is_string()) opts.unsubscribe_url = u->get<std::string>();
  }
  opts.escape_html = false;
  opts.escape_json = false;
  auto renderPart = [&](const std::shared_ptr<const LiquidTemplate>& part,
                        std::string& out) -> Result<void> {
    if (!part) return ok();
    return part->renderTo(out, context, opts);
  };
  switch (channel_) {
    case Channel::kEmail: {
      std::string subject;
      if (auto r = renderPart(p.subject, subject); !r) return fail(r.error());
      // One header line: line breaks from data must not inject headers.
      std::replace_if(
          subject.begin(), subject.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
      msg.subject = trimmed(subject);
      if (p.text) {
        if (auto r = renderPart(p.text, msg.text); !r) return fail(r.error());
      }
      opts.escape_html = true;
      if (auto r = renderPart(p.html, msg.html); !r) return fail(r.error());
      if (!p.text && p.html) msg.text = htmlToText(msg.html);
      break;
    }
    case Channel::kSms: {
      if (auto r = renderPart(p.body, msg.body); !r) return fail(r.error());
      msg.body = trimmed(msg.body);  // a block scalar's final newline would cost characters
      msg.sms = analyzeSms(msg.body);
      break;
    }
    case Channel::kWebhook: {
      opts.escape_json = true;
      if (auto r = renderPart(p.body, msg.body); !r) return fail(r.error());
      try {
        [[maybe_unused]] const auto parsed = nlohmann::json::parse(msg.body);
      } catch (const nlohmann::json::exception& e) {
        const SourcePos pos = p.body ? p.body->positionOf(0) : SourcePos{file_, 0, 0};
        Diagnostic d{pos, Severity::kError,
                     "webhook body is not valid JSON after rendering: " + std::string(e.what())};
        return fail(Error::invalid(d.format()));
      }
      break;
    }
  }
  return msg;
}

std::shared_ptr<const TemplateSet> TemplateSet::load(const std::filesystem::path& path,
                                                     Diagnostics& diags) {
  namespace fs = std::filesystem;
  auto set = std::make_shared<TemplateSet>();
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    diags.error({path.string(), 0, 0}, "no such template file or folder");
    return nullptr;
  }
  std::vector<std::pair<std::string, fs::path>> files;
  if (fs::is_regular_file(status)) {
    files.emplace_back(path.stem().string(), path);
  } else {
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto ext = it->path().extension();
      if ((ext != ".yaml" && ext != ".yml") || !it->is_regular_file(ec)) continue;
      fs::path rel = it->path().lexically_relative(path);
      rel.replace_extension();
      files.emplace_back(rel.generic_string(), it->path());
    }
    if (ec) {
      diags.error({path.string(), 0, 0}, "cannot list templates: " + ec.message());
      return nullptr;
    }
    std::sort(files.begin(), files.end());
  }
  bool failed = false;
  for (const auto& [name, file] : files) {
    if (set->templates_.count(name) != 0) {
      diags.error({file.string(), 0, 0},
                  "template '" + name + "' is defined twice (.yaml and .yml)");
      failed = true;
      continue;
    }
    auto tmpl = MessageTemplate::loadFile(file, name, diags);
    if (!tmpl) {
      failed = true;
      continue;
    }
    set->templates_.emplace(name, std::move(tmpl));
  }
  if (failed) return nullptr;
  return set;
}

const MessageTemplate* TemplateSet::find(std::string_view name) const {
  const auto it = templates_.find(name);
  return it == templates_.end() ? nullptr : it->second.get();
}

std::vector<std::string> TemplateSet::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : templates_) out.push_back(k);
  return out;
}

}  // namespace journeyd
