#include "daemon/api/prometheus.h"

#include <doctest/doctest.h>

using namespace journeyd;

TEST_CASE("a family is written as HELP and TYPE once, then one line per series") {
  PrometheusText out;
  out.family("jd_sent_total", "counter", "Messages sent.");
  out.sample("jd_sent_total", std::uint64_t{3}, {{"channel", "email"}});
  out.sample("jd_sent_total", std::uint64_t{0}, {{"channel", "sms"}});
  out.gauge("jd_ready", "Ready.", 1);
  CHECK(out.text() ==
        "# HELP jd_sent_total Messages sent.\n"
        "# TYPE jd_sent_total counter\n"
        "jd_sent_total{channel=\"email\"} 3\n"
        "jd_sent_total{channel=\"sms\"} 0\n"
        "# HELP jd_ready Ready.\n"
        "# TYPE jd_ready gauge\n"
        "jd_ready 1\n");
}

TEST_CASE("label values escape backslash, quote and newline; HELP escapes backslash and newline") {
  PrometheusText out;
  out.family("jd_x", "gauge", "A \\ help\nline with \"quotes\".");
  out.sample("jd_x", std::int64_t{1}, {{"journey", "a\"b\\c\nd"}, {"reason", "plain"}});
  CHECK(out.text() ==
        "# HELP jd_x A \\\\ help\\nline with \"quotes\".\n"
        "# TYPE jd_x gauge\n"
        "jd_x{journey=\"a\\\"b\\\\c\\nd\",reason=\"plain\"} 1\n");
}

TEST_CASE("numbers are written in their shortest exact form") {
  struct Row {
    double value;
    const char* text;
  };
  const Row rows[] = {{0.1, "0.1"},
                      {0.0005, "0.0005"},
                      {2.5, "2.5"},
                      {3600, "3600"},
                      {1.0 / 3, "0.3333333333333333"},
                      {0, "0"},
                      {-2, "-2"},
                      {1e21, "1e+21"}};
  for (const auto& row : rows) {
    CAPTURE(row.value);
    PrometheusText out;
    out.sample("jd_v", row.value);
    CHECK(out.text() == std::string("jd_v ") + row.text + "\n");
  }
}

TEST_CASE("a histogram series has cumulative buckets with le last and +Inf, then _sum and _count") {
  Histogram h({0.5, 1});
  h.observe(0.25);
  h.observe(0.75);
  h.observe(4);
  PrometheusText out;
  out.family("jd_latency_seconds", "histogram", "Latency.");
  out.histogram("jd_latency_seconds", h.snapshot(), {{"channel", "email"}});
  CHECK(out.text() ==
        "# HELP jd_latency_seconds Latency.\n"
        "# TYPE jd_latency_seconds histogram\n"
        "jd_latency_seconds_bucket{channel=\"email\",le=\"0.5\"} 1\n"
        "jd_latency_seconds_bucket{channel=\"email\",le=\"1\"} 2\n"
        "jd_latency_seconds_bucket{channel=\"email\",le=\"+Inf\"} 3\n"
        "jd_latency_seconds_sum{channel=\"email\"} 5\n"
        "jd_latency_seconds_count{channel=\"email\"} 3\n");
}

TEST_CASE("an unlabelled histogram puts le alone in braces") {
  Histogram h({1});
  PrometheusText out;
  out.histogram("jd_commit_seconds", h.snapshot());
  CHECK(out.text() ==
        "jd_commit_seconds_bucket{le=\"1\"} 0\n"
        "jd_commit_seconds_bucket{le=\"+Inf\"} 0\n"
        "jd_commit_seconds_sum 0\n"
        "jd_commit_seconds_count 0\n");
}
