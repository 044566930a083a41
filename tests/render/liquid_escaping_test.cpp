#include <doctest/doctest.h>

#include "tests/render/render_test_util.h"

using namespace journeyd;
using journeyd::test::renderLiquid;
using nlohmann::json;

namespace {
const json kVars = {{"x", "<b>\"Tom\" & 'Jerry'</b>"},
                    {"note", "line <1>\nline 2"},
                    {"quote", "He said \"hi\"\\\n\tbye"},
                    {"tags", json::array({"a\"b", "c"})},
                    {"n", 5}};

RenderOptions htmlMode() {
  RenderOptions o;
  o.escape_html = true;
  return o;
}
RenderOptions jsonMode() {
  RenderOptions o;
  o.escape_json = true;
  return o;
}
}  // namespace

TEST_CASE("escape_html escapes every output, never the template text") {
  CHECK(renderLiquid("<p>{{ x }}</p>", kVars, htmlMode()) ==
        "<p>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</p>");
  CHECK(renderLiquid("<p>{{ x }}</p>", kVars) == "<p><b>\"Tom\" & 'Jerry'</b></p>");
  CHECK(renderLiquid("{{ n | plus: 1 }}", kVars, htmlMode()) == "6");
}

TEST_CASE("raw as the last filter turns escaping off for that output") {
  CHECK(renderLiquid("{{ x | raw }}", kVars, htmlMode()) == "<b>\"Tom\" & 'Jerry'</b>");
  // raw before another filter does not count: the result is escaped.
  CHECK(renderLiquid("{{ x | raw | append: '<i>' }}", kVars, htmlMode()) ==
        "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;&lt;i&gt;");
}

TEST_CASE("escape, newline_to_br and captures are not escaped twice") {
  CHECK(renderLiquid("{{ '<&>' | escape }}", kVars, htmlMode()) == "&lt;&amp;&gt;");
  CHECK(renderLiquid("{{ note | newline_to_br }}", kVars, htmlMode()) ==
        "line &lt;1&gt;<br />\nline 2");
  CHECK(renderLiquid("{% capture c %}<i>{{ x | truncate: 3, '' }}</i>{% endcapture %}{{ c }}",
                     kVars, htmlMode()) == "<i>&lt;b&gt;</i>");
  // A captured value passed through a filter is escaped again like any other value.
  CHECK(renderLiquid("{% capture c %}<i>{% endcapture %}{{ c | upcase }}", kVars, htmlMode()) ==
        "&lt;I&gt;");
  // assign does not make a value safe.
  CHECK(renderLiquid("{% assign a = x %}{{ a }}", kVars, htmlMode()).starts_with("&lt;b&gt;"));
}

TEST_CASE("escape_json keeps customer data inside JSON strings") {
  const std::string body = R"({"name": "{{ quote }}", "tags": {{ tags | json }}, "n": {{ n }}})";
  const std::string out = renderLiquid(body, kVars, jsonMode());
  const json parsed = json::parse(out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  CHECK(parsed["name"] == "He said \"hi\"\\\n\tbye");
  CHECK(parsed["tags"] == json::array({"a\"b", "c"}));
  CHECK(parsed["n"] == 5);
  // Without the mode the same template produces broken JSON.
  CHECK(json::parse(renderLiquid(body, kVars), nullptr, false).is_discarded());
}
