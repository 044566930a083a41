#pragma once
/// The Liquid template engine (Shopify Liquid compatible). A template is compiled once into an
/// immutable tree, shared by std::shared_ptr<const LiquidTemplate>, and rendered concurrently
/// from any number of threads: render() keeps all its state on the caller's stack.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/core/diagnostic.h"
#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

struct LiquidAst;

/// Per-render settings. The engine never reads the clock: "now" comes from here.
struct RenderOptions {
  /// Instant used by `date` for "now" / "today"; ms since the epoch. Default 0 (1970).
  TimeMs now = 0;
  /// IANA zone (e.g. "Asia/Shanghai") in which `date` shows instants, and whose calendar a date
  /// without a time ("2026-03-20") is read in; default UTC. The planner gives the customer's zone,
  /// else the business's. An unknown zone makes `date` fail with a render error.
  std::string timezone = "UTC";
  /// ISO 4217 code used by `money` when it gets no argument; default USD.
  std::string currency = "USD";
  /// Target of `unsubscribe_link`; empty renders the link text alone.
  std::string unsubscribe_url;
  /// HTML-escape every `{{ }}` output unless its last filter is raw, escape, escape_once,
  /// newline_to_br or unsubscribe_link (email HTML parts). Default off.
  bool escape_html = false;
  /// Escape every `{{ }}` output as JSON string contents unless its last filter is raw or json
  /// (webhook bodies), so customer data cannot break the document. Default off.
  bool escape_json = false;
  /// Upper bound on loop iterations summed over one render, against runaway ranges.
  long max_iterations = 1'000'000;
};

/// Where a template's text sits in its file, so errors point at the real FILE:LINE:COL.
struct TemplateOrigin {
  SourcePos start;  ///< position of the source's first character (1-based line and column)
  /// Columns that precede every following line in the file (the indentation a YAML block
  /// scalar strips); 0 for a template that is a file of its own.
  int indent = 0;
};

/// A compiled Liquid template; immutable and thread-safe.
class LiquidTemplate {
 public:
  /// Compiles `source`; on failure reports every syntax error found to `diags` (positions
  /// relative to `origin`) and returns nullptr.
  [[nodiscard]] static std::shared_ptr<const LiquidTemplate> compile(std::string_view source,
                                                                     const TemplateOrigin& origin,
                                                                     Diagnostics& diags);
  [[nodiscard]] static std::shared_ptr<const LiquidTemplate> compile(std::string_view source,
                                                                     const SourcePos& origin,
                                                                     Diagnostics& diags) {
    return compile(source, TemplateOrigin{origin, 0}, diags);
  }

  /// Renders with the top-level keys of `vars` as variables. Runtime failures (divided_by 0,
  /// unknown time zone, too many iterations) give an Error whose message is a complete
  /// `FILE:LINE:COL: error: …` line.
  [[nodiscard]] Result<std::string> render(const nlohmann::json& vars,
                                           const RenderOptions& options) const;
  /// Same, appending to `out` (lets callers reuse one buffer).
  [[nodiscard]] Result<void> renderTo(std::string& out, const nlohmann::json& vars,
                                      const RenderOptions& options) const;

  [[nodiscard]] const std::string& source() const;
  /// File position of a byte offset in source().
  [[nodiscard]] SourcePos positionOf(std::size_t offset) const;

  ~LiquidTemplate();
  LiquidTemplate(const LiquidTemplate&) = delete;
  LiquidTemplate& operator=(const LiquidTemplate&) = delete;

 private:
  LiquidTemplate();
  std::unique_ptr<LiquidAst> ast_;
  TemplateOrigin origin_;
};

}  // namespace journeyd
