#include <doctest/doctest.h>

#include "tests/render/render_test_util.h"

using namespace journeyd;
using journeyd::test::Case;
using journeyd::test::renderLiquid;
using nlohmann::json;

namespace {
const json kVars = json::parse(R"({
  "name": "ada lovelace",
  "zh": "你好世界欢迎光临本店",
  "words": "the quick brown fox jumps",
  "nums": [3, 1, 2],
  "mixed": ["b", "A", "c"],
  "dup": [1, 2, 1, 3, 2],
  "with_nil": [1, null, 2],
  "people": [{"name": "Ann", "age": 30, "vip": true}, {"name": "Bob", "age": 25}, {"name": "Cy", "age": 30, "vip": false}],
  "html": "<p class=\"x\">Hi &amp; <b>bye</b></p><script>alert(1)</script><!-- c --><style>p{}</style>",
  "multiline": "a\nb\r\nc",
  "price": 12345.5,
  "f": false,
  "empty_s": ""
})");

void runTable(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    CAPTURE(c.source);
    CHECK(renderLiquid(c.source, kVars) == c.want);
  }
}
}  // namespace

TEST_CASE("default replaces nil, false and empty, unless allow_false") {
  runTable({
      {"{{ missing | default: 'x' }}", "x"},
      {"{{ f | default: 'x' }}", "x"},
      {"{{ empty_s | default: 'x' }}", "x"},
      {"{{ name | default: 'x' }}", "ada lovelace"},
      {"{{ f | default: 'x', allow_false: true }}", "false"},
      {"{{ missing | default: 'x', allow_false: true }}", "x"},
      {"{{ 0 | default: 'x' }}", "0"},
  });
}

TEST_CASE("string filters behave as in Shopify") {
  runTable({
      {"{{ name | upcase }}", "ADA LOVELACE"},
      {"{{ 'ÀÉÎ Ωμέγα' | downcase }}", "àéî ωμέγα"},
      {"{{ 'élan' | upcase }}", "ÉLAN"},
      {"{{ zh | upcase }}", "你好世界欢迎光临本店"},
      {"{{ name | capitalize }}", "Ada lovelace"},
      {"{{ 'HELLO' | capitalize }}", "Hello"},
      {"{{ name | append: '!' | prepend: '> ' }}", "> ada lovelace!"},
      {"{{ 'a-b-a' | replace: 'a', 'x' }} {{ 'a-b-a' | replace_first: 'a', 'x' }} {{ 'a-b-a' | "
       "replace_last: 'a', 'x' }}",
       "x-b-x x-b-a a-b-x"},
      {"{{ 'a-b-a' | remove: 'a' }} {{ 'a-b-a' | remove_first: 'a' }}", "-b- -b-a"},
      {"{{ name | truncate: 8 }}", "ada l..."},
      {"{{ name | truncate: 8, '' }}", "ada love"},
      {"{{ name | truncate: 20 }}", "ada lovelace"},
      {"{{ name | truncate: 2 }}", "..."},
      {"{{ words | truncatewords: 3 }}", "the quick brown..."},
      {"{{ words | truncatewords: 3, '--' }}", "the quick brown--"},
      {"{{ words | truncatewords: 5 }}", "the quick brown fox jumps"},
      {"[{{ '  x  ' | strip }}][{{ '  x  ' | lstrip }}][{{ '  x  ' | rstrip }}]", "[x][x  ][  x]"},
      {"{{ html | strip_html }}", "Hi &amp; bye"},
      {"{{ multiline | strip_newlines }}", "abc"},
      {"{{ multiline | newline_to_br }}", "a<br />\nb<br />\nc"},
      {"{{ 'a,b,,c,,' | split: ',' | join: '|' }}", "a|b||c"},
      {"{{ '  a  b ' | split: ' ' | join: '|' }}", "a|b"},
      {"{{ '你好' | split: '' | join: '|' }}", "你|好"},
      {"{{ '<a href=\"x\">&</a>' | escape }}", "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"},
      {"{{ '&amp; & &#39; <' | escape_once }}", "&amp; &amp; &#39; &lt;"},
      {"{{ 'a b&c/é~' | url_encode }}", "a+b%26c%2F%C3%A9~"},
      {"{{ 'a+b%26c%2F%C3%A9' | url_decode }}", "a b&c/é"},
      {"{{ name | size }} {{ zh | size }}", "12 10"},
      {"{{ name | slice: 0 }}{{ name | slice: 4, 4 }}{{ name | slice: -3, 2 }}", "aloveac"},
      {"{{ zh | slice: 2, 2 }}", "世界"},
      {"{{ name | first }}{{ name | last }}", "ae"},
  });
}

TEST_CASE("UTF-8 truncation counts code points and never splits one") {
  runTable({
      {"{{ zh | truncate: 6 }}", "你好世..."},
      {"{{ zh | truncate: 5, '…' }}", "你好世界…"},
      {"{{ zh | truncate: 10 }}", "你好世界欢迎光临本店"},
      {"{{ zh | truncate: 9 }}", "你好世界欢迎..."},
      {"{{ zh | truncatewords: 1 }}", "你好世界欢迎光临本店"},  // no spaces: one word
      {"{{ '欢迎 光临 本店' | truncatewords: 2 }}", "欢迎 光临..."},
      {"{{ 'héllo wörld' | truncate: 6, '…' }}", "héllo…"},
  });
}

