#pragma once
/// The Prometheus text exposition format (version 0.0.4): one writer for every metric the
/// daemon exports, so names, HELP/TYPE lines and label escaping are done one way.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "daemon/core/histogram.h"

namespace journeyd {

/// Writes samples in the text format: a family's HELP and TYPE lines once, then its series.
/// Label values and HELP text are escaped as the format says; numbers are written in their
/// shortest exact form. Not thread-safe: one writer per scrape.
class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<const char*, std::string>>;

  /// A metric family's HELP and TYPE lines; call once per name (asserted), then sample() for
  /// each series.
  void family(const char* name, const char* type, const char* help);
  void sample(const char* name, double value, Labels labels = {});
  void sample(const char* name, std::uint64_t value, Labels labels = {});
  void sample(const char* name, std::int64_t value, Labels labels = {});

  /// One histogram series: its _bucket lines (cumulative, `le` last, +Inf included), _sum and
  /// _count. The family() must say "histogram".
  void histogram(const char* name, const HistogramSnapshot& h, Labels labels = {});

  /// A family with a single unlabelled series.
  void counter(const char* name, const char* help, std::uint64_t value);
  void gauge(const char* name, const char* help, double value);

  [[nodiscard]] const std::string& text() const { return out_; }
  void append(const std::string& more) { out_ += more; }

 private:
  /// `{k="v",...}`, with an extra `le` label last when given; nothing without labels.
  void labels(Labels labels, const std::optional<std::string>& le = std::nullopt);
  void value(double v);
  std::string out_;
  std::set<std::string, std::less<>> families_;  // declared so far: each only once
};

}  // namespace journeyd
