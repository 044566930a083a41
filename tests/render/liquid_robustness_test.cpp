#include <doctest/doctest.h>

#include <random>

#include "tests/render/render_test_util.h"

using namespace journeyd;

TEST_CASE("arbitrary fragments never crash the compiler or the renderer") {
  // Deterministic pseudo-random templates stitched from Liquid fragments, valid and broken.
  const char* kFragments[] = {
      "{{",
      "}}",
      "{%",
      "%}",
      "{{-",
      "-}}",
      " x ",
      "| upcase",
      "|",
      ":",
      ",",
      "'s'",
      "\"q",
      "(1..3)",
      "if",
      "endif",
      "for",
      "in",
      "endfor",
      "else",
      "case",
      "when",
      "endcase",
      "raw",
      "endraw",
      "comment",
      "endcomment",
      "[0]",
      ".size",
      "a.b.c",
      "==",
      "contains",
      "and",
      "or",
      "assign y = ",
      "capture",
      "endcapture",
      "break",
      "\n",
      "中文",
      "| truncate: 3",
      "| date: '%Y'",
      "| divided_by: 0",
      "| json",
      "{% for i in (1..3) %}{{ i }}",
      "{% endfor %}",
      "{% if x %}",
      "{% endif %}",
      "forloop.index",
      "\xff\xfe",
      "{{ x | default: 1 }}",
  };
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kFragments) - 1);
  std::uniform_int_distribution<int> len(1, 12);
  const nlohmann::json vars = {{"x", {1, 2, 3}}, {"a", {{"b", {{"c", "deep"}}}}}};
  int compiled = 0;
  for (int n = 0; n < 3000; ++n) {
    std::string src;
    for (int k = len(rng); k > 0; --k) src += kFragments[pick(rng)];
    Diagnostics diags;
    auto tmpl = LiquidTemplate::compile(src, SourcePos{"f", 1, 1}, diags);
    CHECK((tmpl != nullptr) != diags.hasErrors());
    if (tmpl) {
      ++compiled;
      RenderOptions opts;
      opts.escape_html = (n % 2) == 0;
      (void)tmpl->render(vars, opts);
    }
  }
  CHECK(compiled > 100);  // the mix must also exercise rendering
}
