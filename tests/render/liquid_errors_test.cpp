#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "tests/render/render_test_util.h"

using namespace journeyd;
using journeyd::test::renderLiquid;

namespace {
std::string compileErrors(std::string_view source,
                          TemplateOrigin origin = {{"t.liquid", 1, 1}, 0}) {
  Diagnostics diags;
  auto tmpl = LiquidTemplate::compile(source, origin, diags);
  CHECK((tmpl == nullptr) == diags.hasErrors());
  return diags.format();
}
}  // namespace

TEST_CASE("syntax errors report FILE:LINE:COL") {
  struct Row {
    const char* source;
    const char* want;
  };
  const Row rows[] = {
      {"{{ x | upcse }}", "t.liquid:1:8: error: unknown filter 'upcse' (did you mean 'upcase'?)"},
      {"a\n{% iff x %}{% endif %}",
       "t.liquid:2:1: error: unknown tag 'iff' (did you mean 'if'?)\n"
       "t.liquid:2:12: error: unexpected 'endif' (no open tag it could belong to)"},
      {"line1\n  {% if x %}\nno end", "t.liquid:2:3: error: 'if' tag was never closed"},
      {"{% for x in %}{% endfor %}", "t.liquid:1:12: error: expected a value but the tag ended"},
      {"{{ 'abc }}", "t.liquid:1:4: error: unterminated string"},
      {"x {{ name", "t.liquid:1:3: error: '{{' was never closed with '}}'"},
      {"{% if a = 1 %}{% endif %}", "t.liquid:1:9: error: use '==' to compare, '=' assigns"},
      {"{{ x | truncate: 1, 2, 3 }}",
       "t.liquid:1:8: error: filter 'truncate' takes 0 to 2 argument(s), got 3"},
      {"{% break %}", "t.liquid:1:1: error: 'break' outside a for loop"},
      {"{% if x %}a{% else %}b{% elsif y %}c{% endif %}",
       "t.liquid:1:23: error: 'elsif' after 'else'"},
      {"{% raw %}never closed", "t.liquid:1:1: error: 'raw' tag was never closed"},
      {"中文 {{ x | bogus }}",
       "t.liquid:1:11: error: unknown filter 'bogus'"},  // columns count characters
  };
  for (const auto& row : rows) {
    CAPTURE(row.source);
    CHECK(compileErrors(row.source) == std::string(row.want) + "\n");
  }
}

TEST_CASE("every error in a template is reported, not only the first") {
  const std::string errs = compileErrors("{{ a | nope }}\n{{ b | nada }}\n{% if %}{% endif %}");
  CHECK(errs.find("t.liquid:1:8:") != std::string::npos);
  CHECK(errs.find("t.liquid:2:8:") != std::string::npos);
  CHECK(errs.find("t.liquid:3:") != std::string::npos);
}

TEST_CASE("positions are relative to the template's origin in its file") {
  // As for a YAML block scalar starting on line 10, indented by 4 columns.
  CHECK(compileErrors("ok\nstill ok {{ x | nope }}", {{"w.yaml", 10, 5}, 4}) ==
        "w.yaml:11:21: error: unknown filter 'nope'\n");
  CHECK(compileErrors("{{ x | nope }}", {{"w.yaml", 3, 14}, 2}) ==
        "w.yaml:3:21: error: unknown filter 'nope'\n");
}

TEST_CASE("a compiled template renders many times with different variables") {
  Diagnostics diags;
  auto tmpl =
      LiquidTemplate::compile("Hi {{ name | default: 'there' }}", SourcePos{"t", 1, 1}, diags);
  REQUIRE(tmpl);
  CHECK(*tmpl->render({{"name", "Ann"}}, {}) == "Hi Ann");
  CHECK(*tmpl->render(nlohmann::json::object(), {}) == "Hi there");
  CHECK(*tmpl->render(nlohmann::json(nullptr), {}) == "Hi there");
}

TEST_CASE("a runaway loop stops at the iteration limit") {
  RenderOptions o;
  o.max_iterations = 100;
  CHECK(renderLiquid("{% for i in (1..50) %}{% for j in (1..50) %}{% endfor %}{% endfor %}", {}, o)
            .starts_with("RENDER: t.liquid:1:23: error: more than 100 loop iterations"));
}

TEST_CASE("one compiled template renders from several threads at once") {
  Diagnostics diags;
  auto tmpl = LiquidTemplate::compile(
      "{% assign total = 0 %}{% for i in (1..n) %}{% assign total = total | plus: i %}{% endfor %}"
      "{{ name | upcase }}={{ total }}",
      SourcePos{"t", 1, 1}, diags);
  REQUIRE(tmpl);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const nlohmann::json vars = {{"name", "t" + std::to_string(t)}, {"n", 100 + t}};
      for (int k = 0; k < 200; ++k)
        results[static_cast<std::size_t>(t)] = tmpl->render(vars, {}).value_or("error");
    });
  }
  for (auto& th : threads) th.join();
  CHECK(results[0] == "T0=5050");
  CHECK(results[1] == "T1=5151");
  CHECK(results[2] == "T2=5253");
  CHECK(results[3] == "T3=5356");
}
