#include "daemon/render/message_template.h"

#include <doctest/doctest.h>

#include <fstream>
#include <random>

using namespace journeyd;
using nlohmann::json;

namespace {

std::shared_ptr<const MessageTemplate> parseOk(std::string_view yaml) {
  Diagnostics diags;
  auto t = MessageTemplate::parse(yaml, "w.yaml", "w", diags);
  INFO(diags.format());
  REQUIRE(t);
  return t;
}

std::string parseErrors(std::string_view yaml) {
  Diagnostics diags;
  auto t = MessageTemplate::parse(yaml, "w.yaml", "w", diags);
  CHECK(t == nullptr);
  return diags.format();
}

const char* kWelcome = R"(channel: email
default_locale: en
locales:
  en:
    subject: "Welcome, {{ customer.traits.first_name | default: 'there' }}"
    html: |
      <p>Hello {{ customer.traits.first_name }}</p>
      <p>See <a href="https://shop.test/new">our new arrivals</a>.</p>
      <p>{{ "Unsubscribe" | unsubscribe_link }}</p>
    text: |
      Hello {{ customer.traits.first_name }}
  zh:
    subject: "欢迎，{{ customer.traits.first_name }}"
    html: |
      <p>你好 {{ customer.traits.first_name }}</p>
)";

const json kContext = {{"customer", {{"traits", {{"first_name", "<Li>"}}}}},
                       {"unsubscribe_url", "https://shop.test/u?t=1&x=2"}};

/// A fresh folder under the system temp dir, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("jd_render_test_" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& rel, std::string_view text) const {
    const auto file = path / rel;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
};

}  // namespace

TEST_CASE("an email template renders subject, escaped html and text") {
  auto t = parseOk(kWelcome);
  CHECK(t->channel() == Channel::kEmail);
  CHECK(t->locales() == std::vector<std::string>{"en", "zh"});
  auto msg = t->render(kContext, "en-US", {});
  REQUIRE(msg);
  CHECK(msg->locale == "en");
  CHECK(msg->subject == "Welcome, <Li>");  // subject is not HTML
  CHECK(msg->html ==
        "<p>Hello &lt;Li&gt;</p>\n<p>See <a href=\"https://shop.test/new\">our new "
        "arrivals</a>.</p>\n"
        "<p><a href=\"https://shop.test/u?t=1&amp;x=2\">Unsubscribe</a></p>\n");
  CHECK(msg->text == "Hello <Li>\n");
}

TEST_CASE("locale choice: exact, then language, then default") {
  auto t = parseOk(kWelcome);
  CHECK(t->resolveLocale("zh-CN") == "zh");
  CHECK(t->resolveLocale("zh_TW") == "zh");
  CHECK(t->resolveLocale("EN") == "en");
  CHECK(t->resolveLocale("fr-FR") == "en");
  CHECK(t->resolveLocale("") == "en");
  auto msg = t->render(kContext, "zh-CN", {});
  REQUIRE(msg);
  CHECK(msg->subject == "欢迎，<Li>");
  CHECK(msg->text == "你好 <Li>");  // derived from html: entities decoded, no tags
  auto exact = parseOk(
      "channel: sms\ndefault_locale: en\nlocales:\n  en: {body: en}\n  zh: {body: zh}\n"
      "  zh-TW: {body: tw}\n");
  CHECK(exact->render(json::object(), "zh-TW", {})->body == "tw");
  CHECK(exact->render(json::object(), "zh-CN", {})->body == "zh");
  CHECK(exact->render(json::object(), "de", {})->body == "en");
}

TEST_CASE("the subject stays one line whatever the data holds") {
  auto t = parseOk("channel: email\nlocales:\n  en:\n    subject: 'Hi {{ name }}'\n    text: x\n");
  auto msg = t->render({{"name", "A\r\nBcc: evil@x.test"}}, "en", {});
  REQUIRE(msg);
  CHECK(msg->subject == "Hi A  Bcc: evil@x.test");
  CHECK(msg->html.empty());
  CHECK(msg->text == "x");
}

