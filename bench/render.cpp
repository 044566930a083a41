// Benchmark: renders a typical email (subject, ~3 KB HTML, text; 10 variables, a for loop, a few
// filters) a bounded number of times on one thread and prints renders per second.
// Usage: bench_render [COUNT]   (default 200000, at most 10000000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "daemon/render/message_template.h"

using namespace journeyd;

namespace {

std::string typicalTemplate() {
  // ~3 KB of mostly static, inline-styled markup (as email HTML is) with 10 variables, one loop
  // and a handful of filters.
  std::string html;
  html += "<html><body style=\"margin: 0; padding: 0; background: #f4f4f4;\">\n";
  html +=
      "<table width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"font-family: Arial;\">\n";
  html +=
      "<tr><td><h1>Hi {{ customer.traits.first_name | default: 'there' | capitalize "
      "}},</h1></td></tr>\n";
  html +=
      "<tr><td>Member since {{ customer.traits.signup_date | date: '%B %Y' }}, tier {{ "
      "customer.traits.tier }}, "
      "{{ customer.traits.points }} points.</td></tr>\n";
  for (int i = 0; i < 14; ++i) {
    html +=
        "<tr><td style=\"padding: 8px 16px; color: #333333; font-size: 14px; line-height: 20px;\">"
        "Fresh picks from our tea garden, packed by hand and shipped within two days.</td></tr>\n";
  }
  html +=
      "{% for item in event.properties.items limit: 3 %}<tr><td>{{ forloop.index }}. "
      "{{ item.name | truncate: 30 }} - {{ item.price | money: 'CNY' }}</td></tr>\n{% endfor %}";
  html +=
      "<tr><td>Your coupon: <b>{{ data.coupon | upcase }}</b>, valid until {{ data.expires "
      "}}.</td></tr>\n";
  html +=
      "<tr><td>{{ 'Unsubscribe' | unsubscribe_link }} | {{ journey.name "
      "}}</td></tr>\n</table></body></html>\n";

  std::string yaml = "channel: email\ndefault_locale: en\nlocales:\n  en:\n";
  yaml +=
      "    subject: \"{{ customer.traits.first_name | default: 'Hi' }}, your {{ data.discount }}% "
      "coupon\"\n";
  yaml += "    html: |\n";
  std::size_t start = 0;
  while (start < html.size()) {
    const std::size_t end = html.find('\n', start);
    yaml += "      " + html.substr(start, end - start) + "\n";
    start = end + 1;
  }
  yaml +=
      "    text: |\n      Hi {{ customer.traits.first_name }}, use {{ data.coupon }} before {{ "
      "data.expires }}.\n"
      "      Unsubscribe: {{ unsubscribe_url }}\n";
  return yaml;
}

}  // namespace

int main(int argc, char** argv) {
  long count = argc > 1 ? std::atol(argv[1]) : 200000;
  if (count <= 0 || count > 10000000) count = 200000;
  Diagnostics diags;
  auto tmpl = MessageTemplate::parse(typicalTemplate(), "bench.yaml", "bench", diags);
  if (!tmpl) {
    std::fprintf(stderr, "%s", diags.format().c_str());
    return 1;
  }
  const auto context = nlohmann::json::parse(R"({
    "customer": {"traits": {"first_name": "ada", "tier": "gold", "points": 1280, "signup_date": "2023-04-01T08:00:00Z"}},
    "event": {"properties": {"items": [{"name": "Green tea, 250 g tin", "price": 59.5},
                                       {"name": "Porcelain cup set", "price": 188},
                                       {"name": "Bamboo tray", "price": 99.9},
                                       {"name": "Not shown", "price": 1}]}},
    "journey": {"name": "Win-back"},
    "data": {"coupon": "back20", "discount": 20, "expires": "2024-07-01"},
    "unsubscribe_url": "https://shop.test/u?t=abc&s=1"
  })");
  RenderOptions options;
  options.timezone = "Asia/Shanghai";
  std::size_t bytes = 0;
  const auto begin = std::chrono::steady_clock::now();
  const std::clock_t cpu_begin = std::clock();
  for (long i = 0; i < count; ++i) {
    auto msg = tmpl->render(context, "en", options);
    if (!msg) {
      std::fprintf(stderr, "%s\n", msg.error().message.c_str());
      return 1;
    }
    bytes += msg->subject.size() + msg->html.size() + msg->text.size();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // CPU time too: on a shared machine wall time also counts other processes' turns.
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_begin) / CLOCKS_PER_SEC;
  std::printf(
      "%ld renders in %.3f s: %.0f renders/s wall, %.0f renders/s per CPU second (%.0f bytes per "
      "message)\n",
      count, seconds, count / seconds, count / cpu_seconds,
      static_cast<double>(bytes) / static_cast<double>(count));
  return 0;
}
