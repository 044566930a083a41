#include "daemon/render/html_text.h"

#include <doctest/doctest.h>

using namespace journeyd;

TEST_CASE("HTML becomes readable plain text") {
  struct Row {
    const char* html;
    const char* want;
  };
  const Row rows[] = {
      {"<p>One</p><p>Two</p>", "One\n\nTwo"},
      {"a<br>b<br/><br />c", "a\nb\n\nc"},
      {"  lots   of\n\n  space  ", "lots of space"},
      {"<div>x</div><div>y</div>", "x\ny"},
      {"<ul><li>a</li><li>b</li></ul>after", "- a\n- b\n\nafter"},
      {"<a href=\"https://x.test/p?a=1&amp;b=2\">Shop now</a>",
       "Shop now (https://x.test/p?a=1&b=2)"},
      {"<a href='https://x.test'>https://x.test</a>", "https://x.test"},
      {"<a href=\"mailto:help@x.test\">Write to us</a>", "Write to us (help@x.test)"},
      {"<a href=\"#top\">Top</a>", "Top"},
      {"<img src=\"x.png\" alt=\"Logo &amp; name\">Hi", "Logo & nameHi"},
      {"&lt;tag&gt; &quot;q&quot; &#39;s&#39; &#20320;&#x597D; &nbsp;&euro;5",
       "<tag> \"q\" 's' 你好 €5"},
      {"<style>.a{color:red}</style><script>var x = '<p>';</script>Body<!-- hidden <p> -->",
       "Body"},
      {"<table><tr><td>Item</td><td>¥9.90</td></tr></table>", "Item ¥9.90"},
      {"<h1>Title</h1>Text<hr>Footer", "Title\n\nText\n----\nFooter"},
      {"no tags at all", "no tags at all"},
      {"<p>unclosed <b", "unclosed"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.html);
    CHECK(htmlToText(row.html) == row.want);
  }
}