TEST_CASE("text is derived from html when absent") {
  auto t = parseOk(R"(channel: email
locales:
  en:
    subject: s
    html: |
      <html><head><title>T</title><style>p { color: red }</style></head><body>
      <h1>Big   news</h1>
      <p>Dear {{ name }},<br>your order &amp; gift
         are ready.</p>
      <ul><li>One</li><li>Two</li></ul>
      <p><a href="https://shop.test/o/1">View order</a> or <a href="https://shop.test">https://shop.test</a></p>
      <script>track()</script>
      </body></html>
)");
  auto msg = t->render({{"name", "Ann"}}, "en", {});
  REQUIRE(msg);
  CHECK(msg->text ==
        "Big news\n\nDear Ann,\nyour order & gift are ready.\n\n- One\n- Two\n\n"
        "View order (https://shop.test/o/1) or https://shop.test");
}

TEST_CASE("sms templates report encoding and segments") {
  auto t = parseOk(
      "channel: sms\nlocales:\n  zh-CN:\n    body: |\n      {{ name }}，您的优惠券已到账\n");
  auto msg = t->render({{"name", "李雷"}}, "zh-CN", {});
  REQUIRE(msg);
  CHECK(msg->body == "李雷，您的优惠券已到账");
  REQUIRE(msg->sms);
  CHECK(msg->sms->encoding == "UCS-2");
  CHECK(msg->sms->segments == 1);
}

