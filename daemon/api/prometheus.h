#pragma once
/// The Prometheus text exposition format (version 0.0.4): one writer for every metric the
/// daemon exports, so names, HELP/TYPE lines and label escaping are done one way.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace journeyd {

class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<const char*, std::string>>;

  /// A metric family's HELP and TYPE lines; call once per name, then sample() for each series.
  void family(const char* name, const char* type, const char* help);
  void sample(const char* name, double value, Labels labels = {});
  void sample(const char* name, std::uint64_t value, Labels labels = {});
  void sample(const char* name, std::int64_t value, Labels labels = {});

  /// A family with a single unlabelled series.
  void counter(const char* name, const char* help, std::uint64_t value);
  void gauge(const char* name, const char* help, double value);

  [[nodiscard]] const std::string& text() const { return out_; }
  void append(const std::string& more) { out_ += more; }

 private:
  void labels(Labels labels);
  std::string out_;
};

}  // namespace journeyd
