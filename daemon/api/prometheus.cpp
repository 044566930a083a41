#include "daemon/api/prometheus.h"

#include <cmath>
#include <cstdio>

namespace journeyd {

void PrometheusText::family(const char* name, const char* type, const char* help) {
  out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void PrometheusText::labels(Labels labels) {
  if (labels.size() == 0) return;
  out_ += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    for (char c : value) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '"') {
        out_ += "\\\"";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  out_ += '}';
}

void PrometheusText::sample(const char* name, double value, Labels l) {
  out_ += name;
  labels(l);
  if (std::isnan(value)) {
    out_ += " NaN\n";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? " +Inf\n" : " -Inf\n";
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out_ += buf;
  }
}

void PrometheusText::sample(const char* name, std::uint64_t value, Labels l) {
  out_ += name;
  labels(l);
  out_ += " " + std::to_string(value) + "\n";
}

void PrometheusText::sample(const char* name, std::int64_t value, Labels l) {
  out_ += name;
  labels(l);
  out_ += " " + std::to_string(value) + "\n";
}

void PrometheusText::counter(const char* name, const char* help, std::uint64_t value) {
  family(name, "counter", help);
  sample(name, value);
}

void PrometheusText::gauge(const char* name, const char* help, double value) {
  family(name, "gauge", help);
  sample(name, value);
}

}  // namespace journeyd