TEST_CASE("webhook bodies escape data as JSON and must be valid JSON") {
  auto t = parseOk(R"(channel: webhook
locales:
  en:
    body: |
      {"name": "{{ customer.name }}", "tags": {{ customer.tags | json }}}
)");
  const json ctx = {{"customer", {{"name", "Ann \"the\" \\ admin\n"}, {"tags", {"a", "b"}}}}};
  auto msg = t->render(ctx, "en", {});
  REQUIRE(msg);
  const json body = json::parse(msg->body);
  CHECK(body["name"] == "Ann \"the\" \\ admin\n");
  CHECK(body["tags"] == json::array({"a", "b"}));

  auto broken =
      parseOk("channel: webhook\nlocales:\n  en:\n    body: |\n      {\"n\": {{ missing }}}\n");
  auto r = broken->render(json::object(), "en", {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.starts_with("w.yaml:5:7: error: webhook body is not valid JSON"));
}

TEST_CASE("Liquid errors inside YAML scalars point at the real file position") {
  // Block scalar: line 8 of the file, after 6 columns of indentation.
  CHECK(parseErrors(R"(channel: email
default_locale: en
locales:
  en:
    subject: "Hi {{ name | upcse }}"
    html: |
      <p>line one</p>
      <p>{{ name | nope }}</p>
)") == "w.yaml:5:28: error: unknown filter 'upcse' (did you mean 'upcase'?)\n"
       "w.yaml:8:20: error: unknown filter 'nope'\n");
  // Explicit indentation indicator and a plain scalar.
  CHECK(parseErrors("channel: sms\nlocales:\n  en:\n    body: |2\n        {% if %}{% endif %}\n") ==
        "w.yaml:5:14: error: expected a value but the tag ended\n");
  CHECK(parseErrors("channel: sms\nlocales:\n  en:\n    body: hi {{ x | bad }}\n") ==
        "w.yaml:4:21: error: unknown filter 'bad' (did you mean 'map'?)\n");
  // A runtime error also carries the file position.
  auto t = parseOk(
      "channel: sms\nlocales:\n  en:\n    body: |\n      ok\n      {{ 1 | divided_by: 0 }}\n");
  auto r = t->render(json::object(), "en", {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "w.yaml:6:14: error: divided_by: divided by 0");
}

TEST_CASE("template file mistakes are all reported with positions") {
  CHECK(parseErrors("channel: email\nlocales:\n  en:\n    subject: [unclosed\n")
            .starts_with("w.yaml:"));
  CHECK(parseErrors("chanel: email\nlocales:\n  en: {body: x}\n") ==
        "w.yaml:1:1: error: unknown key 'chanel' in template (did you mean 'channel'?)\n"
        "w.yaml:1:1: error: missing 'channel' (email, sms or webhook)\n");
  CHECK(parseErrors("channel: fax\nlocales:\n  en: {body: x}\n") ==
        "w.yaml:1:10: error: unknown channel 'fax' (expected email, sms or webhook)\n");
  CHECK(parseErrors("channel: email\nlocales:\n  en:\n    subjct: Hi\n    html: x\n") ==
        "w.yaml:4:5: error: unknown key 'subjct' in locale 'en' (did you mean 'subject'?)\n"
        "w.yaml:3:3: error: locale 'en' has no 'subject'\n");
  CHECK(parseErrors("channel: sms\nlocales:\n  en:\n    subject: Hi\n") ==
        "w.yaml:4:5: error: 'subject' is not a part of sms templates (expected body)\n"
        "w.yaml:3:3: error: locale 'en' has no 'body'\n");
  CHECK(
      parseErrors(
          "channel: sms\ndefault_locale: zh-Cn\nlocales:\n  en: {body: a}\n  zh-CN: {body: b}\n") ==
      "w.yaml:2:17: error: default_locale 'zh-Cn' is not one of the locales (did you mean "
      "'zh-CN'?)\n");
  CHECK(parseErrors("channel: sms\nlocales:\n  en: {body: a}\n  zh: {body: b}\n") ==
        "w.yaml:1:1: error: missing 'default_locale' (the fallback among en, zh)\n");
  CHECK(parseErrors("") == "w.yaml:1:1: error: empty template file\n");
}

TEST_CASE("a template set is named by relative paths and loads single files") {
  TempDir dir;
  dir.write("newcomer/welcome.yaml", "channel: sms\nlocales:\n  en: {body: 'Hi {{ name }}'}\n");
  dir.write("winback.yml", "channel: sms\nlocales:\n  en: {body: 'Come back'}\n");
  dir.write("notes.txt", "not a template");
  Diagnostics diags;
  auto set = TemplateSet::load(dir.path, diags);
  INFO(diags.format());
  REQUIRE(set);
  CHECK(set->names() == std::vector<std::string>{"newcomer/welcome", "winback"});
  const MessageTemplate* t = set->find("newcomer/welcome");
  REQUIRE(t != nullptr);
  CHECK(t->render({{"name", "Ann"}}, "en", {})->body == "Hi Ann");
  CHECK(set->find("missing") == nullptr);

  auto single = TemplateSet::load(dir.path / "winback.yml", diags);
  REQUIRE(single);
  CHECK(single->names() == std::vector<std::string>{"winback"});
}

TEST_CASE("a template set with a broken file fails and names the file") {
  TempDir dir;
  dir.write("ok.yaml", "channel: sms\nlocales:\n  en: {body: fine}\n");
  dir.write("bad.yaml", "channel: sms\nlocales:\n  en:\n    body: '{{ x | nope }}'\n");
  dir.write("worse.yaml", "channel: sms\nlocales: [\n");
  Diagnostics diags;
  CHECK(TemplateSet::load(dir.path, diags) == nullptr);
  const std::string errs = diags.format();
  CHECK(errs.find((dir.path / "bad.yaml").string() + ":4:19: error: unknown filter 'nope'") !=
        std::string::npos);
  CHECK(errs.find((dir.path / "worse.yaml").string() + ":") != std::string::npos);
  Diagnostics missing;
  CHECK(TemplateSet::load(dir.path / "nothing-here", missing) == nullptr);
  CHECK(missing.hasErrors());
}
