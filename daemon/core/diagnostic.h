#pragma once
/// Problems found in files (config, journeys, segments, templates), reported in the compiler
/// convention `FILE:LINE:COL: error: MESSAGE`. Validation collects every problem, not only the
/// first, into a Diagnostics list.
#include <string>
#include <vector>

namespace journeyd {

struct SourcePos {
  std::string file;
  int line = 0;    ///< 1-based; 0 when unknown
  int column = 0;  ///< 1-based; 0 when unknown
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  SourcePos pos;
  Severity severity = Severity::kError;
  std::string message;

  /// "file:line:col: error: message" (line/col omitted when unknown).
  [[nodiscard]] std::string format() const;
};

class Diagnostics {
 public:
  void error(SourcePos pos, std::string message);
  void warning(SourcePos pos, std::string message);
  void append(const Diagnostics& other);

  [[nodiscard]] bool hasErrors() const;
  [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }
  [[nodiscard]] bool empty() const { return items_.empty(); }
  /// Every diagnostic, one per line.
  [[nodiscard]] std::string format() const;

 private:
  std::vector<Diagnostic> items_;
};

/// The closest candidate within a small edit distance, for "did you mean 'x'?" hints; empty
/// when nothing is close.
std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace journeyd