TEST_CASE("array filters") {
  runTable({
      {"{{ nums | join }}", "3 1 2"},
      {"{{ nums | join: ', ' }}", "3, 1, 2"},
      {"{{ nums | first }}{{ nums | last }}", "32"},
      {"{{ nums | size }}", "3"},
      {"{{ nums | reverse | join: '' }}", "213"},
      {"{{ nums | sort | join: '' }}", "123"},
      {"{{ mixed | sort | join: '' }}", "Abc"},
      {"{{ mixed | sort_natural | join: '' }}", "Abc"},
      {"{{ 'c,B,a' | split: ',' | sort_natural | join: '' }}", "aBc"},
      {"{{ dup | uniq | join: '' }}", "123"},
      {"{{ people | map: 'name' | join: ',' }}", "Ann,Bob,Cy"},
      {"{{ people | where: 'age', 30 | map: 'name' | join: ',' }}", "Ann,Cy"},
      {"{{ people | where: 'vip' | map: 'name' | join: ',' }}", "Ann"},
      {"{{ people | sort: 'age' | map: 'name' | join: ',' }}", "Bob,Ann,Cy"},
      {"{{ with_nil | compact | join: ',' }}", "1,2"},
      {"{{ nums | concat: dup | size }}", "8"},
      {"{{ nums | slice: 1, 2 | join: '' }}", "12"},
      {"{{ nums | slice: -1 | join: '' }}", "2"},
      {"{{ nums | sum }} {{ people | sum: 'age' }}", "6 85"},
      {"{{ missing | size }}", "0"},
  });
}

TEST_CASE("math filters keep integers integral and divide like Ruby") {
  runTable({
      {"{{ 4 | plus: 2 }} {{ 4 | minus: 6 }} {{ 3 | times: 4 }}", "6 -2 12"},
      {"{{ 4.5 | plus: 2 }} {{ 1.5 | times: 2 }}", "6.5 3.0"},
      {"{{ '3' | plus: '4' }}", "7"},
      {"{{ 7 | divided_by: 2 }} {{ -7 | divided_by: 2 }} {{ 7 | divided_by: 2.0 }}", "3 -4 3.5"},
      {"{{ 7 | modulo: 3 }} {{ -7 | modulo: 3 }} {{ 7.5 | modulo: 2 }}", "1 2 1.5"},
      {"{{ 2.5 | round }} {{ 3.14159 | round: 2 }} {{ -2.5 | round }} {{ 4 | round }}",
       "3 3.14 -3 4"},
      {"{{ 2.7 | floor }} {{ 2.1 | ceil }} {{ -3 | abs }} {{ -1.5 | abs }}", "2 3 3 1.5"},
      {"{{ 3 | at_least: 5 }} {{ 7 | at_least: 5 }} {{ 3 | at_most: 2 }} {{ 1 | at_most: 2 }}",
       "5 7 2 1"},
      {"{{ 0.1 | plus: 0.2 }}", "0.30000000000000004"},
  });
}

TEST_CASE("divided_by zero is a render error with its position") {
  CHECK(renderLiquid("ok\n  {{ 5 | divided_by: 0 }}") ==
        "RENDER: t.liquid:2:10: error: divided_by: divided by 0");
  CHECK(renderLiquid("{{ 5 | modulo: 0 }}").starts_with("RENDER: t.liquid:1:8: error: modulo"));
}

TEST_CASE("money and number format amounts") {
  runTable({
      {"{{ price | money: 'CNY' }}", "¥12,345.50"},
      {"{{ price | money: 'USD' }} {{ price | money: 'EUR' }} {{ price | money: 'GBP' }}",
       "$12,345.50 €12,345.50 £12,345.50"},
      {"{{ price | money: 'JPY' }}", "¥12,346"},
      {"{{ -5 | money: 'usd' }}", "-$5.00"},
      {"{{ 0.5 | money: 'XYZ' }}", "0.50 XYZ"},
      {"{{ price | money }}", "$12,345.50"},
      {"{{ 1234567 | number }} {{ 1234.5 | number }} {{ 999 | number }}", "1,234,567 1,234.5 999"},
      {"{{ 1234567.891 | number: 2 }} {{ -1234 | number: 1 }}", "1,234,567.89 -1,234.0"},
  });
  RenderOptions opts;
  opts.currency = "CNY";
  CHECK(renderLiquid("{{ 9.9 | money }}", json::object(), opts) == "¥9.90");
}

TEST_CASE("json filter and unsubscribe_link") {
  runTable({
      {"{{ people[1] | json }}", R"({"age":25,"name":"Bob"})"},
      {"{{ 'say \"hi\"' | json }}", R"("say \"hi\"")"},
  });
  RenderOptions opts;
  opts.unsubscribe_url = "https://x.test/u?t=a&b=1";
  CHECK(renderLiquid("{{ 'Unsubscribe' | unsubscribe_link }}", json::object(), opts) ==
        "<a href=\"https://x.test/u?t=a&amp;b=1\">Unsubscribe</a>");
  opts.escape_html = true;  // already HTML: not escaped twice
  CHECK(renderLiquid("{{ 'Stop <mail>' | unsubscribe_link }}", json::object(), opts) ==
        "<a href=\"https://x.test/u?t=a&amp;b=1\">Stop &lt;mail&gt;</a>");
}
