#include "daemon/api/prometheus.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace journeyd {

namespace {

/// The shortest decimal form that reads back as the same double (0.1, not 0.10000000000000001).
std::string formatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {  // whole numbers as such: 3600, not 3.6e+03
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

/// HELP text escapes backslash and newline; label values also escape the double quote.
void appendEscaped(std::string& out, const std::string& text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void PrometheusText::family(const char* name, const char* type, const char* help) {
  [[maybe_unused]] const bool first = families_.emplace(name).second;
  assert(first && "a metric family is declared once");
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  appendEscaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::labels(Labels labels, const std::optional<std::string>& le) {
  if (labels.size() == 0 && !le) return;
  out_ += '{';
  bool first = true;
  auto one = [&](const char* key, const std::string& value) {
    if (!first) out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    appendEscaped(out_, value, true);
    out_ += '"';
  };
  for (const auto& [key, value] : labels) one(key, value);
  if (le) one("le", *le);
  out_ += '}';
}

void PrometheusText::value(double v) {
  out_ += ' ';
  out_ += formatNumber(v);
  out_ += '\n';
}

void PrometheusText::sample(const char* name, double v, Labels l) {
  out_ += name;
  labels(l);
  value(v);
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

void PrometheusText::histogram(const char* name, const HistogramSnapshot& h, Labels l) {
  const std::string base = name;
  for (size_t i = 0; i < h.cumulative.size(); ++i) {
    out_ += base + "_bucket";
    labels(l, i < h.bounds.size() ? formatNumber(h.bounds[i]) : std::string("+Inf"));
    out_ += " " + std::to_string(h.cumulative[i]) + "\n";
  }
  out_ += base + "_sum";
  labels(l);
  value(h.sum);
  out_ += base + "_count";
  labels(l);
  out_ += " " + std::to_string(h.count()) + "\n";
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
